// The Node adapter: next() pass-through in a Connect-style chain, Express-style mounting,
// requireAuth (RFC 6750), store outages (503), and requests fetch cannot represent.
import type { IncomingMessage, ServerResponse } from "node:http";
import { connect } from "node:net";
import { parse as parseQuery } from "node:querystring";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { HttpErrorEvent } from "../../adapters/fetch/index.js";
import { type AuthenticatedRequest, createNodeHandler, type NextFunction, requireAuth } from "../../adapters/node/index.js";
import { isTokenError } from "../../core/index.js";
import type { TokenStore } from "../../core/port.js";
import { memoryStore } from "../../storage/memory/index.js";
import { harness } from "../helpers.js";
import { assertError, cookiePair, DEMO_USER, firstAnswer, listen, postForm, send, testAuthenticate } from "./helpers.js";

type Middleware = (req: IncomingMessage, res: ServerResponse, next: NextFunction) => void | Promise<void>;

/** A tiny Connect: middleware run in order, optionally mounted on a path prefix (stripped from req.url, as Express does). */
function chain(...layers: Array<[string, Middleware]>): (req: IncomingMessage, res: ServerResponse) => void {
	return function run(req, res): void {
		const originalUrl = req.url ?? "/";
		(req as { originalUrl?: string }).originalUrl = originalUrl;
		let index = 0;
		function next(error?: unknown): void {
			req.url = originalUrl;
			const layer = layers[index++];
			if (error !== undefined || layer === undefined) {
				res.writeHead(error === undefined ? 404 : 500, { "Content-Type": "text/plain" });
				res.end(error === undefined ? "final handler" : "error handler");
				return;
			}
			const [mount, middleware] = layer;
			if (mount !== "/" && originalUrl !== mount && !originalUrl.startsWith(mount + "/")) {
				next();
				return;
			}
			if (mount !== "/") req.url = originalUrl.slice(mount.length) || "/";
			void middleware(req, res, next);
		}
		next();
	};
}

const h = harness();
const calls: string[] = [];
const app = chain(
	[
		"/",
		(req, _res, next) => {
			calls.push(`log ${req.url}`);
			next();
		},
	],
	["/", createNodeHandler(h.service, { authenticate: testAuthenticate })],
	["/api", requireAuth(h.service)],
	[
		"/api",
		(req, res) => {
			res.writeHead(200, { "Content-Type": "application/json" });
			res.end(JSON.stringify({ sub: (req as AuthenticatedRequest).auth.sub, url: req.url }));
		},
	],
);
const server = await listen(app);
const base = `${server.url}/auth`;

test.after(async () => {
	await server.close();
});

async function accessToken(): Promise<string> {
	const response = await postForm(`${base}/login`, DEMO_USER);
	assert.is(response.status, 200);
	return String(response.json().access_token);
}

test("in a Connect chain: auth routes answered, everything else handed to next()", async () => {
	calls.length = 0;
	assert.is((await send(`${base}/jwks`)).status, 200);
	const other = await send(`${server.url}/somewhere/else`);
	assert.is(other.status, 404);
	assert.is(other.text, "final handler");
	const near = await send(`${server.url}/authx/token`, { method: "POST" });
	assert.is(near.text, "final handler", "a path that merely starts with the base name is not ours");
	assert.equal(calls, ["log /auth/jwks", "log /somewhere/else", "log /authx/token"]);
	const unknownUnderBase = await send(`${base}/unknown`);
	assertError(unknownUnderBase, 404, "not_found");
});

test("answers carry Content-Length (not chunked), for tokens, errors and the JWKS", async () => {
	for (const response of [await postForm(`${base}/login`, DEMO_USER), await send(`${base}/unknown`), await send(`${base}/jwks`)]) {
		assert.is(response.headers["transfer-encoding"], undefined);
		assert.is(Number(response.headers["content-length"]), Buffer.byteLength(response.text));
	}
	const head = await send(`${base}/jwks`, { method: "HEAD" });
	assert.is(head.status, 200);
	assert.is(head.text, "");
});

test("requireAuth: a valid bearer token reaches the route with req.auth set", async () => {
	const token = await accessToken();
	const response = await send(`${server.url}/api/me`, { headers: { Authorization: `Bearer ${token}` } });
	assert.is(response.status, 200);
	assert.equal(response.json(), { sub: "user-alice", url: "/me" });
	const lowerCase = await send(`${server.url}/api/me`, { headers: { Authorization: `bearer  ${token}` } });
	assert.is(lowerCase.status, 200, "the scheme is case-insensitive");
});

test("requireAuth: RFC 6750 §3 challenges", async () => {
	const none = await send(`${server.url}/api/me`);
	assertError(none, 401, "unauthorized");
	assert.is(none.headers["www-authenticate"], 'Bearer realm="api"', "no error code when no credentials were sent (§3.1)");
	const basic = await send(`${server.url}/api/me`, { headers: { Authorization: "Basic YWxpY2U6cHc=" } });
	assert.is(basic.status, 401);
	assert.is(basic.headers["www-authenticate"], 'Bearer realm="api"');
	const invalid = await send(`${server.url}/api/me`, { headers: { Authorization: "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln" } });
	assertError(invalid, 401, "invalid_token");
	assert.match(String(invalid.headers["www-authenticate"]), /^Bearer realm="api", error="invalid_token"/);
	for (const header of ["Bearer", "Bearer a b", "Bearer <script>", "Bearer ä"]) {
		const malformed = await send(`${server.url}/api/me`, { headers: { Authorization: header } });
		assertError(malformed, 400, "invalid_request");
		assert.match(String(malformed.headers["www-authenticate"]), /error="invalid_request"/);
	}
	const token = await accessToken();
	h.clock.advance(901 + 5);
	const expired = await send(`${server.url}/api/me`, { headers: { Authorization: `Bearer ${token}` } });
	assertError(expired, 401, "invalid_token");
	assert.not.match(expired.text + String(expired.headers["www-authenticate"]), token.slice(0, 30));
});

test("requireAuth: a custom realm is quoted in the challenge; one that cannot be quoted is refused up front", async () => {
	const guard = requireAuth(h.service, { realm: "my api" });
	const guarded = await listen((req, res) => void guard(req, res, () => res.end("ok")));
	try {
		assert.is((await send(guarded.url)).headers["www-authenticate"], 'Bearer realm="my api"');
	} finally {
		await guarded.close();
	}
	assert.throws(
		() => requireAuth(h.service, { realm: 'a"b' }),
		(error: unknown) => isTokenError(error, "ERR_CONFIG_INVALID"),
	);
});

test("Express-style mounting: app.use('/auth', handler) sees the stripped req.url and still answers", async () => {
	const mounted = await listen(chain(["/auth", createNodeHandler(h.service, { authenticate: testAuthenticate })]));
	try {
		assert.is((await send(`${mounted.url}/auth/jwks`)).status, 200);
		assert.is((await postForm(`${mounted.url}/auth/login`, DEMO_USER)).status, 200);
	} finally {
		await mounted.close();
	}
});

test("behind a body parser (express.json()/urlencoded() before it): req.body is used; repeated fields refused, each by the check that owns it", async () => {
	const errors: HttpErrorEvent[] = [];
	/** Like body-parser: JSON parsed, form fields with repeats turned into arrays (urlencoded), or the raw text kept (text()). */
	function bodyParser(mode: "parsed" | "text"): Middleware {
		return async (req, _res, next) => {
			const chunks: Buffer[] = [];
			for await (const chunk of req) chunks.push(chunk as Buffer);
			const text = Buffer.concat(chunks).toString("utf8");
			const type = String(req.headers["content-type"]);
			(req as { body?: unknown }).body = mode === "text" ? text : type.startsWith("application/json") ? JSON.parse(text) : parseQuery(text);
			next();
		};
	}
	const handler = createNodeHandler(h.service, { authenticate: testAuthenticate, onError: (event) => errors.push(event) });
	const parsedFirst = await listen(chain(["/", bodyParser("parsed")], ["/", handler]));
	const textFirst = await listen(chain(["/", bodyParser("text")], ["/", handler]));
	try {
		const login = await postForm(`${parsedFirst.url}/auth/login`, DEMO_USER);
		assert.is(login.status, 200);
		const refreshToken = String(login.json().refresh_token);
		const rotated = await postForm(`${parsedFirst.url}/auth/token`, { grant_type: "refresh_token", refresh_token: refreshToken });
		assert.is(rotated.status, 200);
		const current = String(rotated.json().refresh_token);
		const repeated = {
			method: "POST",
			headers: { "Content-Type": "application/x-www-form-urlencoded" },
			body: `grant_type=refresh_token&refresh_token=${current}&refresh_token=${current}`,
		};
		// urlencoded() made the repeat an array: refused because a parameter must be a string.
		assertError(await send(`${parsedFirst.url}/auth/token`, repeated), 400, "invalid_request");
		assert.is(errors.at(-1)?.reason, "ERR_BODY_MALFORMED");
		// text() kept the body as sent: the hub's own duplicate check refuses it (RFC 6749 §3.2).
		assertError(await send(`${textFirst.url}/auth/token`, repeated), 400, "invalid_request");
		assert.is(errors.at(-1)?.reason, "ERR_PARAM_DUPLICATE");
		assert.is(errors.length, 2);
		// Neither refusal spent the token. (A JSON body with a repeated key reaches the handler
		// already collapsed by express.json(), last value winning: only a handler placed before
		// the body parser can refuse that one.)
		assert.is((await postForm(`${textFirst.url}/auth/token`, { grant_type: "refresh_token", refresh_token: current })).status, 200);
	} finally {
		await parsedFirst.close();
		await textFirst.close();
	}
});

test("without next(), other paths get a JSON 404", async () => {
	const handler = createNodeHandler(h.service);
	const plain = await listen((req, res) => void handler(req, res));
	try {
		assertError(await send(`${plain.url}/elsewhere`), 404, "not_found");
		assert.is((await send(`${plain.url}/auth/jwks`)).status, 200);
	} finally {
		await plain.close();
	}
});

test("requests fetch cannot represent (TRACE) get a JSON 4xx, not a crash", async () => {
	assertError(await send(`${base}/token`, { method: "TRACE" }), 400, "invalid_request");
	assert.is((await send(`${base}/jwks`)).status, 200);
});

test("onError sees the 400 for a request that could not be read, like every other error response", async () => {
	const events: HttpErrorEvent[] = [];
	const handler = createNodeHandler(h.service, { onError: (event) => events.push(event) });
	const watched = await listen((req, res) => void handler(req, res, () => res.writeHead(404).end()));
	try {
		assertError(await send(`${watched.url}/auth/token`, { method: "TRACE" }), 400, "invalid_request");
		// Credentials in an absolute-form target: a URL new Request() refuses.
		const port = Number(new URL(watched.url).port);
		const answer = await rawExchange(["GET http://user:pw@x/auth/jwks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"], 0, port);
		assert.match(answer, /^HTTP\/1\.1 400 /);
		assert.equal(events, [
			{ status: 400, error: "invalid_request", reason: "ERR_REQUEST_UNREADABLE", route: null },
			{ status: 400, error: "invalid_request", reason: "ERR_REQUEST_UNREADABLE", route: null },
		]);
	} finally {
		await watched.close();
	}
});

test("a client that disconnects mid-body does not hurt the server", async () => {
	await new Promise<void>((resolve, reject) => {
		const socket = connect(Number(new URL(server.url).port), "127.0.0.1", () => {
			socket.write("POST /auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=");
			setTimeout(() => {
				socket.destroy();
				resolve();
			}, 50);
		});
		socket.on("error", reject);
	});
	assert.is((await send(`${base}/jwks`)).status, 200);
});

test("a keep-alive connection stays usable after a 413 (the unread body is discarded)", async () => {
	const body = "grant_type=refresh_token&pad=" + "a".repeat(40_000);
	const answers = await new Promise<string>((resolve, reject) => {
		const socket = connect(Number(new URL(server.url).port), "127.0.0.1", () => {
			socket.write(`POST /auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n`);
			socket.write(`${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`);
			socket.write("GET /auth/jwks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
		});
		let received = "";
		socket.on("data", (chunk) => (received += chunk.toString("latin1")));
		socket.on("end", () => resolve(received));
		socket.on("error", reject);
	});
	assert.match(answers, /^HTTP\/1\.1 413 /);
	assert.match(answers, /HTTP\/1\.1 200 OK[\s\S]*"keys"/);
});

test("a declared Content-Length over the limit is answered 413 at once, before the rest of the body is sent", async () => {
	const errors: HttpErrorEvent[] = [];
	const handler = createNodeHandler(h.service, { onError: (event) => errors.push(event) });
	const limited = await listen((req, res) => void handler(req, res));
	try {
		// 100 kB declared, 100 bytes sent, the connection left open: under the 16 kB limit so far,
		// so only the up-front check of the declared length can answer now.
		const head = "POST /auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n";
		const answer = await firstAnswer(limited.url, head + "grant_type=refresh_token&pad=".padEnd(100, "a"), 1000);
		assert.is(answer.status, 413, answer.head);
		assert.is(JSON.parse(answer.body).error, "invalid_request");
		assert.equal(errors, [{ status: 413, error: "invalid_request", reason: "ERR_BODY_TOO_LARGE", route: "token" }]);
		// The same declared length with nothing of the body sent yet.
		assert.is((await firstAnswer(limited.url, head, 1000)).status, 413);
	} finally {
		await limited.close();
	}
});

/** Writes `parts` to a fresh connection with a pause between them and returns everything the server sent. */
function rawExchange(parts: string[], pauseMs: number, port = Number(new URL(server.url).port)): Promise<string> {
	return new Promise((resolve, reject) => {
		const socket = connect(port, "127.0.0.1", async () => {
			for (const [index, part] of parts.entries()) {
				if (index > 0) await new Promise((done) => setTimeout(done, pauseMs));
				socket.write(part);
			}
		});
		let received = "";
		socket.on("data", (chunk) => (received += chunk.toString("latin1")));
		socket.on("end", () => resolve(received));
		socket.on("error", reject);
	});
}

test("a body that arrives in pieces, after the head, is read whole (Content-Length and chunked)", async () => {
	const body = new URLSearchParams(DEMO_USER).toString();
	const head = "POST /auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\n";
	const sized = await rawExchange([`${head}Content-Length: ${body.length}\r\n\r\n`, body.slice(0, 5), body.slice(5, 20), body.slice(20)], 30);
	assert.match(sized, /^HTTP\/1\.1 200 /);
	assert.match(sized, /"refresh_token":"rk2_/);
	const chunk = (text: string) => `${text.length.toString(16)}\r\n${text}\r\n`;
	const chunked = await rawExchange([`${head}Transfer-Encoding: chunked\r\n\r\n`, chunk(body.slice(0, 9)), chunk(body.slice(9)), "0\r\n\r\n"], 30);
	assert.match(chunked, /^HTTP\/1\.1 200 /);
	// Over the limit in pieces: 413, never buffered past it.
	const big = "username=" + "a".repeat(20_000);
	const tooBig = await rawExchange([`${head}Transfer-Encoding: chunked\r\n\r\n`, chunk(big.slice(0, 10_000)), chunk(big.slice(10_000)), "0\r\n\r\n"], 30);
	assert.match(tooBig, /^HTTP\/1\.1 413 /);
});

test("an origin-form target starting with // is a path on this host, never another origin (cookie mode)", async () => {
	const service = harness().service;
	const handler = createNodeHandler(service, { authenticate: testAuthenticate, cookie: { name: "rk" } });
	const cookieServer = await listen((req, res) => void handler(req, res));
	try {
		const login = await postForm(`${cookieServer.url}/auth/login`, DEMO_USER, { Origin: cookieServer.origin });
		const refreshCookie = cookiePair(login.cookies, "rk");
		// As a relative URL "//evil.example/auth/token" would be https://evil.example/auth/token,
		// whose origin matches the attacker's Origin header.
		const answer = await rawExchange(
			[
				`POST //evil.example/auth/token HTTP/1.1\r\nHost: x\r\nConnection: close\r\nOrigin: http://evil.example\r\nCookie: ${refreshCookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 24\r\n\r\ngrant_type=refresh_token`,
			],
			0,
			Number(new URL(cookieServer.url).port),
		);
		assert.match(answer, /^HTTP\/1\.1 404 /);
		// The cookie was not spent: it still rotates from the real origin.
		const after = await postForm(`${cookieServer.url}/auth/token`, { grant_type: "refresh_token" }, { Origin: cookieServer.origin, Cookie: refreshCookie });
		assert.is(after.status, 200);
	} finally {
		await cookieServer.close();
	}
});

/** A store whose every call fails while `down` is true (a lost database connection). */
function flakyStore(): { store: TokenStore; setDown(down: boolean): void } {
	const inner = memoryStore();
	let down = false;
	const store = { guarantees: inner.guarantees } as TokenStore;
	for (const name of ["createSession", "openReusableSession", "rotateToken", "findSession", "touchSession", "revokeSession", "revokeSubject", "listSessions", "prune"] as const) {
		(store as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
			if (down) throw new Error("connection refused");
			return (inner[name] as (...a: unknown[]) => Promise<unknown>)(...args);
		};
	}
	return { store, setDown: (value) => void (down = value) };
}

test("a store outage is 503 temporarily_unavailable with Retry-After; the presented token still works afterwards", async () => {
	const flaky = flakyStore();
	const service = harness({ store: flaky.store }).service;
	const handler = createNodeHandler(service, { authenticate: testAuthenticate, cookie: { name: "rk" } });
	const outage = await listen((req, res) => void handler(req, res));
	const origin = { Origin: outage.origin };
	try {
		const login = await postForm(`${outage.url}/auth/login`, DEMO_USER, origin);
		const refreshCookie = cookiePair(login.cookies, "rk");
		flaky.setDown(true);
		const cases = [
			await postForm(`${outage.url}/auth/login`, DEMO_USER, origin),
			await postForm(`${outage.url}/auth/token`, { grant_type: "refresh_token" }, { ...origin, Cookie: refreshCookie }),
			await postForm(`${outage.url}/auth/revoke`, { token: refreshCookie.slice(3) }, origin),
			await postForm(`${outage.url}/auth/logout`, {}, { ...origin, Cookie: refreshCookie }),
		];
		for (const response of cases) {
			assertError(response, 503, "temporarily_unavailable");
			assert.ok(Number(response.headers["retry-after"]) > 0);
			assert.equal(response.cookies, [], "an outage never sets or clears a cookie");
		}
		assert.is((await send(`${outage.url}/auth/jwks`)).status, 200, "the JWKS needs no store");
		flaky.setDown(false);
		const after = await postForm(`${outage.url}/auth/token`, { grant_type: "refresh_token" }, { ...origin, Cookie: refreshCookie });
		assert.is(after.status, 200);
	} finally {
		await outage.close();
	}
});

test.run();
