// Issue 11, the client: the access token goes only to the client's own origin and the
// `trustedOrigins` it lists (a 401 from elsewhere triggers no refresh); the cross-tab Web Lock is
// waited for at most `lockTimeout`; a token only ever replaces an older one. Over real sockets,
// with Node's real BroadcastChannel between "tabs" and a fake `navigator.locks`.
import type { IncomingHttpHeaders } from "node:http";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type AuthClientOptions, createAuthClient, isAuthClientError } from "../../client/index.js";
import type { SharedLocks, TabMessage } from "../../client/tabs.js";
import { browserFetch, type Fixture, start } from "./client-fixture.js";
import { listen, type TestServer } from "./helpers.js";

const reach = suite("client: which origins get the access token");
const locking = suite("client: the cross-tab lock cannot deadlock");
const forward = suite("client: tokens only move forward");

const LOGIN = { username: "ada", password: "pw" };

/** A third-party API: records the headers it got and answers 401 (as a hostile one can, at will). */
async function thirdParty(): Promise<{ server: TestServer; seen: IncomingHttpHeaders[] }> {
	const seen: IncomingHttpHeaders[] = [];
	const server = await listen((req, res) => {
		seen.push(req.headers);
		res.writeHead(401, { "WWW-Authenticate": 'Bearer error="invalid_token"' }).end();
	});
	return { server, seen };
}

async function withServers(run: (app: Fixture, other: Awaited<ReturnType<typeof thirdParty>>) => Promise<void>): Promise<void> {
	const app = await start("body");
	const other = await thirdParty();
	try {
		await run(app, other);
	} finally {
		await app.close();
		await other.server.close();
	}
}

reach("a fetch to another origin carries no Authorization header, and its 401 triggers no refresh", async () => {
	await withServers(async (app, other) => {
		const auth = createAuthClient({ baseUrl: `${app.server.url}/auth`, transport: "body", clock: app.clock });
		assert.ok(await auth.login(LOGIN));
		const before = app.tokenRequests();
		for (const input of [`${other.server.url}/collect`, new URL(`${other.server.url}/collect`), new Request(`${other.server.url}/collect`, { headers: { "X-Kept": "1" } })]) {
			const response = await auth.fetch(input);
			assert.is(response.status, 401, "the third party's answer is handed back as it is");
		}
		assert.is(other.seen.length, 3);
		for (const headers of other.seen) assert.is(headers.authorization, undefined, "no token sent to another origin");
		assert.is(other.seen[2]?.["x-kept"], "1", "a Request to another origin goes out untouched");
		assert.is(app.tokenRequests(), before, "no refresh after a foreign 401");
		// The client's own origin (in Node: that of the absolute baseUrl) still gets it.
		assert.is((await auth.fetch(`${app.server.url}/api/me`)).status, 200);
		// Another port, or the same port under another host name, is another origin.
		const sameHostOtherName = app.server.url.replace("127.0.0.1", "localhost");
		const echo = await auth.fetch(`${sameHostOtherName}/api/me`);
		assert.is(echo.status, 401, "sent without a token, so the app refused it");
		assert.is(app.tokenRequests(), before, "and did not refresh for it either");
	});
});

reach("trustedOrigins lists more origins: those get the token, and a 401 from them refreshes once", async () => {
	await withServers(async (app, other) => {
		const auth = createAuthClient({ baseUrl: `${app.server.url}/auth`, transport: "body", clock: app.clock, trustedOrigins: [other.server.origin] });
		assert.ok(await auth.login(LOGIN));
		const before = app.tokenRequests();
		assert.is((await auth.fetch(`${other.server.url}/orders`)).status, 401);
		assert.is(other.seen.length, 2, "sent, refreshed, retried once");
		for (const headers of other.seen) assert.match(String(headers.authorization), /^Bearer ey/);
		assert.is(app.tokenRequests() - before, 1);
	});
});

reach("in a browser the own origin is the page's (location.origin) and relative URLs resolve against the page", async () => {
	const sent: Array<{ url: string; authorization: string | null }> = [];
	const fakeFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
		const url = String(input instanceof Request ? input.url : input);
		sent.push({ url, authorization: new Headers(init?.headers).get("authorization") });
		if (url.endsWith("/auth/login")) return Response.json({ access_token: "a.b.c", token_type: "Bearer", expires_in: 600, refresh_token: "rk2_x" });
		return new Response(null, { status: 204 });
	};
	const location = Object.getOwnPropertyDescriptor(globalThis, "location");
	Object.defineProperty(globalThis, "location", { value: { origin: "https://app.example.com", href: "https://app.example.com/dashboard/" }, configurable: true });
	try {
		// Even with the auth routes on another origin, the page's origin is the client's own.
		const auth = createAuthClient({ baseUrl: "https://auth.example.com/auth", transport: "body", fetch: fakeFetch as typeof fetch });
		assert.ok(await auth.login(LOGIN));
		for (const url of ["/api/me", "orders", "https://app.example.com:443/x", "https://auth.example.com/api", "//evil.example/x", "https://app.example.com.evil.example/x", "http://app.example.com/x"]) await auth.fetch(url);
		const given = sent.slice(1).map((entry) => [entry.url, entry.authorization !== null]);
		assert.equal(given, [
			["/api/me", true],
			["orders", true],
			["https://app.example.com:443/x", true],
			["https://auth.example.com/api", false],
			["//evil.example/x", false],
			["https://app.example.com.evil.example/x", false],
			["http://app.example.com/x", false],
		]);
	} finally {
		if (location === undefined) delete (globalThis as { location?: unknown }).location;
		else Object.defineProperty(globalThis, "location", location);
	}
});

reach("bad trustedOrigins or lockTimeout: ERR_CONFIG_INVALID", () => {
	const bad: AuthClientOptions[] = [
		{ trustedOrigins: ["https://api.example.com/"] },
		{ trustedOrigins: ["https://api.example.com/v1"] },
		{ trustedOrigins: ["api.example.com"] },
		{ trustedOrigins: ["null"] },
		{ trustedOrigins: "https://api.example.com" as unknown as string[] },
		{ lockTimeout: 0 },
		{ lockTimeout: -1 },
		{ lockTimeout: Number.NaN },
		{ lockTimeout: Number.POSITIVE_INFINITY },
		{ lockTimeout: "5" as unknown as number },
	];
	for (const options of bad) {
		assert.throws(
			() => createAuthClient({ baseUrl: "http://app.test/auth", ...options }),
			(error: unknown) => isAuthClientError(error, "ERR_CONFIG_INVALID"),
			JSON.stringify(options),
		);
	}
});

/** Runs `body` with `navigator.locks` replaced (Node has no Web Locks: a browser's is simulated). */
async function withLocks(locks: SharedLocks, body: () => Promise<void>): Promise<void> {
	const previous = Object.getOwnPropertyDescriptor(globalThis, "navigator");
	Object.defineProperty(globalThis, "navigator", { value: { locks }, configurable: true, writable: true });
	try {
		await body();
	} finally {
		if (previous === undefined) delete (globalThis as { navigator?: unknown }).navigator;
		else Object.defineProperty(globalThis, "navigator", previous);
	}
}

/** A lock held forever by another context (a frozen tab): never granted; the wait ends only when its signal aborts. */
function lockHeldForever(requests: Array<{ name: string; signal: AbortSignal | undefined }>): SharedLocks {
	return {
		request<T>(name: string, options: { signal?: AbortSignal }): Promise<T> {
			requests.push({ name, signal: options.signal });
			return new Promise<T>((_resolve, reject) => options.signal?.addEventListener("abort", () => reject(options.signal?.reason)));
		},
	};
}

/** A working Web Lock: one holder at a time per name, waiters in order, a signal aborts a wait. */
function fifoLocks(): SharedLocks & { granted: number } {
	const tails = new Map<string, Promise<unknown>>();
	const locks = {
		granted: 0,
		request<T>(name: string, options: { signal?: AbortSignal }, callback: () => Promise<T>): Promise<T> {
			const previous = tails.get(name) ?? Promise.resolve();
			const result = new Promise<T>((resolve, reject) => {
				options.signal?.addEventListener("abort", () => reject(options.signal?.reason));
				void previous.then(() => {
					if (options.signal?.aborted) return;
					locks.granted++;
					callback().then(resolve, reject);
				});
			});
			tails.set(
				name,
				result.catch(() => undefined),
			);
			return result;
		},
	};
	return locks;
}

/** `promise`, or a rejection after `ms`: a deadlock fails the test instead of hanging the run. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const deadline = new Promise<never>((_resolve, reject) => {
		timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms: deadlocked`)), ms);
	});
	return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

locking("a lock held forever by another tab delays a refresh by lockTimeout, then it refreshes without the lock", async () => {
	const fixture = await start("cookie");
	const requests: Array<{ name: string; signal: AbortSignal | undefined }> = [];
	try {
		await withLocks(lockHeldForever(requests), async () => {
			const auth = createAuthClient({ baseUrl: `${fixture.server.url}/auth`, fetch: browserFetch(), clock: fixture.clock, lockTimeout: 0.3 });
			assert.ok(await auth.login(LOGIN));
			const started = performance.now();
			const token = await within(3000, auth.refresh());
			const waited = performance.now() - started;
			assert.type(token, "string");
			assert.is(fixture.tokenRequests(), 1, "refreshed once, without the lock");
			assert.ok(waited >= 290, `waited for the lock first (${waited.toFixed(0)} ms)`);
			assert.ok(waited < 2000, `but not beyond the timeout (${waited.toFixed(0)} ms)`);
			assert.is(requests.length, 1);
			assert.is(requests[0]?.name, `refresh-kit:${fixture.server.url}/auth`);
			assert.ok(requests[0]?.signal?.aborted, "the wait was abandoned through its signal");
			assert.equal(await (await auth.fetch(`${fixture.server.url}/api/me`)).json(), { sub: "ada" });
		});
	} finally {
		await fixture.close();
	}
});

locking("a lock that cannot be had at all (SecurityError in an opaque origin) does not stop a refresh", async () => {
	const fixture = await start("cookie");
	try {
		const refusing: SharedLocks = { request: () => Promise.reject(new DOMException("no locks here", "SecurityError")) };
		await withLocks(refusing, async () => {
			const auth = createAuthClient({ baseUrl: `${fixture.server.url}/auth`, fetch: browserFetch(), clock: fixture.clock });
			assert.ok(await auth.login(LOGIN));
			assert.type(await within(3000, auth.refresh()), "string");
			assert.is(fixture.tokenRequests(), 1);
		});
	} finally {
		await fixture.close();
	}
});

locking("two tabs refreshing at the same instant under a working lock: the session survives, the second tab usually adopts the first's token", async () => {
	const fixture = await start("cookie");
	try {
		const locks = fifoLocks();
		await withLocks(locks, async () => {
			const browser = browserFetch();
			const options = { baseUrl: `${fixture.server.url}/auth`, fetch: browser, clock: fixture.clock };
			const tabA = createAuthClient(options);
			const tabB = createAuthClient(options);
			assert.ok(await tabA.login(LOGIN));
			fixture.clock.advance(45);
			const [a, b] = await within(3000, Promise.all([tabA.refresh(), tabB.refresh()]));
			assert.type(a, "string");
			assert.type(b, "string");
			assert.is(locks.granted, 2, "both ran under the lock, one after the other");
			// Whether B saw A's broadcast before its turn depends on task order; either way the grace window holds.
			assert.ok(fixture.tokenRequests() <= 2);
			fixture.clock.advance(45);
			assert.type(await tabB.refresh(), "string", "the shared cookie still rotates");
		});
	} finally {
		await fixture.close();
	}
});

/** Delivered to every other BroadcastChannel of that name in this process; resolves once the client's listener has run. */
async function broadcast(name: string, message: TabMessage | Record<string, unknown> | null): Promise<void> {
	const sender = new BroadcastChannel(name);
	const probe = new BroadcastChannel(name);
	const delivered = new Promise<void>((resolve) => probe.addEventListener("message", () => resolve(), { once: true }));
	sender.postMessage(message);
	await delivered;
	await new Promise((resolve) => setTimeout(resolve, 10));
	sender.close();
	probe.close();
}

forward("a tab adopts a newer token from another tab, and ignores an older one that arrives late", async () => {
	const fixture = await start("cookie");
	try {
		const auth = createAuthClient({ baseUrl: `${fixture.server.url}/auth`, fetch: browserFetch(), clock: fixture.clock });
		const channel = `refresh-kit:${fixture.server.url}/auth`;
		assert.ok(await auth.login(LOGIN));
		const own = await auth.getAccessToken();
		const now = fixture.clock.now().getTime();

		await broadcast(channel, { token: "older.token.late", expiresIn: 60, receivedAt: now - 1 });
		assert.is(await auth.getAccessToken(), own, "an older token never replaces a newer one");
		await broadcast(channel, { token: "same.instant.token", expiresIn: 60, receivedAt: now });
		assert.is(await auth.getAccessToken(), own, "nor one of the same instant");
		await broadcast(channel, { token: "x", receivedAt: now + 5 });
		await broadcast(channel, null);
		assert.is(await auth.getAccessToken(), own, "malformed messages are ignored");

		await broadcast(channel, { token: "newer.token.other-tab", expiresIn: 60, receivedAt: now + 10 });
		assert.is(await auth.getAccessToken(), "newer.token.other-tab", "a newer token is adopted");
		await broadcast(channel, { token: own, expiresIn: 60, receivedAt: now });
		assert.is(await auth.getAccessToken(), "newer.token.other-tab", "this tab's own earlier token, delivered late, is older too");
		assert.is(fixture.tokenRequests(), 0);
	} finally {
		await fixture.close();
	}
});

forward("a logout in another tab is an arrival too: an older token delivered after it does not bring the tab back", async () => {
	const fixture = await start("cookie");
	try {
		const tabA = createAuthClient({ baseUrl: `${fixture.server.url}/auth`, fetch: browserFetch(), clock: fixture.clock });
		const channel = `refresh-kit:${fixture.server.url}/auth`;
		assert.ok(await tabA.login(LOGIN));
		const token = (await tabA.getAccessToken()) as string;
		const now = fixture.clock.now().getTime();
		await broadcast(channel, { token: null, receivedAt: now + 10 });
		await broadcast(channel, { token, expiresIn: 60, receivedAt: now + 5 });
		// Holding nothing, the tab asks the server, whose cookie (in tab A's jar) is still live here.
		const before = fixture.tokenRequests();
		const renewed = await tabA.getAccessToken();
		assert.is(fixture.tokenRequests() - before, 1, "the late token was not adopted: the tab refreshed instead");
		assert.is.not(renewed, token);
	} finally {
		await fixture.close();
	}
});

reach.run();
locking.run();
forward.run();
