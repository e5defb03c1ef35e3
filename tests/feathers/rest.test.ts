// refresh-kit/adapters/feathers over REST: an in-process Feathers v5 app (Koa) on a real
// loopback socket, driven with fetch. Login, protected service, expiry, refresh, grace, reuse,
// logout, errors, reuse mode.
import { createSecretKey } from "node:crypto";
import jwt from "jsonwebtoken";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { memoryStore } from "../../storage/memory/index.js";
import { type Harness, harness } from "../helpers.js";
import { faultyStore } from "../support/faulty-store.js";
import { PASSWORD, startTestApp, type TestApp } from "./app.js";

interface Answer {
	status: number;
	body: Record<string, any>;
}

let h: Harness;
let t: TestApp;
let store = faultyStore(memoryStore());

test.before.each(async () => {
	store = faultyStore(memoryStore());
	h = harness({ store, accessTokenTtl: 60 });
	t = await startTestApp({ tokens: h.service, clock: h.clock });
});
test.after.each(async () => {
	await t.close();
});

async function call(method: string, path: string, options: { body?: unknown; token?: string; agent?: string } = {}): Promise<Answer> {
	const headers: Record<string, string> = { "content-type": "application/json" };
	if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
	if (options.agent !== undefined) headers["user-agent"] = options.agent;
	const response = await fetch(t.url + path, { method, headers, ...(options.body === undefined ? {} : { body: typeof options.body === "string" ? options.body : JSON.stringify(options.body) }) });
	const text = await response.text();
	return { status: response.status, body: text === "" ? {} : JSON.parse(text) };
}

function login(email = "alice@example.com", agent = "test-agent/1"): Promise<Answer> {
	return call("POST", "/authentication", { body: { strategy: "local", email, password: PASSWORD }, agent });
}

function refresh(refreshToken: unknown): Promise<Answer> {
	return call("POST", "/authentication", { body: { strategy: "refresh", refreshToken } });
}

function assertRefused(answer: Answer, code: string): void {
	assert.is(answer.status, 401, JSON.stringify(answer.body));
	assert.is(answer.body.name, "NotAuthenticated");
	assert.equal(answer.body.data, { code });
}

test("a local login answers Feathers' result plus a refresh token; the access token is an RFC 9068 token of the session", async () => {
	const { status, body } = await login();
	assert.is(status, 201);
	assert.equal(Object.keys(body).sort(), ["accessToken", "authentication", "refreshToken", "user"]);
	assert.match(body.refreshToken, /^rk2_/);
	assert.equal(body.user, { id: 1, email: "alice@example.com" }, "the users service's protect hook hid the password");
	assert.is(body.authentication.strategy, "local");
	assert.is(body.authentication.accessToken, body.accessToken);
	assert.equal(jwt.decode(body.accessToken, { complete: true })?.header.typ, "at+jwt");
	const claims = await h.service.verify(body.accessToken);
	assert.is(claims.sub, "1");
	assert.equal(body.authentication.payload, claims);
	const sessions = await h.service.listSessions("1");
	assert.equal(
		sessions.map((session) => [session.id, session.device]),
		[[claims.sid, "test-agent/1"]],
	);
});

test("a wrong password is Feathers' 401 and opens no session", async () => {
	const wrong = await call("POST", "/authentication", { body: { strategy: "local", email: "alice@example.com", password: "nope" } });
	assert.is(wrong.status, 401);
	assert.equal(await h.service.listSessions("1"), []);
});

test("authenticate('jwt') accepts the access token; refuses none, a forged one, a Feathers HS256 one and an expired one", async () => {
	const { body } = await login();
	const ok = await call("GET", "/messages", { token: body.accessToken });
	assert.is(ok.status, 200);
	assert.is((await call("GET", "/messages")).status, 401);
	assertRefused(await call("GET", "/messages", { token: body.accessToken.slice(0, -2) + "xx" }), "ERR_ACCESS_TOKEN_INVALID");
	// What a stock Feathers app would sign: HS256 with typ "access", even with the right claims.
	const feathersToken = jwt.sign({ sub: "1", sid: body.authentication.payload.sid }, "any-secret-a-feathers-app-would-have", { audience: "https://api.test", issuer: "https://auth.test", expiresIn: "1d" });
	assertRefused(await call("GET", "/messages", { token: feathersToken }), "ERR_ACCESS_TOKEN_INVALID");
	h.clock.advance(60 + 5 + 1); // past exp and the service's clock tolerance
	assertRefused(await call("GET", "/messages", { token: body.accessToken }), "ERR_ACCESS_TOKEN_EXPIRED");
});

test("the refresh strategy rotates: a new pair and the user; the new access token works where the old expired", async () => {
	const first = (await login()).body;
	h.clock.advance(61 + 5);
	const { status, body } = await refresh(first.refreshToken);
	assert.is(status, 201);
	assert.equal(Object.keys(body).sort(), ["accessToken", "authentication", "refreshToken", "user"]);
	assert.is.not(body.refreshToken, first.refreshToken);
	assert.is(body.authentication.strategy, "refresh");
	assert.equal(body.user, { id: 1, email: "alice@example.com" });
	assert.is(body.authentication.payload.sid, first.authentication.payload.sid, "the same session");
	assertRefused(await call("GET", "/messages", { token: first.accessToken }), "ERR_ACCESS_TOKEN_EXPIRED");
	assert.is((await call("GET", "/messages", { token: body.accessToken })).status, 200);
});

test("params.payload (the tutorial's hook) becomes claims of the access token, kept across rotation", async () => {
	t.app.service("authentication").hooks({
		before: { create: [(context: any) => void (context.params.payload = { role: "admin" })] },
	});
	const first = (await login()).body;
	assert.is(first.authentication.payload.role, "admin");
	const next = (await refresh(first.refreshToken)).body;
	assert.is((await h.service.verify(next.accessToken)).role, "admin");
});

test("a registered claim in params.payload is a 400 with ERR_INPUT_INVALID, not a 500", async () => {
	t.app.service("authentication").hooks({
		before: { create: [(context: any) => void (context.params.payload = { sub: "someone-else" })] },
	});
	const answer = await login();
	assert.is(answer.status, 400);
	assert.equal(answer.body.data, { code: "ERR_INPUT_INVALID" });
});

test("parallel refreshes of one token all get the same successor; after the grace window it is reuse: 401 and the session is gone", async () => {
	const first = (await login()).body;
	const answers = await Promise.all(Array.from({ length: 5 }, () => refresh(first.refreshToken)));
	const successors = new Set(answers.map((answer) => answer.body.refreshToken));
	assert.equal(
		answers.map((answer) => answer.status),
		[201, 201, 201, 201, 201],
	);
	assert.is(successors.size, 1);
	h.clock.advance(10 + 1); // past reuseGrace
	assertRefused(await refresh(first.refreshToken), "ERR_TOKEN_REUSED");
	assertRefused(await refresh([...successors][0]), "ERR_TOKEN_REVOKED");
	assert.equal(await h.service.listSessions("1"), []);
});

test("logout (DELETE /authentication) revokes the session; without credentials it is a 401, never a 500", async () => {
	const first = (await login()).body;
	const logout = await call("DELETE", "/authentication", { token: first.accessToken });
	assert.is(logout.status, 200);
	assert.is(logout.body.authentication.payload.sid, first.authentication.payload.sid);
	assertRefused(await refresh(first.refreshToken), "ERR_TOKEN_REVOKED");
	assert.is((await call("DELETE", "/authentication")).status, 401);
	assert.is((await call("DELETE", "/authentication/some-id")).status, 401);
	assert.is((await call("DELETE", `/authentication/${first.accessToken}`)).status, 401);
});

test("a refresh token is no credential for other services: the refresh strategy refuses outside the authentication service", async () => {
	await t.close();
	t = await startTestApp({ tokens: h.service, clock: h.clock, protectWith: ["refresh"] });
	const first = (await login()).body;
	const params = { provider: "rest", authentication: { strategy: "refresh", refreshToken: first.refreshToken } };
	try {
		await t.app.service("messages").find(params);
		assert.unreachable("the refresh strategy authenticated a service call");
	} catch (error) {
		assert.is((error as { code?: number }).code, 401);
	}
	// Nothing was exchanged: the token is still the current one.
	const next = await refresh(first.refreshToken);
	assert.is(next.status, 201);
	h.clock.advance(11);
	assert.is((await refresh(next.body.refreshToken)).status, 201);
});

test("hostile input on POST /authentication is a 4xx, never a 5xx, and echoes no token", async () => {
	const { body } = await login();
	const bodies: unknown[] = [
		{ strategy: "refresh" },
		{ strategy: "refresh", refreshToken: 42 },
		{ strategy: "refresh", refreshToken: null },
		{ strategy: "refresh", refreshToken: { $ne: 1 } },
		{ strategy: "refresh", refreshToken: [body.refreshToken] },
		{ strategy: "refresh", refreshToken: "rk2_" + "A".repeat(100_000) },
		{ strategy: "refresh", refreshToken: body.refreshToken.slice(0, -1) },
		{ strategy: "refresh", refreshToken: `${body.refreshToken}\u0000` },
		{ strategy: "jwt", accessToken: 42 },
		{ strategy: "jwt", accessToken: { a: 1 } },
		{ strategy: "nope" },
		{},
		[],
	];
	for (const input of bodies) {
		const answer = await call("POST", "/authentication", { body: input });
		assert.ok(answer.status >= 400 && answer.status < 500, `${JSON.stringify(input).slice(0, 60)} -> ${answer.status} ${JSON.stringify(answer.body)}`);
		assert.not.match(JSON.stringify(answer.body), body.refreshToken.slice(4, 20));
	}
	assert.is((await refresh(body.refreshToken)).status, 201, "the real token survived all of that");
});

test("the store failing is 503 Unavailable with ERR_STORE_UNAVAILABLE, and the same token works afterwards", async () => {
	const first = (await login()).body;
	store.arm("rotateToken", "before");
	const failed = await refresh(first.refreshToken);
	assert.is(failed.status, 503);
	assert.equal(failed.body.data, { code: "ERR_STORE_UNAVAILABLE" });
	assert.is((await refresh(first.refreshToken)).status, 201);
});

test("a session whose user was deleted is revoked at its next refresh (401)", async () => {
	const first = (await login("bob@example.com")).body;
	await t.app.service("users").remove(2);
	assertRefused(await refresh(first.refreshToken), "ERR_TOKEN_REVOKED");
	assert.equal(await h.service.listSessions("2"), []);
});

test("createAccessToken signs only with an explicit secret; verifyAccessToken keeps Feathers' path for one", async () => {
	const authentication = t.app.service("authentication") as any;
	try {
		await authentication.createAccessToken({ sub: "1" });
		assert.unreachable("signed a token outside the token service");
	} catch (error) {
		assert.is((error as { code?: number }).code, 500);
	}
	const own = await authentication.createAccessToken({ purpose: "magic-link" }, { expiresIn: "5m" }, "an-application-secret-for-its-own-tokens");
	assert.is((await authentication.verifyAccessToken(own, {}, "an-application-secret-for-its-own-tokens")).purpose, "magic-link");
	assertRefused(await call("GET", "/messages", { token: own }), "ERR_ACCESS_TOKEN_INVALID");
});

// The placeholder `authentication.secret` this adapter shipped as a constant (a public string).
const OLD_PLACEHOLDER_SECRET = "refresh-kit: access tokens are signed by the token service";

/** The error `promise` rejects with (a Feathers error carries `code`, the HTTP status). */
async function refusal(promise: Promise<unknown>, message: string): Promise<{ code?: number }> {
	try {
		await promise;
	} catch (error) {
		return error as { code?: number };
	}
	assert.unreachable(message);
	throw new Error("unreachable");
}

/** A token as stock Feathers signs it (its default jwtOptions: HS256, typ "access") with `secret`. */
function feathersSigned(secret: string | Uint8Array, sid: string): string {
	return jwt.sign({ sub: "1", sid }, Buffer.from(secret), { header: { alg: "HS256", typ: "access" }, audience: "https://yourdomain.com", issuer: "feathers", expiresIn: "1d" });
}

test("an empty secretOverride (an unset environment variable) is no secret: nothing is signed with the placeholder, no token signed with it is accepted", async () => {
	const authentication = t.app.service("authentication") as any;
	const { body } = await login();
	const sid: string = body.authentication.payload.sid;
	const placeholder: unknown = authentication.configuration.secret;
	assert.type(placeholder, "string", "Feathers' setup still finds a string secret");
	const empties: unknown[] = ["", null, undefined, new Uint8Array(0), Buffer.alloc(0), createSecretKey(new Uint8Array(0))];
	for (const empty of empties) {
		const refused = await refusal(authentication.createAccessToken({ sub: "1", sid }, {}, empty), `createAccessToken signed with ${String(empty)}`);
		assert.is(refused.code, 500);
	}
	// Forgeries: with the old public constant, with the placeholder of this process, with an empty key.
	const forged = [feathersSigned(OLD_PLACEHOLDER_SECRET, sid), feathersSigned(placeholder as string, sid), feathersSigned(new Uint8Array(0), sid)];
	for (const token of forged) {
		for (const empty of empties) {
			const refused = await refusal(authentication.verifyAccessToken(token, {}, empty), `verifyAccessToken accepted a forgery with ${String(empty)}`);
			assert.is(refused.code, 401);
		}
		assertRefused(await call("GET", "/messages", { token }), "ERR_ACCESS_TOKEN_INVALID");
		assertRefused(await call("DELETE", "/authentication", { token }), "ERR_ACCESS_TOKEN_INVALID");
	}
	assert.is((await call("GET", "/messages", { token: body.accessToken })).status, 200, "the session was not ended by any of that");
});

test("the placeholder secret is not the old public constant, and differs from one process (module instance) to the next", async () => {
	const authentication = t.app.service("authentication") as any;
	const placeholder: string = authentication.configuration.secret;
	assert.is.not(placeholder, OLD_PLACEHOLDER_SECRET);
	// A second instance of the module, as a second process would load it.
	const again = await import(`../../adapters/feathers/service.js?instance=${Date.now()}`);
	const other = new again.RefreshKitAuthenticationService(t.app, h.service, { configKey: "otherAuthentication" });
	const otherPlaceholder: string = other.configuration.secret;
	assert.type(otherPlaceholder, "string");
	assert.is.not(otherPlaceholder, placeholder);
	assert.ok(otherPlaceholder.length >= 43, "at least 32 random bytes");
});

test("reuse mode: a second login from the same device and every refresh hand back the same refresh token", async () => {
	await t.close();
	h = harness({ refresh: { mode: "reuse" } });
	t = await startTestApp({ tokens: h.service, clock: h.clock });
	const first = (await login()).body;
	const second = (await login()).body;
	assert.is(second.refreshToken, first.refreshToken);
	const refreshed = await refresh(first.refreshToken);
	assert.is(refreshed.status, 201);
	assert.is(refreshed.body.refreshToken, first.refreshToken);
	assert.is.not(refreshed.body.accessToken, first.accessToken);
	const otherDevice = (await login("alice@example.com", "another-agent/2")).body;
	assert.is.not(otherDevice.refreshToken, first.refreshToken);
	await call("DELETE", "/authentication", { token: refreshed.body.accessToken });
	assertRefused(await refresh(first.refreshToken), "ERR_TOKEN_REVOKED");
});

test.run();
