// The fetch hub's routes, statuses, headers and error shapes, over a real socket (JSON mode).
import { inspect } from "node:util";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createFetchHandler, type HttpErrorEvent, type HubService } from "../../adapters/fetch/index.js";
import { createNodeHandler } from "../../adapters/node/index.js";
import { createTokenService, generateSigningKeys, isTokenError, type TokenSet } from "../../core/index.js";
import { parseRefreshToken } from "../../core/refresh-token.js";
import { memoryStore } from "../../storage/memory/index.js";
import { harness, TEST_REFRESH_SECRET, TEST_SECRET, testRefresh, unknownToken } from "../helpers.js";
import { faultyStore, InjectedStoreError } from "../support/faulty-store.js";
import { secretSpellings, spellings } from "../support/spellings.js";
import { assertError, DEMO_USER, listen, postForm, postJSON, type RawResponse, send, testAuthenticate } from "./helpers.js";

const h = harness();
const errors: HttpErrorEvent[] = [];
/** Every token set any handler of this file handed out: what onError must never see. */
const handedOut: TokenSet[] = [];
const handler = createNodeHandler(recording(h.service), { authenticate: testAuthenticate, onError: (event) => errors.push(event), maxBodyBytes: 1024 });
const server = await listen((req, res) => void handler(req, res));
const base = `${server.url}/auth`;

/** The service as the handlers see it, recording every token set it hands out. */
function recording(service: HubService): HubService {
	function keep(tokens: TokenSet): TokenSet {
		handedOut.push(tokens);
		return tokens;
	}
	return {
		issue: (input) => service.issue(input).then(keep),
		exchange: (token) => service.exchange(token).then(keep),
		revoke: (token) => service.revoke(token),
		revokeSession: (id) => service.revokeSession(id),
		verify: (token) => service.verify(token),
		jwks: () => service.jwks(),
	};
}

async function login(): Promise<Record<string, unknown>> {
	const response = await postForm(`${base}/login`, DEMO_USER);
	assert.is(response.status, 200);
	return response.json();
}

function lastError(): HttpErrorEvent {
	const event = errors.at(-1);
	if (event === undefined) assert.unreachable("no onError event");
	return event as HttpErrorEvent;
}

function assertTokenResponseHeaders(response: RawResponse): void {
	assert.match(String(response.headers["content-type"]), /^application\/json/);
	assert.is(response.headers["cache-control"], "no-store");
	assert.is(response.headers.pragma, "no-cache");
}

test.after(async () => {
	await server.close();
});

test("POST /login (form) returns an RFC 6749 §5.1 token response", async () => {
	const response = await postForm(`${base}/login`, DEMO_USER);
	assert.is(response.status, 200);
	assertTokenResponseHeaders(response);
	const body = response.json();
	assert.equal(Object.keys(body).sort(), ["access_token", "expires_in", "refresh_token", "token_type"]);
	assert.is(body.token_type, "Bearer");
	assert.is(body.expires_in, 900);
	assert.match(String(body.refresh_token), /^rk2_/);
	const claims = await h.service.verify(String(body.access_token));
	assert.is(claims.sub, "user-alice");
	assert.is(claims.role, "admin");
});

test("POST /login accepts a flat JSON object and passes device through", async () => {
	const response = await postJSON(`${base}/login`, { ...DEMO_USER, device: "laptop" });
	assert.is(response.status, 200);
	const sessions = await h.service.listSessions("user-alice");
	assert.ok(sessions.some((session) => session.device === "laptop"));
});

test("POST /login with input issue() refuses (a 500-character device label) is 400, not 500", async () => {
	const response = await postJSON(`${base}/login`, { ...DEMO_USER, device: "d".repeat(500) });
	assertError(response, 400, "invalid_request");
	assert.is(lastError().reason, "ERR_INPUT_INVALID");
});

test("POST /login with wrong credentials is 401 and does not echo them", async () => {
	const response = await postForm(`${base}/login`, { username: "alice", password: "hunter2-wrong" });
	assertError(response, 401, "invalid_grant");
	assert.not.match(response.text, "hunter2-wrong");
	assert.is(lastError().reason, "ERR_LOGIN_REJECTED");
	assertError(await postForm(`${base}/login`, {}), 401, "invalid_grant");
});

test("POST /token rotates: a new refresh token, the old one replays the same successor inside the grace window", async () => {
	const first = await login();
	const response = await postForm(`${base}/token`, { grant_type: "refresh_token", refresh_token: String(first.refresh_token) });
	assert.is(response.status, 200);
	assertTokenResponseHeaders(response);
	const second = response.json();
	assert.equal(Object.keys(second).sort(), ["access_token", "expires_in", "refresh_token", "token_type"]);
	assert.is.not(second.refresh_token, first.refresh_token);
	const replay = await postJSON(`${base}/token`, { grant_type: "refresh_token", refresh_token: first.refresh_token });
	assert.is(replay.status, 200);
	assert.is(replay.json().refresh_token, second.refresh_token);
});

test("POST /token: reuse outside the grace window is invalid_grant and revokes the session", async () => {
	const first = await login();
	const second = (await postForm(`${base}/token`, { grant_type: "refresh_token", refresh_token: String(first.refresh_token) })).json();
	h.clock.advance(11);
	const reuse = await postForm(`${base}/token`, { grant_type: "refresh_token", refresh_token: String(first.refresh_token) });
	assertError(reuse, 400, "invalid_grant");
	assert.is(lastError().reason, "ERR_TOKEN_REUSED");
	assert.not.match(reuse.text, String(first.refresh_token));
	const after = await postForm(`${base}/token`, { grant_type: "refresh_token", refresh_token: String(second.refresh_token) });
	assertError(after, 400, "invalid_grant");
	assert.is(lastError().reason, "ERR_TOKEN_REVOKED");
});

test("POST /token: expired and malformed tokens are invalid_grant with generic text", async () => {
	const tokens = await login();
	h.clock.advance(31 * 86_400);
	const expired = await postForm(`${base}/token`, { grant_type: "refresh_token", refresh_token: String(tokens.refresh_token) });
	assertError(expired, 400, "invalid_grant");
	assert.is(lastError().reason, "ERR_TOKEN_EXPIRED");
	const garbage = "rk1_not-a-real-token-<script>";
	const malformed = await postForm(`${base}/token`, { grant_type: "refresh_token", refresh_token: garbage });
	const body = assertError(malformed, 400, "invalid_grant");
	assert.is(lastError().reason, "ERR_TOKEN_MALFORMED");
	assert.not.match(malformed.text, garbage);
	assert.is(body.error_description, "the refresh token is invalid, expired or revoked");
});

test("POST /token parameter errors: missing grant_type, other grant types, missing token, duplicates", async () => {
	assertError(await postForm(`${base}/token`, { refresh_token: "x" }), 400, "invalid_request");
	assertError(await postForm(`${base}/token`, { grant_type: "password", username: "a", password: "b" }), 400, "unsupported_grant_type");
	assertError(await postForm(`${base}/token`, { grant_type: "refresh_token" }), 400, "invalid_request");
	assertError(await postForm(`${base}/token`, { grant_type: "refresh_token", refresh_token: "" }), 400, "invalid_request");
	const tokens = await login();
	const duplicateForm = await send(`${base}/token`, {
		method: "POST",
		headers: { "Content-Type": "application/x-www-form-urlencoded" },
		body: `grant_type=refresh_token&refresh_token=${tokens.refresh_token}&refresh_token=${tokens.refresh_token}`,
	});
	assertError(duplicateForm, 400, "invalid_request");
	assert.is(lastError().reason, "ERR_PARAM_DUPLICATE");
	const duplicateJSON = await send(`${base}/token`, {
		method: "POST",
		headers: { "Content-Type": "application/json" },
		body: `{"grant_type":"refresh_token","grant_type":"refresh_token","refresh_token":"${tokens.refresh_token}"}`,
	});
	assertError(duplicateJSON, 400, "invalid_request");
	assert.is(lastError().reason, "ERR_PARAM_DUPLICATE");
	assert.not.match(duplicateJSON.text, String(tokens.refresh_token));
});

test("bodies: 415 for other or missing content types, 400 for malformed JSON, form, UTF-8 and non-string values", async () => {
	const cases: Array<[Record<string, string>, string | Uint8Array, number]> = [
		[{ "Content-Type": "text/plain" }, "grant_type=refresh_token", 415],
		[{}, "grant_type=refresh_token", 415],
		[{ "Content-Type": "multipart/form-data; boundary=x" }, "--x--", 415],
		[{ "Content-Type": "application/json" }, "{not json", 400],
		[{ "Content-Type": "application/json" }, '["grant_type"]', 400],
		[{ "Content-Type": "application/json" }, '{"grant_type":["refresh_token"]}', 400],
		[{ "Content-Type": "application/json" }, '{"grant_type":1}', 400],
		[{ "Content-Type": "application/json" }, '{"a":{"b":"c"}}', 400],
		[{ "Content-Type": "application/x-www-form-urlencoded" }, "grant_type=%E0%A4%A", 400],
		[{ "Content-Type": "application/x-www-form-urlencoded" }, "grant_type=%FF", 400],
		[{ "Content-Type": "application/x-www-form-urlencoded" }, new Uint8Array([0x67, 0x3d, 0xff, 0xfe]), 400],
	];
	for (const [headers, body, status] of cases) {
		const response = await send(`${base}/token`, { method: "POST", headers, body });
		assertError(response, status, "invalid_request");
	}
	// No body at all is "no parameters", not a content-type problem.
	assertError(await send(`${base}/token`, { method: "POST" }), 400, "invalid_request");
	assert.is(lastError().reason, "ERR_PARAM_MISSING");
});

test("413 when the body exceeds maxBodyBytes, with or without Content-Length", async () => {
	const big = "grant_type=refresh_token&pad=" + "a".repeat(2000);
	assertError(await send(`${base}/token`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: big }), 413, "invalid_request");
	const chunks = Array.from({ length: 20 }, () => "a".repeat(200));
	const chunked = await send(`${base}/token`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: ["grant_type=refresh_token&pad=", ...chunks] });
	assertError(chunked, 413, "invalid_request");
	assert.is(lastError().reason, "ERR_BODY_TOO_LARGE");
	// Exactly at the limit is fine (then fails on the content, not the size).
	const atLimit = "grant_type=refresh_token&pad=" + "a".repeat(1024 - 29);
	assert.is(atLimit.length, 1024);
	assertError(await send(`${base}/token`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: atLimit }), 400, "invalid_request");
});

test("fetch handler: a declared Content-Length over the limit is 413 at once, without reading a body that never ends", async () => {
	const seen: HttpErrorEvent[] = [];
	const fetchHandler = createFetchHandler(h.service, { onError: (event) => seen.push(event) });
	let pulled = 0;
	// 100 bytes, then nothing: a client that declared 100 kB and stalls (or trickles the rest).
	const stalled = new ReadableStream<Uint8Array>({
		start(controller): void {
			controller.enqueue(new TextEncoder().encode("grant_type=refresh_token&pad=".padEnd(100, "a")));
		},
		pull(): void {
			pulled++;
		},
	});
	const request = new Request("http://localhost/auth/token", {
		method: "POST",
		headers: { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": "100000" },
		body: stalled,
		duplex: "half",
	} as RequestInit);
	const answer = await Promise.race([fetchHandler(request), new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 1000).unref())]);
	if (answer === "timeout") assert.unreachable("no answer within 1 s: the handler waited for the body instead of refusing the declared length");
	const response = answer as Response;
	assert.is(response.status, 413);
	assert.is(((await response.json()) as { error: string }).error, "invalid_request");
	assert.equal(seen, [{ status: 413, error: "invalid_request", reason: "ERR_BODY_TOO_LARGE", route: "token" }]);
	assert.is(pulled, 0, "the body was not read");
});

test("POST /revoke (RFC 7009): 200 for live, unknown and garbage tokens; 400 without token", async () => {
	const tokens = await login();
	const response = await postForm(`${base}/revoke`, { token: String(tokens.refresh_token), token_type_hint: "refresh_token" });
	assert.is(response.status, 200);
	assert.is(response.headers["cache-control"], "no-store");
	assertError(await postForm(`${base}/token`, { grant_type: "refresh_token", refresh_token: String(tokens.refresh_token) }), 400, "invalid_grant");
	assert.is((await postForm(`${base}/revoke`, { token: String(tokens.refresh_token) })).status, 200);
	assert.is((await postForm(`${base}/revoke`, { token: "rk2_" + "A".repeat(91) })).status, 200);
	assert.is((await postForm(`${base}/revoke`, { token: "garbage" })).status, 200);
	assert.is((await postForm(`${base}/revoke`, { token: String(tokens.access_token) })).status, 200);
	assertError(await postForm(`${base}/revoke`, {}), 400, "invalid_request");
});

test("POST /logout revokes the presented refresh token, or the session of a bearer token; 204 either way", async () => {
	const byRefresh = await login();
	const out = await postForm(`${base}/logout`, { refresh_token: String(byRefresh.refresh_token) });
	assert.is(out.status, 204);
	assert.is(out.text, "");
	assertError(await postForm(`${base}/token`, { grant_type: "refresh_token", refresh_token: String(byRefresh.refresh_token) }), 400, "invalid_grant");

	const byBearer = await login();
	const bearerOut = await send(`${base}/logout`, { method: "POST", headers: { Authorization: `Bearer ${byBearer.access_token}` } });
	assert.is(bearerOut.status, 204);
	assertError(await postForm(`${base}/token`, { grant_type: "refresh_token", refresh_token: String(byBearer.refresh_token) }), 400, "invalid_grant");
	assert.is(lastError().reason, "ERR_TOKEN_REVOKED");

	assert.is((await send(`${base}/logout`, { method: "POST" })).status, 204);
	assert.is((await send(`${base}/logout`, { method: "POST", headers: { Authorization: "Bearer not.a.jwt" } })).status, 204);
});

test("GET /jwks: the public keys only; HEAD has no body; other methods 405 with Allow", async () => {
	const hs = await send(`${base}/jwks`);
	assert.is(hs.status, 200);
	assert.equal(hs.json(), { keys: [] }, "HS256 keys are never published");
	const keys = await generateSigningKeys("EdDSA");
	const service = createTokenService({ store: memoryStore(), keys, issuer: "https://auth.test", audience: "https://api.test", refresh: testRefresh() });
	const response = await createFetchHandler(service)(new Request("http://localhost/auth/jwks"));
	const jwks = (await response.json()) as { keys: Array<Record<string, unknown>> };
	assert.is(jwks.keys.length, 1);
	assert.is(jwks.keys[0]?.kid, keys[0]?.kid);
	assert.is(jwks.keys[0]?.d, undefined);
	const head = await send(`${base}/jwks`, { method: "HEAD" });
	assert.is(head.status, 200);
	assert.is(head.text, "");
	const post = await send(`${base}/jwks`, { method: "POST" });
	assertError(post, 405, "invalid_request");
	assert.is(post.headers.allow, "GET, HEAD");
});

test("405 with Allow: POST on the POST routes; 404 JSON for unknown paths", async () => {
	for (const route of ["login", "token", "revoke", "logout"]) {
		for (const method of ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
			const response = await send(`${base}/${route}`, { method });
			assertError(response, 405, "invalid_request");
			assert.is(response.headers.allow, "POST");
		}
	}
	const head = await send(`${base}/token`, { method: "HEAD" });
	assert.is(head.status, 405);
	assert.is(head.text, "");
	for (const path of ["/auth", "/auth/", "/auth/nope", "/auth/token/", "/auth/TOKEN", "/other", "/"]) {
		assertError(await send(server.url + path, { method: "POST" }), 404, "not_found");
	}
});

test("authenticate: exceptions and bad results are a generic 500; a missing authenticate leaves /login unserved", async () => {
	const seen: HttpErrorEvent[] = [];
	const throwing = createFetchHandler(h.service, {
		authenticate: () => {
			throw new Error("database password is hunter2");
		},
		onError: (event) => seen.push(event),
	});
	const request = (): Request => new Request("http://localhost/auth/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
	const response = await throwing(request());
	assert.is(response.status, 500);
	const body = (await response.json()) as Record<string, unknown>;
	assert.is(body.error, "server_error");
	assert.not.match(String(body.error_description), "hunter2");
	assert.is(seen[0]?.reason, "ERR_AUTHENTICATE_FAILED");
	assert.instance(seen[0]?.cause, Error);

	const badShape = createFetchHandler(h.service, { authenticate: () => ({ subject: 42 }) as never });
	assert.is((await badShape(request())).status, 500);
	// What issue() refuses may well come from the client (a long device label): 400, never 500.
	const reserved = createFetchHandler(h.service, { authenticate: () => ({ subject: "x", claims: { iss: "evil" } }), onError: (event) => seen.push(event) });
	assert.is((await reserved(request())).status, 400);
	assert.is(seen.at(-1)?.reason, "ERR_INPUT_INVALID");
	const none = createFetchHandler(h.service);
	assert.is((await none(request())).status, 404);
});

test("authenticate can read the request body again, and sees the parsed parameters", async () => {
	let seenBody = "";
	const auth = createFetchHandler(h.service, {
		authenticate: async (request, params) => {
			seenBody = await request.text();
			return params.user === "bob" ? { subject: "bob" } : null;
		},
	});
	const response = await auth(new Request("http://localhost/auth/login", { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "user=bob" }));
	assert.is(response.status, 200);
	assert.is(seenBody, "user=bob");
});

test("basePath: custom prefixes and the root", async () => {
	const nested = createFetchHandler(h.service, { basePath: "/api/v1/auth/" });
	assert.is((await nested(new Request("http://localhost/api/v1/auth/jwks"))).status, 200);
	assert.is((await nested(new Request("http://localhost/auth/jwks"))).status, 404);
	const root = createFetchHandler(h.service, { basePath: "/" });
	assert.is((await root(new Request("http://localhost/jwks"))).status, 200);
});

test("createFetchHandler validates its options (ERR_CONFIG_INVALID)", () => {
	const bad: unknown[] = [
		{ basePath: "auth" },
		{ basePath: "/a b" },
		{ maxBodyBytes: 0 },
		{ maxBodyBytes: 1.5 },
		{ authenticate: "yes" },
		{ cookie: { name: "bad name" } },
		{ cookie: { name: "rk", accessTokenName: "rk" } },
		{ cookie: { name: "rk", sameSite: "None" } },
		{ allowedOrigins: ["https://app.example.com/"] },
		{ allowedOrigins: ["*"] },
		{ allowedOrigins: "https://app.example.com" },
		{ unknownOption: true },
	];
	for (const options of bad) {
		assert.throws(
			() => createFetchHandler(h.service, options as never),
			(error: unknown) => isTokenError(error, "ERR_CONFIG_INVALID"),
			JSON.stringify(options),
		);
	}
});

test("onError never receives token material: every token of this file, in every spelling, anywhere in the event (causes, their causes, stacks, properties)", async () => {
	// A handler over a store that can fail, so the events carry forwarded causes (store outages,
	// refused issue() input, a throwing authenticate), next to the invalid_grant family.
	const store = faultyStore(memoryStore());
	const events: HttpErrorEvent[] = [];
	const faulty = harness({ store });
	const authenticate: typeof testAuthenticate = (request, params) => {
		if (params.username === "throws") throw new Error("the user directory is down");
		return testAuthenticate(request, params);
	};
	const own = createNodeHandler(recording(faulty.service), { authenticate, onError: (event) => events.push(event) });
	const server2 = await listen((req, res) => void own(req, res));
	const url = `${server2.url}/auth`;
	const refresh = (token: string) => postForm(`${url}/token`, { grant_type: "refresh_token", refresh_token: token });
	try {
		const first = (await postForm(`${url}/login`, DEMO_USER)).json();
		const second = (await refresh(String(first.refresh_token))).json();
		store.arm("rotateToken", "before");
		await refresh(String(second.refresh_token));
		store.arm("findSession", "before");
		await postForm(`${url}/revoke`, { token: String(second.refresh_token) });
		store.arm("createSession", "before");
		await postForm(`${url}/login`, DEMO_USER);
		store.arm("rotateToken", "after"); // committed, answer lost: the retry below heals it inside grace
		await refresh(String(second.refresh_token));
		const third = (await refresh(String(second.refresh_token))).json();
		faulty.clock.advance(11);
		await refresh(String(first.refresh_token)); // reuse: revokes the session
		await refresh(String(third.refresh_token)); // revoked
		await refresh(`${String(third.refresh_token)}x`); // malformed, carrying a whole token
		await refresh(unknownToken()); // well-formed, of no session
		await send(`${url}/logout`, { method: "POST", headers: { Authorization: `Bearer ${String(third.access_token)}x` } });
		await postJSON(`${url}/login`, { ...DEMO_USER, device: "d".repeat(500) });
		await postForm(`${url}/login`, { username: "throws", password: String(third.refresh_token) });
	} finally {
		await server2.close();
	}
	const reasons = new Set(events.map((event) => event.reason));
	for (const reason of ["ERR_STORE_UNAVAILABLE", "ERR_TOKEN_REUSED", "ERR_TOKEN_REVOKED", "ERR_TOKEN_MALFORMED", "ERR_TOKEN_UNKNOWN", "ERR_INPUT_INVALID", "ERR_AUTHENTICATE_FAILED"]) {
		assert.ok(reasons.has(reason as HttpErrorEvent["reason"]), `no ${reason} event: the search below would not cover it`);
	}
	assert.ok(
		events.some((event) => event.cause instanceof Error && event.cause.cause instanceof InjectedStoreError),
		"a store failure reaches onError with its cause chain",
	);

	const dump = inspect([...errors, ...events], { depth: Number.POSITIVE_INFINITY, showHidden: true, breakLength: Number.POSITIVE_INFINITY, maxArrayLength: null, maxStringLength: null });
	const needles = new Map<string, string>();
	function add(label: string, value: string): void {
		needles.set(value, label);
		needles.set(value.slice(0, value.length >> 1), `${label} (first half)`);
		needles.set(value.slice(value.length >> 1), `${label} (second half)`);
	}
	assert.ok(handedOut.length >= 10, `only ${handedOut.length} token sets recorded`);
	for (const tokens of handedOut) {
		add("refresh token", tokens.refreshToken);
		add("access token signature", tokens.accessToken.split(".")[2] as string);
		const parts = parseRefreshToken(tokens.refreshToken);
		assert.ok(parts !== null);
		for (const spelling of [...spellings(parts.secret), ...spellings(parts.familyProof)]) if (spelling.length >= 16) needles.set(spelling, "a token's secret or family proof");
	}
	for (const spelling of [...secretSpellings(TEST_REFRESH_SECRET), ...secretSpellings(TEST_SECRET)]) needles.set(spelling, "a server secret");
	for (const [needle, label] of needles) {
		const at = dump.indexOf(needle);
		assert.is(at, -1, `${label} reached onError: …${dump.slice(Math.max(0, at - 80), at + 40)}…`);
	}
	// Control: the dump does hold what the events are about.
	assert.ok(dump.includes("InjectedStoreError") && dump.includes("the user directory is down"), "causes and their stacks are in the searched text");
});

test.run();
