// createNextProxy: what it hands Next.js (the NextResponse.next({ request }) protocol), when it
// rotates and when it leaves a request alone, bursts at expiry, refusals, a store that is down,
// and the shared cookie definition with the route handlers (cookie.path).
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { CookieOptions, HttpErrorEvent } from "../../adapters/fetch/types.js";
import { createNextHandlers, createNextProxy } from "../../adapters/next/index.js";
import type { NextProxyOptions } from "../../adapters/next/types.js";
import { memoryStore } from "../../storage/memory/index.js";
import { type Harness, harness, rejects } from "../helpers.js";
import { faultyStore } from "../support/faulty-store.js";
import { DEMO_USER, parseSetCookie, testAuthenticate } from "./helpers.js";

const ORIGIN = "http://localhost:3000";
const TTL = 900;
const cookie = { name: "__Host-rk", accessTokenName: "rk_at", path: "/" };
const authOptions = { authenticate: testAuthenticate, cookie };

interface Session {
	refresh: string;
	access: string;
}

interface Setup {
	h: Harness;
	proxy: (request: Request) => Promise<Response>;
	handlers: ReturnType<typeof createNextHandlers>;
	errors: HttpErrorEvent[];
	exchanges: () => number;
}

function setup(options: Partial<NextProxyOptions> = {}, h: Harness = harness({ accessTokenTtl: TTL })): Setup {
	const errors: HttpErrorEvent[] = [];
	let exchanges = 0;
	const counted = {
		verify: (token: string) => h.service.verify(token),
		exchange: (token: string) => {
			exchanges++;
			return h.service.exchange(token);
		},
	};
	const proxy = createNextProxy(counted, { ...authOptions, clock: h.clock, onError: (event) => errors.push(event), ...options });
	return { h, proxy, handlers: createNextHandlers(h.service, authOptions), errors, exchanges: () => exchanges };
}

/** The Set-Cookie lines of a response for `Path=/` (the one deleting the pre-cookie.path cookie on /auth aside), by name. */
function cookiesOf(response: Response): Map<string, { value: string; attributes: Map<string, string> }> {
	const parsed = response.headers.getSetCookie().map(parseSetCookie);
	return new Map(parsed.filter((cookie) => cookie.attributes.get("path") === "/").map((cookie) => [cookie.name, cookie]));
}

async function login(s: Setup): Promise<Session> {
	const response = await s.handlers.POST(new Request(`${ORIGIN}/auth/login`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: ORIGIN }, body: new URLSearchParams(DEMO_USER) }));
	assert.is(response.status, 200);
	const set = cookiesOf(response);
	return { refresh: set.get("__Host-rk")?.value ?? "", access: set.get("rk_at")?.value ?? "" };
}

function page(path: string, cookieHeader: string, headers: Record<string, string> = {}, method = "GET"): Request {
	return new Request(`${ORIGIN}${path}`, { method, headers: { Accept: "text/html", "User-Agent": "test", Cookie: cookieHeader, ...headers } });
}

/** The request headers Next gives the route, applying the override protocol as next/dist/server/lib/router-utils/resolve-routes.js does. */
function forwarded(request: Request, response: Response): Headers {
	const list = response.headers.get("x-middleware-override-headers");
	if (list === null) return new Headers(request.headers);
	const headers = new Headers();
	for (const name of list.split(",")) {
		const value = response.headers.get(`x-middleware-request-${name.trim()}`);
		if (value !== null) headers.set(name.trim(), value);
	}
	return headers;
}

function assertUntouched(response: Response, message = "exactly NextResponse.next()"): void {
	assert.is(response.status, 200);
	assert.equal([...response.headers.keys()], ["x-middleware-next"], message);
	assert.is(response.headers.get("x-middleware-next"), "1");
}

test("a fresh access token: the request passes through untouched, the store is never asked", async () => {
	const s = setup();
	const session = await login(s);
	s.h.clock.advance(TTL - 61);
	assertUntouched(await s.proxy(page("/me", `theme=dark; __Host-rk=${session.refresh}; rk_at=${session.access}`)));
	assert.is(s.exchanges(), 0);
	assertUntouched(await s.proxy(page("/me", "theme=dark")), "no cookies at all");
	assertUntouched(await s.proxy(page("/me", `rk_at=${session.access}`)), "no refresh cookie: nothing to rotate with");
	assert.is(s.exchanges(), 0);
});

test("a missing access cookie: one rotation, both cookies on the response and in the request the route sees", async () => {
	const s = setup();
	const session = await login(s);
	const request = page("/me?tab=1", `theme=dark; __Host-rk=${session.refresh}; lang=en`);
	const response = await s.proxy(request);
	assert.is(s.exchanges(), 1);
	assert.is(response.status, 200);
	assert.is(response.headers.get("x-middleware-next"), "1");
	assert.is(response.headers.get("cache-control"), "private, no-store");
	// NextResponse.next({ request: { headers } }): every request header listed, in Headers order.
	assert.is(response.headers.get("x-middleware-override-headers"), "accept,cookie,user-agent");
	assert.is(response.headers.get("x-middleware-request-accept"), "text/html");
	assert.is(response.headers.get("x-middleware-request-user-agent"), "test");
	const set = cookiesOf(response);
	const refresh = set.get("__Host-rk");
	const access = set.get("rk_at");
	assert.ok(refresh !== undefined && access !== undefined);
	assert.is.not(refresh?.value, session.refresh, "rotated");
	assert.is(refresh?.attributes.get("path"), "/");
	assert.is(access?.attributes.get("path"), "/");
	assert.is(access?.attributes.get("max-age"), String(TTL));
	for (const attribute of ["httponly", "secure", "samesite"]) assert.ok(refresh?.attributes.has(attribute) && access?.attributes.has(attribute), attribute);
	assert.is(refresh?.attributes.get("samesite"), "Strict");
	// The route sees the new pair, and the other cookies as they were.
	assert.is(forwarded(request, response).get("cookie"), `theme=dark; lang=en; __Host-rk=${refresh?.value}; rk_at=${access?.value}`);
	assert.is((await s.h.service.verify(access?.value ?? "")).sub, "user-alice");
	// The successor is the live token: the route handler rotates it again.
	assert.is((await s.h.service.exchange(refresh?.value ?? "")).sessionId, (await s.h.service.verify(access?.value ?? "")).sid);
});

test("the margin: refreshed inside min(refreshMargin, a quarter of the lifetime), not one second before", async () => {
	const s = setup();
	const session = await login(s);
	const cookies = `__Host-rk=${session.refresh}; rk_at=${session.access}`;
	s.h.clock.advance(TTL - 60);
	assertUntouched(await s.proxy(page("/me", cookies)));
	s.h.clock.advance(0.001);
	const refreshed = await s.proxy(page("/me", cookies));
	assert.ok(cookiesOf(refreshed).has("__Host-rk"), "59.999 s left of a 60 s margin");
	// A margin longer than the token: a quarter of its lifetime instead (never every request).
	const short = setup({ refreshMargin: 3600 }, harness({ accessTokenTtl: 8 }));
	const second = await login(short);
	const pair = `__Host-rk=${second.refresh}; rk_at=${second.access}`;
	short.h.clock.advance(6);
	assertUntouched(await short.proxy(page("/me", pair)));
	short.h.clock.advance(0.001);
	assert.ok(cookiesOf(await short.proxy(page("/me", pair))).has("rk_at"));
	// refreshMargin 0: only a missing or expired token.
	const zero = setup({ refreshMargin: 0 });
	const third = await login(zero);
	zero.h.clock.advance(TTL - 1);
	assertUntouched(await zero.proxy(page("/me", `__Host-rk=${third.refresh}; rk_at=${third.access}`)));
});

test("an expired, forged or garbage access cookie is refreshed like a missing one", async () => {
	const s = setup();
	const session = await login(s);
	s.h.clock.advance(TTL + 10);
	assert.ok(cookiesOf(await s.proxy(page("/me", `__Host-rk=${session.refresh}; rk_at=${session.access}`))).has("rk_at"), "past exp + tolerance");
	const other = setup();
	const second = await login(other);
	const [header, payload] = second.access.split(".");
	const forged = `${header}.${payload}.${"A".repeat(43)}`;
	assert.ok(cookiesOf(await other.proxy(page("/me", `__Host-rk=${second.refresh}; rk_at=${forged}`))).has("rk_at"), "bad signature");
	const third = setup();
	const session3 = await login(third);
	assert.ok(cookiesOf(await third.proxy(page("/me", `__Host-rk=${session3.refresh}; rk_at=garbage`))).has("rk_at"));
});

test("a burst at expiry: ten requests with the same cookies all render signed in and all receive the same successor", async () => {
	const s = setup();
	const session = await login(s);
	s.h.clock.advance(TTL + 1);
	const cookies = `__Host-rk=${session.refresh}; rk_at=${session.access}`;
	const requests = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? page("/me", cookies) : page(`/me?_rsc=${i}`, cookies, { RSC: "1" })));
	const responses = await Promise.all(requests.map((request) => s.proxy(request)));
	const successors = new Set(responses.map((response) => cookiesOf(response).get("__Host-rk")?.value));
	assert.is(successors.size, 1, "one successor");
	assert.not.ok(successors.has(session.refresh));
	for (const [i, response] of responses.entries()) {
		const access = readCookieValue(forwarded(requests[i] as Request, response).get("cookie"), "rk_at");
		assert.is((await s.h.service.verify(access)).sub, "user-alice", `request ${i} renders signed in`);
	}
	assert.is(s.h.events.filter((event) => event.type === "refreshed").length, 1, "one rotation");
	assert.is(s.h.events.filter((event) => event.type === "grace-replayed").length, 9);
	assert.is(s.h.events.filter((event) => event.type === "reuse-detected").length, 0);
});

function readCookieValue(header: string | null, name: string): string {
	const pair = (header ?? "").split("; ").find((part) => part.startsWith(`${name}=`));
	return pair === undefined ? "" : pair.slice(name.length + 1);
}

test("prefetches: a token inside the margin is left alone; a missing or expired one is refreshed", async () => {
	const s = setup();
	const session = await login(s);
	s.h.clock.advance(TTL - 30);
	const cookies = `__Host-rk=${session.refresh}; rk_at=${session.access}`;
	for (const headers of [{ "Next-Router-Prefetch": "1" }, { Purpose: "prefetch" }, { "Sec-Purpose": "prefetch;prerender" }]) {
		assertUntouched(await s.proxy(page("/me", cookies, headers)));
	}
	assert.is(s.exchanges(), 0);
	assert.ok(cookiesOf(await s.proxy(page("/me", cookies))).has("rk_at"), "the same cookies on a navigation are refreshed");
	const other = setup();
	const second = await login(other);
	assert.ok(cookiesOf(await other.proxy(page("/me", `__Host-rk=${second.refresh}`, { "Next-Router-Prefetch": "1" }))).has("rk_at"), "no access cookie");
});

test("never on the auth routes or Next's own paths, never with two cookies of one name", async () => {
	const s = setup();
	const session = await login(s);
	const stale = `__Host-rk=${session.refresh}`;
	for (const path of ["/auth/token", "/auth", "/auth/sessions/x", "/_next/static/chunks/app.js", "/_next/image?url=x"]) {
		assertUntouched(await s.proxy(page(path, stale, {}, path === "/auth/token" ? "POST" : "GET")));
	}
	// A planted second refresh (or access) cookie: never resolved by picking one.
	assertUntouched(await s.proxy(page("/me", `__Host-rk=${session.refresh}; __Host-rk=${session.refresh}`)));
	assertUntouched(await s.proxy(page("/me", `__Host-rk=${session.refresh}; rk_at=a; rk_at=b`)));
	assert.is(s.exchanges(), 0);
	assert.ok(cookiesOf(await s.proxy(page("/authors", stale))).has("rk_at"), "/authors is not under /auth");
});

test("unsafe methods refresh only from an allowed origin (a Server Action POST from the page does)", async () => {
	const s = setup();
	const session = await login(s);
	const stale = `__Host-rk=${session.refresh}`;
	assertUntouched(await s.proxy(page("/me", stale, { Origin: "https://evil.example" }, "POST")));
	assertUntouched(await s.proxy(page("/me", stale, {}, "POST")));
	assert.is(s.exchanges(), 0);
	const action = await s.proxy(page("/me", stale, { Origin: ORIGIN, "Next-Action": "abc" }, "POST"));
	assert.ok(cookiesOf(action).has("rk_at"));
	const sameSite = setup({ allowedOrigins: ["https://app.example.com"] });
	const second = await login(sameSite);
	assertUntouched(await sameSite.proxy(page("/me", `__Host-rk=${second.refresh}`, { Origin: ORIGIN }, "DELETE")));
});

test("a refused refresh token: both cookies cleared, the route renders without them; or a redirect to signInPath", async () => {
	const s = setup();
	const session = await login(s);
	await s.h.service.revoke(session.refresh);
	const request = page("/me", `theme=dark; __Host-rk=${session.refresh}; rk_at=${session.access}`);
	s.h.clock.advance(TTL);
	const response = await s.proxy(request);
	assert.is(response.headers.get("x-middleware-next"), "1");
	const cleared = cookiesOf(response);
	assert.is(cleared.get("__Host-rk")?.attributes.get("max-age"), "0");
	assert.is(cleared.get("__Host-rk")?.attributes.get("path"), "/");
	assert.is(cleared.get("rk_at")?.attributes.get("max-age"), "0");
	assert.is(forwarded(request, response).get("cookie"), "theme=dark");
	assert.equal(
		s.errors.map((event) => [event.route, event.reason, event.status]),
		[["proxy", "ERR_TOKEN_REVOKED", 400]],
	);
	// The cookies alone, gone: no Cookie header at all.
	assert.is(forwarded(request, await s.proxy(page("/me", `__Host-rk=${session.refresh}`))).get("cookie"), null);
	// Not a token of this library: the same.
	assert.is(
		cookiesOf(await s.proxy(page("/me", "__Host-rk=nonsense")))
			.get("__Host-rk")
			?.attributes.get("max-age"),
		"0",
	);
	const redirecting = setup({ signInPath: "/login?from=proxy" });
	const second = await login(redirecting);
	await redirecting.h.service.revoke(second.refresh);
	const redirect = await redirecting.proxy(new Request("http://localhost:3000/me", { headers: { Cookie: `__Host-rk=${second.refresh}`, "X-Forwarded-Host": "app.example.com", "X-Forwarded-Proto": "https" } }));
	assert.is(redirect.status, 307);
	assert.is(redirect.headers.get("location"), "https://app.example.com/login?from=proxy", "the public origin, not next start's");
	assert.is(cookiesOf(redirect).get("rk_at")?.attributes.get("max-age"), "0");
	assert.is(redirect.headers.get("x-middleware-next"), null);
	// A Server Action is not redirected (a 307 would re-send its POST): it runs signed out.
	const action = await redirecting.proxy(page("/me", `__Host-rk=${second.refresh}`, { Origin: ORIGIN }, "POST"));
	assert.is(action.headers.get("x-middleware-next"), "1");
	assert.is(cookiesOf(action).get("__Host-rk")?.attributes.get("max-age"), "0");
});

test("a reused token keeps the browser's cookies (it may hold the winner's) and renders without the retired ones", async () => {
	const s = setup({}, harness({ accessTokenTtl: TTL, refresh: { onReuse: "report-only" } }));
	const session = await login(s);
	const winner = await s.h.service.exchange(session.refresh);
	s.h.clock.advance(11); // past the 10 s grace window
	const late = page("/me", `__Host-rk=${session.refresh}; theme=dark`);
	const response = await s.proxy(late);
	assert.equal(response.headers.getSetCookie(), [], "nothing cleared");
	assert.is(forwarded(late, response).get("cookie"), "theme=dark");
	assert.is(s.errors[0]?.reason, "ERR_TOKEN_REUSED");
	// Under report-only the winner's token still works: the next request refreshes with it.
	assert.ok((await s.h.service.exchange(winner.refreshToken)).refreshToken.startsWith("rk2_"));
});

test("the store down: the request passes through with its cookies, nothing cleared, the token still good", async () => {
	const h = harness({ accessTokenTtl: TTL, store: faultyStore(memoryStore()) });
	const s = setup({}, h);
	const session = await login(s);
	(h.store as ReturnType<typeof faultyStore>).arm("rotateToken", "before");
	const response = await s.proxy(page("/me", `__Host-rk=${session.refresh}`));
	assertUntouched(response);
	assert.equal(
		s.errors.map((event) => [event.route, event.reason, event.status, event.error]),
		[["proxy", "ERR_STORE_UNAVAILABLE", 503, "temporarily_unavailable"]],
	);
	assert.ok(cookiesOf(await s.proxy(page("/me", `__Host-rk=${session.refresh}`))).has("rk_at"), "the next request refreshes with the same token");
});

test("an exception that is no TokenError: passed through (never a 500 on every page), reported", async () => {
	const errors: HttpErrorEvent[] = [];
	const broken = {
		verify: () => Promise.reject(new TypeError("bug")),
		exchange: () => Promise.reject(new Error("never called")),
	};
	const proxy = createNextProxy(broken, { ...authOptions, onError: (event) => errors.push(event) });
	assertUntouched(await proxy(page("/me", "__Host-rk=x; rk_at=y")));
	assert.is(errors[0]?.reason, "ERR_INTERNAL");
	assert.ok(errors[0]?.cause instanceof TypeError);
	const failing = createNextProxy(
		{ verify: broken.verify, exchange: () => Promise.reject(new RangeError("x")) },
		{
			...authOptions,
			onError: () => {
				throw new Error("broken hook");
			},
		},
	);
	assertUntouched(await failing(page("/me", "__Host-rk=x")));
});

/** The Set-Cookie lines of a login through handlers with `cookie`, as [name, path, "set" | "deleted"]. */
async function loginLines(service: Parameters<typeof createNextHandlers>[0], cookie: CookieOptions): Promise<string[][]> {
	const handlers = createNextHandlers(service, { authenticate: testAuthenticate, cookie });
	const login = await handlers.POST(new Request(`${ORIGIN}/auth/login`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: ORIGIN }, body: new URLSearchParams(DEMO_USER) }));
	return login.headers
		.getSetCookie()
		.map(parseSetCookie)
		.map((line) => [line.name, line.attributes.get("path") ?? "", line.value === "" ? "deleted" : "set"]);
}

test("the route handlers and the proxy share one cookie definition: cookie.path, and the old path retired", async () => {
	const s = setup();
	const session = await login(s);
	// Login through the handlers: the refresh cookie on / (cookie.path). A __Host- cookie can only
	// ever have lived host-only on /, so there is no other variant to delete.
	const response = await s.handlers.POST(new Request(`${ORIGIN}/auth/login`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: ORIGIN }, body: new URLSearchParams(DEMO_USER) }));
	const lines = response.headers.getSetCookie();
	assert.ok(lines.some((line) => line.startsWith("__Host-rk=rk2_") && line.includes("; Path=/;")));
	assert.not.ok(
		lines.some((line) => line.includes("Max-Age=0")),
		"nothing deleted",
	);
	// What the proxy set is what /auth/token reads and /auth/logout clears.
	const refreshed = cookiesOf(await s.proxy(page("/me", `__Host-rk=${session.refresh}`)));
	const token = await s.handlers.POST(
		new Request(`${ORIGIN}/auth/token`, {
			method: "POST",
			headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: ORIGIN, Cookie: `__Host-rk=${refreshed.get("__Host-rk")?.value}` },
			body: "grant_type=refresh_token",
		}),
	);
	assert.is(token.status, 200);
	const logout = await s.handlers.POST(new Request(`${ORIGIN}/auth/logout`, { method: "POST", headers: { Origin: ORIGIN, Cookie: `__Host-rk=${cookiesOf(token).get("__Host-rk")?.value}` } }));
	assert.is(logout.status, 204);
	const cleared = logout.headers.getSetCookie();
	assert.is(cleared.length, 2);
	assert.ok(cleared.every((line) => line.includes("Max-Age=0")));
	// Without cookie.path: Path=/auth, and the variant an earlier cookie.path "/" may have left is
	// deleted first (so a client keeping cookies by name only still ends with the new one).
	assert.equal(await loginLines(s.h.service, { name: "rk", accessTokenName: "at" }), [
		["rk", "/", "deleted"],
		["rk", "/auth", "set"],
		["at", "/", "set"],
	]);
	// Moved to cookie.path "/": the one on /auth is deleted.
	assert.equal(await loginLines(s.h.service, { name: "rk", accessTokenName: "at", path: "/" }), [
		["rk", "/auth", "deleted"],
		["rk", "/", "set"],
		["at", "/", "set"],
	]);
});

test("options: checked once, ERR_CONFIG_INVALID", async () => {
	const h = harness();
	const invalid = async (options: unknown, pattern: RegExp): Promise<void> => {
		const error = await rejects((async () => createNextProxy(h.service, options as NextProxyOptions))(), "ERR_CONFIG_INVALID");
		assert.match(error.message, pattern);
	};
	await invalid({ cookie: { name: "rk" } }, /accessTokenName/);
	await invalid({}, /accessTokenName/);
	await invalid({ ...authOptions, basePath: "/" }, /root/);
	await invalid({ ...authOptions, refreshMargin: -1 }, /refreshMargin/);
	await invalid({ ...authOptions, refreshMargin: "60" }, /refreshMargin/);
	for (const signInPath of ["//evil.example/x", "https://evil.example", "login", "/a b", "/\\evil"]) await invalid({ ...authOptions, signInPath }, /signInPath/);
	await invalid({ ...authOptions, clock: Date }, /clock/);
	await invalid({ ...authOptions, marginn: 1 }, /unknown option marginn/);
	await invalid({ ...authOptions, cookie: { ...cookie, path: "/app" } }, /cookie.path/);
	await invalid({ ...authOptions, basePath: "/app/auth", cookie: { ...cookie, path: "/ap" } }, /cookie.path/);
	await invalid({ ...authOptions, cookie: { ...cookie, path: "/ auth" } }, /cookie.path/);
	// The handlers check cookie.path the same way.
	await rejects((async () => createNextHandlers(h.service, { cookie: { name: "rk", path: "/elsewhere" } }))(), "ERR_CONFIG_INVALID");
	assert.type(createNextProxy(h.service, { ...authOptions, basePath: "/app/auth", cookie: { ...cookie, name: "__Secure-rk", path: "/app/" } }), "function");
	// A __Host- refresh cookie must be on "/" (browsers drop it otherwise), whatever cookie.path says.
	await invalid({ ...authOptions, basePath: "/app/auth", cookie: { ...cookie, path: "/app/" } }, /__Host-/);
	assert.type(createNextProxy(h.service, { cookie: { name: "rk", accessTokenName: "at", path: "/auth" } }), "function", "the default path is allowed (the proxy then guards /auth only)");
});

test.run();
