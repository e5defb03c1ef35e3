// Cookie mode over a real socket: cookie attributes, same-origin checks, the 8-way race, logout.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createNodeHandler, requireAuth } from "../../adapters/node/index.js";
import { harness } from "../helpers.js";
import { assertError, DEMO_USER, listen, parseSetCookie, type RawResponse, send, settingLine, testAuthenticate } from "./helpers.js";

const h = harness();
const cookie = { name: "__Secure-rk", accessTokenName: "rk_at" };
const auth = createNodeHandler(h.service, { authenticate: testAuthenticate, cookie });
const protect = requireAuth(h.service, { cookie });
const server = await listen((req, res) => {
	void auth(req, res, () => {
		void protect(req, res, () => {
			res.writeHead(200, { "Content-Type": "application/json" });
			res.end(JSON.stringify({ sub: (req as { auth?: { sub: string } }).auth?.sub }));
		});
	});
});
const base = `${server.url}/auth`;
const same = { Origin: server.origin };
const form = { "Content-Type": "application/x-www-form-urlencoded" };

test.after(async () => {
	await server.close();
});

function cookieNamed(response: RawResponse, name: string): ReturnType<typeof parseSetCookie> {
	const line = settingLine(response.cookies, name);
	if (line === undefined) assert.unreachable(`no Set-Cookie ${name} in ${JSON.stringify(response.cookies)}`);
	return line as ReturnType<typeof parseSetCookie>;
}

async function login(): Promise<{ refresh: string; access: string; body: Record<string, unknown> }> {
	const response = await send(`${base}/login`, { method: "POST", headers: { ...form, ...same }, body: new URLSearchParams(DEMO_USER).toString() });
	assert.is(response.status, 200, response.text);
	return { refresh: cookieNamed(response, cookie.name).value, access: cookieNamed(response, cookie.accessTokenName).value, body: response.json() };
}

function refresh(refreshToken: string, headers: Record<string, string> = same): Promise<RawResponse> {
	return send(`${base}/token`, { method: "POST", headers: { ...form, ...headers, Cookie: `${cookie.name}=${refreshToken}` }, body: "grant_type=refresh_token" });
}

test("login sets the refresh token in an HttpOnly; Secure; SameSite=Strict cookie on the base path, never in JSON", async () => {
	const response = await send(`${base}/login`, { method: "POST", headers: { ...form, ...same }, body: new URLSearchParams(DEMO_USER).toString() });
	assert.is(response.status, 200);
	const body = response.json();
	assert.equal(Object.keys(body).sort(), ["access_token", "expires_in", "token_type"]);
	const refreshCookie = cookieNamed(response, cookie.name);
	assert.match(refreshCookie.value, /^rk2_/);
	assert.not.match(response.text, refreshCookie.value);
	assert.is(refreshCookie.attributes.get("path"), "/auth");
	assert.ok(refreshCookie.attributes.has("httponly"));
	assert.ok(refreshCookie.attributes.has("secure"));
	assert.is(refreshCookie.attributes.get("samesite"), "Strict");
	assert.ok(Date.parse(String(refreshCookie.attributes.get("expires"))) > h.clock.now().getTime());
	assert.not.ok(refreshCookie.attributes.has("domain"));
	const accessCookie = cookieNamed(response, cookie.accessTokenName);
	assert.is(accessCookie.value, body.access_token);
	assert.is(accessCookie.attributes.get("path"), "/");
	assert.is(accessCookie.attributes.get("max-age"), String(body.expires_in));
	assert.ok(accessCookie.attributes.has("httponly"));
	assert.ok(accessCookie.attributes.has("secure"));
	assert.is(accessCookie.attributes.get("samesite"), "Strict");
});

test("the refresh cookie rotates on /token and the JSON carries no refresh token", async () => {
	const { refresh: first } = await login();
	const response = await refresh(first);
	assert.is(response.status, 200);
	assert.is(response.headers["cache-control"], "no-store");
	assert.is(response.headers.pragma, "no-cache");
	assert.equal(Object.keys(response.json()).sort(), ["access_token", "expires_in", "token_type"]);
	const next = cookieNamed(response, cookie.name);
	assert.match(next.value, /^rk2_/);
	assert.is.not(next.value, first);
	assert.is(cookieNamed(response, cookie.accessTokenName).value, response.json().access_token);
});

test("race: 8 parallel refreshes of one cookie all get the same successor cookie, none clears it", async () => {
	const { refresh: original } = await login();
	const responses = await Promise.all(Array.from({ length: 8 }, () => refresh(original)));
	const values = new Set<string>();
	for (const response of responses) {
		assert.is(response.status, 200, response.text);
		for (const line of response.cookies) {
			const parsed = parseSetCookie(line);
			// The only deletion is of the stale variant on "/" (a refresh cookie of an earlier cookie.path).
			if (parsed.attributes.get("max-age") === "0") assert.equal([parsed.name, parsed.attributes.get("path")], [cookie.name, "/"], "no clearing cookie where the cookies live");
			else assert.ok(parsed.value.length > 0, "no empty cookie");
		}
		values.add(cookieNamed(response, cookie.name).value);
	}
	assert.is(values.size, 1, "one successor across all 8 responses");
	assert.not.ok(values.has(original));
	const successor = [...values][0] as string;
	assert.is((await refresh(successor)).status, 200, "the successor works");
});

test("token errors never send Set-Cookie (a race loser or a replay never clears the winner's cookie)", async () => {
	const { refresh: original } = await login();
	const winner = cookieNamed(await refresh(original), cookie.name).value;
	h.clock.advance(11);
	const reuse = await refresh(original);
	assertError(reuse, 400, "invalid_grant");
	assert.equal(reuse.cookies, []);
	const revoked = await refresh(winner);
	assertError(revoked, 400, "invalid_grant");
	assert.equal(revoked.cookies, []);
	const missing = await send(`${base}/token`, { method: "POST", headers: { ...form, ...same }, body: "grant_type=refresh_token" });
	assertError(missing, 400, "invalid_request");
	assert.equal(missing.cookies, []);
});

test("cookie mode refuses a refresh token in the body", async () => {
	const { refresh: token } = await login();
	const response = await send(`${base}/token`, { method: "POST", headers: { ...form, ...same }, body: `grant_type=refresh_token&refresh_token=${token}` });
	assertError(response, 400, "invalid_request");
	assert.not.match(response.text, token);
});

test("same-origin: Origin must match; without Origin only Sec-Fetch-Site: same-origin passes; fails closed", async () => {
	const { refresh: token } = await login();
	for (const headers of [{}, { Origin: "https://evil.example" }, { Origin: "null" }, { Origin: server.origin + "/" }, { "Sec-Fetch-Site": "cross-site" }, { "Sec-Fetch-Site": "same-site" }, { "Sec-Fetch-Site": "none" }]) {
		const response = await refresh(token, headers);
		assertError(response, 403, "access_denied");
		assert.equal(response.cookies, []);
	}
	// An allowed Origin wins over a contradicting Sec-Fetch-Site header, and a wrong one is refused regardless.
	assertError(await refresh(token, { Origin: "https://evil.example", "Sec-Fetch-Site": "same-origin" }), 403, "access_denied");
	const viaFetchMetadata = await refresh(token, { "Sec-Fetch-Site": "same-origin" });
	assert.is(viaFetchMetadata.status, 200);
	for (const route of ["login", "revoke", "logout"]) {
		assertError(await send(`${base}/${route}`, { method: "POST", headers: form, body: "token=x" }), 403, "access_denied");
	}
	assert.is((await send(`${base}/jwks`)).status, 200, "GET /jwks needs no origin");
});

test("allowedOrigins replaces the default (the request's own origin)", async () => {
	const handler = createNodeHandler(h.service, { authenticate: testAuthenticate, cookie, allowedOrigins: ["https://app.example.com"] });
	const other = await listen((req, res) => void handler(req, res));
	try {
		const body = new URLSearchParams(DEMO_USER).toString();
		assert.is((await send(`${other.url}/auth/login`, { method: "POST", headers: { ...form, Origin: "https://app.example.com" }, body })).status, 200);
		assertError(await send(`${other.url}/auth/login`, { method: "POST", headers: { ...form, Origin: other.origin }, body }), 403, "access_denied");
	} finally {
		await other.close();
	}
});

test("a new login in the same browser ends the session whose cookie it replaces", async () => {
	const { refresh: old } = await login();
	const again = await send(`${base}/login`, { method: "POST", headers: { ...form, ...same, Cookie: `${cookie.name}=${old}` }, body: new URLSearchParams(DEMO_USER).toString() });
	assert.is(again.status, 200);
	assert.is.not(cookieNamed(again, cookie.name).value, old);
	assertError(await refresh(old), 400, "invalid_grant");
	assert.is(h.events.at(-1)?.type, "revoked");
});

test("logout: 204, clears both cookies, and the session is revoked", async () => {
	const { refresh: token, access } = await login();
	const response = await send(`${base}/logout`, { method: "POST", headers: { ...same, Cookie: `${cookie.name}=${token}; ${cookie.accessTokenName}=${access}` } });
	assert.is(response.status, 204);
	const clearedRefresh = response.cookies.map(parseSetCookie).find((line) => line.name === cookie.name && line.attributes.get("path") === "/auth");
	if (clearedRefresh === undefined) return assert.unreachable("the refresh cookie is not deleted on /auth");
	assert.is(clearedRefresh.value, "");
	assert.is(clearedRefresh.attributes.get("max-age"), "0");
	assert.is(clearedRefresh.attributes.get("path"), "/auth");
	const clearedAccess = response.cookies.map(parseSetCookie).find((line) => line.name === cookie.accessTokenName) as ReturnType<typeof parseSetCookie>;
	assert.is(clearedAccess.attributes.get("max-age"), "0");
	assert.is(clearedAccess.attributes.get("path"), "/");
	assertError(await refresh(token), 400, "invalid_grant");
});

test("the access-token cookie authenticates requireAuth (and so verifyRequest); Authorization wins when present", async () => {
	const { access } = await login();
	const viaCookie = await send(`${server.url}/api/me`, { headers: { Cookie: `${cookie.accessTokenName}=${access}` } });
	assert.is(viaCookie.status, 200);
	assert.is(viaCookie.json().sub, "user-alice");
	const badBearer = await send(`${server.url}/api/me`, { headers: { Cookie: `${cookie.accessTokenName}=${access}`, Authorization: "Bearer abc.def.ghi" } });
	assertError(badBearer, 401, "invalid_token");
	const refreshCookieOnly = await send(`${server.url}/api/me`, { headers: { Cookie: `${cookie.name}=${access}` } });
	assertError(refreshCookieOnly, 401, "unauthorized");
});

test.run();
