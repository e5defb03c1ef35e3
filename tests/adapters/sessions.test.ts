// The sessions routes (`sessions: true`: GET /sessions, DELETE /sessions/{id}, DELETE /sessions)
// over real sockets: the Node adapter in JSON mode (Bearer) and in cookie mode (the access
// cookie, and the origin rule for DELETE), and the fetch and Next.js handlers behind a server.
import type { IncomingMessage, ServerResponse } from "node:http";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createFetchHandler, type FetchHandlerOptions, type HttpErrorEvent } from "../../adapters/fetch/index.js";
import { createNextHandlers } from "../../adapters/next/index.js";
import { createNodeHandler } from "../../adapters/node/index.js";
import { TokenError, type TokenService } from "../../core/index.js";
import type { TokenStore } from "../../core/port.js";
import { MAX_LIST_LIMIT } from "../../core/types.js";
import { memoryStore } from "../../storage/memory/index.js";
import { type Harness, harness } from "../helpers.js";
import { assertError, DEMO_USER, listen, postJSON, type RawResponse, send, type TestServer, testAuthenticate } from "./helpers.js";

interface Login {
	sub: string;
	access: string;
	refresh: string;
	sid: string;
}

interface Entry {
	id: string;
	device: string | null;
	created_at: string;
	last_used_at: string;
	expires_at: string | null;
	current: boolean;
}

const EVIL = "https://evil.example";

/** A node:http server for a fetch-style handler: the request as a fetch `Request`, the `Response` written back. */
function serveFetch(handler: (request: Request) => Promise<Response>): Promise<TestServer> {
	return listen((req, res) => void bridge(handler, req, res));
}

async function bridge(handler: (request: Request) => Promise<Response>, req: IncomingMessage, res: ServerResponse): Promise<void> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	const headers = new Headers();
	for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
	const method = req.method ?? "GET";
	const body = chunks.length === 0 || method === "GET" || method === "HEAD" ? null : Buffer.concat(chunks);
	const response = await handler(new Request(`http://${req.headers.host}${req.url}`, { method, headers, body }));
	const out: Record<string, string | string[]> = { "set-cookie": response.headers.getSetCookie() };
	response.headers.forEach((value, name) => {
		if (name !== "set-cookie") out[name] = value;
	});
	res.writeHead(response.status, out).end(Buffer.from(await response.arrayBuffer()));
}

function entries(response: RawResponse): Entry[] {
	assert.is(response.status, 200, response.text);
	const body = response.json() as { sessions: Entry[] };
	assert.equal(Object.keys(body), ["sessions"]);
	return body.sessions;
}

function bearer(login: Login): Record<string, string> {
	return { Authorization: `Bearer ${login.access}` };
}

/** A JSON-mode login through the handler, with a device label. */
async function loginAt(base: string, service: TokenService, device: string): Promise<Login> {
	const response = await postJSON(`${base}/login`, { ...DEMO_USER, device });
	assert.is(response.status, 200, response.text);
	const body = response.json();
	const access = String(body.access_token);
	const { sub, sid } = await service.verify(access);
	return { sub, access, refresh: String(body.refresh_token), sid };
}

/** A session of another subject, issued directly. */
async function stranger(service: TokenService): Promise<Login> {
	const tokens = await service.issue({ subject: "user-bob", device: "Bob's phone" });
	return { sub: "user-bob", access: tokens.accessToken, refresh: tokens.refreshToken, sid: tokens.sessionId };
}

async function isLive(service: TokenService, login: Login): Promise<boolean> {
	return (await service.listSessions(login.sub)).some((session) => session.id === login.sid);
}

// --- Node adapter, JSON mode: Bearer tokens -------------------------------------------------------

const json = suite("sessions routes: Node adapter, Bearer");
let h: Harness;
let server: TestServer;
let base = "";
const errors: HttpErrorEvent[] = [];

json.before.each(async () => {
	// A fresh service per case: each case counts the sessions it sees.
	h = harness();
	errors.length = 0;
	server ??= await listen((req, res) => void handler(req, res));
	base = `${server.url}/auth`;
});
json.after(async () => {
	await server?.close();
});
/** A handler over the case's service (`h` changes per case; a handler is cheap to make). */
function handler(req: IncomingMessage, res: ServerResponse): Promise<void> {
	return createNodeHandler(h.service, { authenticate: testAuthenticate, sessions: true, onError: (event) => errors.push(event) })(req, res);
}

json("off by default: without sessions: true the paths answer 404 like any unknown path", async () => {
	const plain = await listen((req, res) => void createNodeHandler(h.service, { authenticate: testAuthenticate })(req, res));
	try {
		const login = await loginAt(`${plain.url}/auth`, h.service, "laptop");
		assertError(await send(`${plain.url}/auth/sessions`, { headers: bearer(login) }), 404, "not_found");
		assertError(await send(`${plain.url}/auth/sessions/${login.sid}`, { method: "DELETE", headers: bearer(login) }), 404, "not_found");
		assert.ok(await isLive(h.service, login));
	} finally {
		await plain.close();
	}
});

json("GET /sessions lists the caller's live sessions only, the current one marked, no token material", async () => {
	const laptop = await loginAt(base, h.service, "laptop");
	h.clock.advance(1);
	const phone = await loginAt(base, h.service, "phone");
	const ended = await loginAt(base, h.service, "old tablet");
	await h.service.revokeSession(ended.sid);
	const bob = await stranger(h.service);
	const response = await send(`${base}/sessions`, { headers: bearer(phone) });
	assert.is(response.headers["cache-control"], "no-store");
	assert.is(response.headers.pragma, "no-cache");
	assert.match(String(response.headers["content-type"]), /^application\/json/);
	const listed = entries(response);
	assert.equal(
		listed.map((entry) => [entry.id, entry.device, entry.current]),
		[
			[laptop.sid, "laptop", false],
			[phone.sid, "phone", true],
		],
	);
	const first = listed[0] as Entry;
	assert.equal(Object.keys(first).sort(), ["created_at", "current", "device", "expires_at", "id", "last_used_at"]);
	const loggedIn = h.clock.now().getTime() - 1000;
	assert.is(first.created_at, new Date(loggedIn).toISOString());
	assert.is(first.last_used_at, new Date(loggedIn).toISOString());
	assert.is(first.expires_at, new Date(loggedIn + 30 * 86_400_000).toISOString());
	for (const secret of [laptop.refresh, phone.refresh, laptop.access, phone.access, bob.sid, "rk2_"]) assert.not.ok(response.text.includes(secret));
	// HEAD: the same answer without a body.
	const head = await send(`${base}/sessions`, { method: "HEAD", headers: bearer(phone) });
	assert.is(head.status, 200);
	assert.is(head.text, "");
});

json("DELETE /sessions/{id} ends one of the caller's own sessions: 204, its refresh token refused", async () => {
	const laptop = await loginAt(base, h.service, "laptop");
	const phone = await loginAt(base, h.service, "phone");
	const response = await send(`${base}/sessions/${phone.sid}`, { method: "DELETE", headers: bearer(laptop) });
	assert.is(response.status, 204, response.text);
	assert.is(response.text, "");
	assert.is(response.headers["cache-control"], "no-store");
	assertError(await postJSON(`${base}/token`, { grant_type: "refresh_token", refresh_token: phone.refresh }), 400, "invalid_grant");
	assert.equal(
		entries(await send(`${base}/sessions`, { headers: bearer(laptop) })).map((entry) => entry.id),
		[laptop.sid],
	);
	// Again: it is no longer one of the caller's sessions.
	assertError(await send(`${base}/sessions/${phone.sid}`, { method: "DELETE", headers: bearer(laptop) }), 404, "not_found");
	// The caller's own session, by id (upper case works too): it ends like a logout.
	assert.is((await send(`${base}/sessions/${laptop.sid.toUpperCase()}`, { method: "DELETE", headers: bearer(laptop) })).status, 204);
	assert.not.ok(await isLive(h.service, laptop));
});

json("someone else's session id answers 404 exactly as an unknown one, and nothing is revoked", async () => {
	const alice = await loginAt(base, h.service, "laptop");
	const bob = await stranger(h.service);
	const foreign = await send(`${base}/sessions/${bob.sid}`, { method: "DELETE", headers: bearer(alice) });
	const unknown = await send(`${base}/sessions/${crypto.randomUUID()}`, { method: "DELETE", headers: bearer(alice) });
	const malformed = await send(`${base}/sessions/not-a-session`, { method: "DELETE", headers: bearer(alice) });
	assertError(foreign, 404, "not_found");
	for (const other of [unknown, malformed]) {
		assert.is(other.status, foreign.status);
		assert.is(other.text, foreign.text);
		assert.equal(
			Object.keys(other.headers)
				.filter((name) => name !== "date")
				.sort(),
			Object.keys(foreign.headers)
				.filter((name) => name !== "date")
				.sort(),
		);
	}
	assert.is(foreign.json().error_description, "no such session");
	assert.ok(await isLive(h.service, bob), "Bob's session is untouched");
	assert.is((await h.service.exchange(bob.refresh)).sessionId, bob.sid);
	assert.equal(
		errors.map((event) => [event.status, event.reason, event.route]),
		[
			[404, "ERR_SESSION_NOT_FOUND", "sessions"],
			[404, "ERR_SESSION_NOT_FOUND", "sessions"],
			[404, "ERR_SESSION_NOT_FOUND", "sessions"],
		],
	);
});

json("DELETE /sessions ends all the caller's sessions but the current one: 200 { revoked }", async () => {
	const laptop = await loginAt(base, h.service, "laptop");
	const others = [await loginAt(base, h.service, "phone"), await loginAt(base, h.service, "tablet")];
	const bob = await stranger(h.service);
	const response = await send(`${base}/sessions`, { method: "DELETE", headers: bearer(laptop) });
	assert.is(response.status, 200, response.text);
	assert.is(response.headers["cache-control"], "no-store");
	assert.equal(response.json(), { revoked: 2 });
	for (const other of others) assertError(await postJSON(`${base}/token`, { grant_type: "refresh_token", refresh_token: other.refresh }), 400, "invalid_grant");
	assert.is((await postJSON(`${base}/token`, { grant_type: "refresh_token", refresh_token: laptop.refresh })).status, 200, "the current session goes on");
	assert.ok(await isLive(h.service, bob));
	assert.equal((await send(`${base}/sessions`, { method: "DELETE", headers: bearer(laptop) })).json(), { revoked: 0 });
});

json("no valid access token is 401: none, garbage, expired; nothing is listed or revoked", async () => {
	const laptop = await loginAt(base, h.service, "laptop");
	const phone = await loginAt(base, h.service, "phone");
	const none = await send(`${base}/sessions`);
	assert.is(none.status, 401);
	assert.is(none.headers["www-authenticate"], 'Bearer realm="api"');
	assertError(await send(`${base}/sessions`, { method: "DELETE" }), 401, "unauthorized");
	const garbage = await send(`${base}/sessions/${phone.sid}`, { method: "DELETE", headers: { Authorization: "Bearer not.a.jwt" } });
	assertError(garbage, 401, "invalid_token");
	assert.match(String(garbage.headers["www-authenticate"]), /error="invalid_token"/);
	assertError(await send(`${base}/sessions`, { headers: { Authorization: "Bearer" } }), 400, "invalid_request");
	// Past exp (15 min) and the verifier's 5 s tolerance: refused, though the session lives on.
	h.clock.advance(15 * 60 + 6);
	assertError(await send(`${base}/sessions`, { headers: bearer(laptop) }), 401, "invalid_token");
	assertError(await send(`${base}/sessions/${phone.sid}`, { method: "DELETE", headers: bearer(laptop) }), 401, "invalid_token");
	assertError(await send(`${base}/sessions`, { method: "DELETE", headers: bearer(laptop) }), 401, "invalid_token");
	assert.ok(await isLive(h.service, phone), "nothing revoked");
	// Each refusal reported with its precise reason.
	assert.equal(
		errors.map((event) => [event.status, event.error, event.reason, event.route]),
		[
			[401, "unauthorized", "ERR_ACCESS_REFUSED", "sessions"],
			[401, "unauthorized", "ERR_ACCESS_REFUSED", "sessions"],
			[401, "invalid_token", "ERR_ACCESS_TOKEN_INVALID", "sessions"],
			[400, "invalid_request", "ERR_AUTHORIZATION_MALFORMED", "sessions"],
			[401, "invalid_token", "ERR_ACCESS_TOKEN_EXPIRED", "sessions"],
			[401, "invalid_token", "ERR_ACCESS_TOKEN_EXPIRED", "sessions"],
			[401, "invalid_token", "ERR_ACCESS_TOKEN_EXPIRED", "sessions"],
		],
	);
});

json("a signed-out device's access token, still unexpired, can no longer list or sign the others out", async () => {
	const laptop = await loginAt(base, h.service, "laptop");
	const thief = await loginAt(base, h.service, "thief");
	assert.equal((await send(`${base}/sessions`, { method: "DELETE", headers: bearer(laptop) })).json(), { revoked: 1 });
	// The thief's access token verifies for up to 15 more minutes, but its session has ended.
	assert.is((await h.service.verify(thief.access)).sid, thief.sid);
	for (const [method, path] of [
		["GET", "/sessions"],
		["DELETE", "/sessions"],
		["DELETE", `/sessions/${laptop.sid}`],
	] as const) {
		const refused = await send(`${base}${path}`, { method, headers: bearer(thief) });
		assertError(refused, 401, "invalid_token");
		assert.match(String(refused.headers["www-authenticate"]), /^Bearer realm="api", error="invalid_token"/);
	}
	assert.ok(await isLive(h.service, laptop), "the thief could not sign the owner out in turn");
	assert.ok(errors.some((event) => event.reason === "ERR_SESSION_ENDED" && event.status === 401));
});

json(`a subject with more live sessions than one listing holds (${MAX_LIST_LIMIT}): the newest one is still the caller's`, async () => {
	for (let i = 0; i < MAX_LIST_LIMIT; i++) await h.service.issue({ subject: "user-alice", device: `old ${i}` });
	// Later than all of them: the listing is oldest first (then by id).
	h.clock.advance(1);
	const newest = await loginAt(base, h.service, "newest");
	const other = await loginAt(base, h.service, "other");
	// GET lists the oldest 1000 (the caller's beyond them, so none marked current), not a 401.
	const listed = entries(await send(`${base}/sessions`, { headers: bearer(newest) }));
	assert.is(listed.length, MAX_LIST_LIMIT);
	assert.not.ok(listed.some((entry) => entry.current));
	assert.is((await send(`${base}/sessions/${other.sid}`, { method: "DELETE", headers: bearer(newest) })).status, 204);
	assert.not.ok(await isLive(h.service, other));
	assert.equal((await send(`${base}/sessions`, { method: "DELETE", headers: bearer(newest) })).json(), { revoked: MAX_LIST_LIMIT });
	assert.equal(
		entries(await send(`${base}/sessions`, { headers: bearer(newest) })).map((entry) => [entry.id, entry.current]),
		[[newest.sid, true]],
	);
	assert.equal(errors, []);
});

json(`a full listing without the caller's session, which has ended: 401, as with a short one`, async () => {
	for (let i = 0; i < MAX_LIST_LIMIT; i++) await h.service.issue({ subject: "user-alice" });
	h.clock.advance(1);
	const ended = await loginAt(base, h.service, "ended");
	await h.service.revokeSession(ended.sid);
	assertError(await send(`${base}/sessions`, { headers: bearer(ended) }), 401, "invalid_token");
	assert.equal(
		errors.map((event) => event.reason),
		["ERR_SESSION_ENDED"],
	);
});

json("store calls: GET one listing when it holds the caller's session; a DELETE one lookup by id first, never a listing", async () => {
	const inner = memoryStore();
	const calls: string[] = [];
	const store: TokenStore = { ...inner };
	for (const verb of ["findSession", "listSessions", "revokeSession"] as const) {
		store[verb] = ((...args: never[]) => {
			calls.push(verb);
			return (inner[verb] as (...args: never[]) => Promise<unknown>)(...args);
		}) as never;
	}
	h = harness({ store });
	const laptop = await loginAt(base, h.service, "laptop");
	const phone = await loginAt(base, h.service, "phone");
	calls.length = 0;
	entries(await send(`${base}/sessions`, { headers: bearer(laptop) }));
	assert.equal(calls, ["listSessions"]);
	calls.length = 0;
	assert.is((await send(`${base}/sessions/${phone.sid}`, { method: "DELETE", headers: bearer(laptop) })).status, 204);
	assert.equal(calls, ["findSession", "findSession", "revokeSession"], "the caller's session, then the one to end (revokeSession's ownership check)");
});

json("wrong methods are 405 with Allow; a DELETE with a body is served and the body ignored", async () => {
	const laptop = await loginAt(base, h.service, "laptop");
	const phone = await loginAt(base, h.service, "phone");
	const post = await send(`${base}/sessions`, { method: "POST", headers: bearer(laptop) });
	assertError(post, 405, "invalid_request");
	assert.is(post.headers.allow, "GET, HEAD, DELETE");
	const get = await send(`${base}/sessions/${phone.sid}`, { headers: bearer(laptop) });
	assertError(get, 405, "invalid_request");
	assert.is(get.headers.allow, "DELETE");
	assertError(await send(`${base}/sessions/${phone.sid}/more`, { method: "DELETE", headers: bearer(laptop) }), 404, "not_found");
	const chunked = await send(`${base}/sessions/${phone.sid}`, { method: "DELETE", headers: { ...bearer(laptop), "Content-Type": "application/json" }, body: ['{"ignored":', '"yes"}'] });
	assert.is(chunked.status, 204);
	assert.not.ok(await isLive(h.service, phone));
});

json("a store that fails answers 503 with Retry-After, never 500", async () => {
	const healthy = memoryStore();
	let failing = false;
	const store: TokenStore = {
		...healthy,
		listSessions: (...args) => (failing ? Promise.reject(new Error("connection lost")) : healthy.listSessions(...args)),
	};
	h = harness({ store });
	const laptop = await loginAt(base, h.service, "laptop");
	failing = true;
	const response = await send(`${base}/sessions`, { headers: bearer(laptop) });
	assertError(response, 503, "temporarily_unavailable");
	assert.is(response.headers["retry-after"], "2");
	assertError(await send(`${base}/sessions`, { method: "DELETE", headers: bearer(laptop) }), 503, "temporarily_unavailable");
});

json("hostile requests to the sessions paths: never a 5xx, every error JSON, nothing revoked", async () => {
	const laptop = await loginAt(base, h.service, "laptop");
	const phone = await loginAt(base, h.service, "phone");
	const paths = [
		"/sessions",
		"/sessions/",
		"/sessions//",
		`/sessions/${phone.sid}/`,
		"/sessions/%00",
		"/sessions/%2F..%2F",
		"/sessions/__proto__",
		"/sessions/constructor",
		`/sessions/${"a".repeat(5000)}`,
		"/sessions/%ff",
		`/sessions/${phone.sid}%00`,
		"/SESSIONS",
		"/sessions?id=1",
	];
	const auths = [
		{},
		{ Authorization: "Bearer" },
		{ Authorization: "Bearer a b" },
		{ Authorization: `Bearer ${"a".repeat(9000)}` },
		{ Authorization: ["Bearer x", "Bearer y"] },
		{ Authorization: "Basic Zm9vOmJhcg==" },
		{ Cookie: "rk_at=1; rk_at=2" },
	];
	let sent = 0;
	for (const path of paths) {
		for (const method of ["GET", "HEAD", "DELETE", "POST", "PUT", "OPTIONS"]) {
			for (const headers of auths) {
				const response = await send(`${base}${path}`, { method, headers: headers as Record<string, string | string[]> });
				sent++;
				assert.ok(response.status < 500, `${method} ${path.slice(0, 40)} ${JSON.stringify(headers).slice(0, 60)} → ${response.status}`);
				if (method !== "HEAD") assert.type(response.json().error, "string");
			}
		}
	}
	assert.ok(sent > 500);
	assert.ok(await isLive(h.service, phone));
	assert.ok(await isLive(h.service, laptop));
});

json("createFetchHandler refuses sessions: true with a service that cannot list or look a session up, and a non-boolean", () => {
	const { issue, exchange, revoke, revokeSession, verify, jwks } = h.service;
	const partial = { issue, exchange, revoke, revokeSession, verify, jwks };
	assert.throws(
		() => createFetchHandler(partial, { sessions: true }),
		(error: unknown) => error instanceof TokenError && error.code === "ERR_CONFIG_INVALID",
	);
	// A service from before getSession existed: it cannot check the caller's own session.
	const { listSessions, revokeSubject } = h.service;
	assert.throws(
		() => createFetchHandler({ ...partial, listSessions, revokeSubject }, { sessions: true }),
		(error: unknown) => error instanceof TokenError && error.code === "ERR_CONFIG_INVALID" && error.message.includes("getSession"),
	);
	assert.throws(
		() => createFetchHandler(h.service, { sessions: "yes" as unknown as boolean }),
		(error: unknown) => error instanceof TokenError && error.code === "ERR_CONFIG_INVALID",
	);
	createFetchHandler(partial, {});
});

json.run();

// --- Cookie mode: the access cookie, and the origin rule for DELETE ---------------------------------

const cookieMode = suite("sessions routes: Node adapter, access cookie");
const cookie = { name: "__Secure-rk", accessTokenName: "rk_at" };
let ch: Harness;
let cookieServer: TestServer;
let cookieBase = "";
const cookieErrors: HttpErrorEvent[] = [];

cookieMode.before.each(async () => {
	ch = harness();
	cookieErrors.length = 0;
	cookieServer ??= await listen(
		(req, res) =>
			void createNodeHandler(ch.service, { authenticate: testAuthenticate, cookie, sessions: true, allowedOrigins: [cookieServer.origin, "https://app.example"], onError: (event) => cookieErrors.push(event) })(req, res),
	);
	cookieBase = `${cookieServer.url}/auth`;
});
cookieMode.after(async () => {
	await cookieServer?.close();
});

function accessCookie(login: Login): Record<string, string> {
	return { Cookie: `${cookie.name}=${login.refresh}; ${cookie.accessTokenName}=${login.access}` };
}

/** A session of user-alice issued directly, a second after the previous one (so the listing order is the login order). */
async function issueAt(h: Harness, device: string): Promise<Login> {
	h.clock.advance(1);
	const tokens = await h.service.issue({ subject: "user-alice", device });
	return { sub: "user-alice", access: tokens.accessToken, refresh: tokens.refreshToken, sid: tokens.sessionId };
}

function issued(device: string): Promise<Login> {
	return issueAt(ch, device);
}

cookieMode("GET with the access cookie is served from any origin (a safe method)", async () => {
	const laptop = await issued("laptop");
	const listed = entries(await send(`${cookieBase}/sessions`, { headers: { ...accessCookie(laptop), Origin: EVIL } }));
	assert.equal(
		listed.map((entry) => [entry.id, entry.current]),
		[[laptop.sid, true]],
	);
});

cookieMode("a cookie-authenticated DELETE from another origin is 403 and revokes nothing", async () => {
	const laptop = await issued("laptop");
	const phone = await issued("phone");
	for (const headers of [{ Origin: EVIL }, { "Sec-Fetch-Site": "cross-site" }, { "Sec-Fetch-Site": "same-site" }, {}]) {
		assertError(await send(`${cookieBase}/sessions/${phone.sid}`, { method: "DELETE", headers: { ...accessCookie(laptop), ...headers } }), 403, "access_denied");
		assertError(await send(`${cookieBase}/sessions`, { method: "DELETE", headers: { ...accessCookie(laptop), ...headers } }), 403, "access_denied");
	}
	assert.ok(await isLive(ch.service, phone));
	assert.is((await ch.service.listSessions("user-alice")).length, 2);
	assert.equal([...new Set(cookieErrors.map((event) => `${event.status} ${event.reason}`))], ["403 ERR_ORIGIN"]);
});

cookieMode("two access cookies are 400, reported as ERR_COOKIE_DUPLICATE; nothing listed or revoked", async () => {
	const laptop = await issued("laptop");
	const phone = await issued("phone");
	const twice = { Cookie: `${cookie.accessTokenName}=${laptop.access}; ${cookie.accessTokenName}=${phone.access}`, Origin: cookieServer.origin };
	assertError(await send(`${cookieBase}/sessions`, { headers: twice }), 400, "invalid_request");
	assertError(await send(`${cookieBase}/sessions/${phone.sid}`, { method: "DELETE", headers: twice }), 400, "invalid_request");
	assert.ok(await isLive(ch.service, phone));
	assert.equal(
		cookieErrors.map((event) => [event.status, event.error, event.reason, event.route]),
		[
			[400, "invalid_request", "ERR_COOKIE_DUPLICATE", "sessions"],
			[400, "invalid_request", "ERR_COOKIE_DUPLICATE", "sessions"],
		],
	);
});

cookieMode("a cookie-authenticated DELETE from an allowed origin (or Sec-Fetch-Site: same-origin) is served", async () => {
	const laptop = await issued("laptop");
	const phone = await issued("phone");
	const tablet = await issued("tablet");
	assert.is((await send(`${cookieBase}/sessions/${phone.sid}`, { method: "DELETE", headers: { ...accessCookie(laptop), Origin: cookieServer.origin } })).status, 204);
	assert.is((await send(`${cookieBase}/sessions/${tablet.sid}`, { method: "DELETE", headers: { ...accessCookie(laptop), "Sec-Fetch-Site": "same-origin" } })).status, 204);
	await issued("watch");
	assert.equal((await send(`${cookieBase}/sessions`, { method: "DELETE", headers: { ...accessCookie(laptop), Origin: "https://app.example" } })).json(), { revoked: 1 });
	assert.equal(
		(await ch.service.listSessions("user-alice")).map((session) => session.id),
		[laptop.sid],
	);
});

cookieMode("a Bearer DELETE needs no origin check, even in cookie mode (no page can attach one cross-origin)", async () => {
	const laptop = await issued("laptop");
	const phone = await issued("phone");
	assert.is((await send(`${cookieBase}/sessions/${phone.sid}`, { method: "DELETE", headers: { ...bearer(laptop), Origin: EVIL } })).status, 204);
	// A native client sends neither Origin nor Sec-Fetch-Site.
	assert.is(entries(await send(`${cookieBase}/sessions`, { headers: bearer(laptop) })).length, 1);
});

cookieMode.run();

// --- The fetch and Next.js handlers behind a server --------------------------------------------------

const fetchLike = suite("sessions routes: createFetchHandler and createNextHandlers");

for (const [name, make] of [
	["createFetchHandler", (service: TokenService, options: FetchHandlerOptions) => createFetchHandler(service, options)],
	[
		"createNextHandlers",
		(service: TokenService, options: FetchHandlerOptions) => {
			const { GET, POST, DELETE } = createNextHandlers(service, options);
			return (request: Request) => ({ GET, HEAD: GET, POST, DELETE })[request.method as "GET"]?.(request) ?? Promise.resolve(new Response(null, { status: 405 }));
		},
	],
] as const) {
	fetchLike(`${name}: list, revoke one (404 for someone else's), revoke the others, cookie DELETE cross-origin 403`, async () => {
		const fh = harness();
		const service = fh.service;
		const target = await serveFetch(make(service, { authenticate: testAuthenticate, cookie, sessions: true }));
		try {
			const at = `${target.url}/auth`;
			const laptop = await issueAt(fh, "laptop");
			const phone = await issueAt(fh, "phone");
			const tablet = await issueAt(fh, "tablet");
			const bob = await stranger(service);
			const cookies = { Cookie: `${cookie.accessTokenName}=${laptop.access}` };
			assert.equal(
				entries(await send(`${at}/sessions`, { headers: cookies })).map((entry) => [entry.device, entry.current]),
				[
					["laptop", true],
					["phone", false],
					["tablet", false],
				],
			);
			assertError(await send(`${at}/sessions/${phone.sid}`, { method: "DELETE", headers: { ...cookies, Origin: EVIL } }), 403, "access_denied");
			assertError(await send(`${at}/sessions/${bob.sid}`, { method: "DELETE", headers: { ...cookies, Origin: target.origin } }), 404, "not_found");
			assert.is((await send(`${at}/sessions/${phone.sid}`, { method: "DELETE", headers: { ...cookies, Origin: target.origin } })).status, 204);
			assert.equal((await send(`${at}/sessions`, { method: "DELETE", headers: { ...cookies, Origin: target.origin } })).json(), { revoked: 1 });
			assert.not.ok(await isLive(service, tablet));
			assert.ok(await isLive(service, bob));
			assert.ok(await isLive(service, laptop));
			assertError(await send(`${at}/sessions`), 401, "unauthorized");
		} finally {
			await target.close();
		}
	});
}

fetchLike.run();
