// Issue 11, gap 2: cookie shadowing. A sibling subdomain can set a cookie of our name for the
// parent domain with a longer path (`Domain=app.example; Path=/auth/token`), which browsers send
// first. A request carrying two cookies of a configured name is refused (400 invalid_request,
// onError ERR_COOKIE_DUPLICATE): nothing rotated, revoked or Set-Cookie'd. Over real sockets:
// the Node adapter, and the Next.js handlers behind a server like `next start`.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { countCookies, readCookie } from "../../adapters/fetch/cookies.js";
import type { HttpErrorEvent } from "../../adapters/fetch/index.js";
import { createNextHandlers } from "../../adapters/next/index.js";
import { createNodeHandler, requireAuth } from "../../adapters/node/index.js";
import { isTokenError } from "../../core/errors.js";
import type { SessionRecord } from "../../core/port.js";
import { harness } from "../helpers.js";
import { assertError, DEMO_USER, listen, parseSetCookie, type RawResponse, send, testAuthenticate } from "./helpers.js";
import { listenLikeNext } from "./next-server.js";

const h = harness();
const cookie = { name: "__Secure-rk", accessTokenName: "__Host-rk-at" };
const errors: HttpErrorEvent[] = [];
let authenticated = 0;
const options = {
	authenticate(request: Request, params: Readonly<Record<string, string>>) {
		authenticated++;
		return testAuthenticate(request, params);
	},
	cookie,
	onError: (event: HttpErrorEvent) => errors.push(event),
};
const auth = createNodeHandler(h.service, options);
const guard = requireAuth(h.service, options);
let apiRuns = 0;
const node = await listen((req, res) => {
	void auth(req, res, () => {
		void guard(req, res, () => {
			apiRuns++;
			res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
		});
	});
});
const nextHandlers = createNextHandlers(h.service, options);
const next = await listenLikeNext((request) => (request.method === "GET" ? nextHandlers.GET(request) : nextHandlers.POST(request)));

test.after(async () => {
	await node.close();
	await next.close();
});

const form = { "Content-Type": "application/x-www-form-urlencoded" };

interface Session {
	refresh: string;
	access: string;
	sid: string;
}

/** Logs in over the socket; the session's refresh and access cookies and its id. */
async function login(url: string): Promise<Session> {
	const response = await send(`${url}/auth/login`, { method: "POST", headers: { ...form, Origin: new URL(url).origin }, body: new URLSearchParams(DEMO_USER).toString() });
	assert.is(response.status, 200, response.text);
	const cookies = new Map(response.cookies.map((line) => [parseSetCookie(line).name, parseSetCookie(line).value]));
	const access = cookies.get(cookie.accessTokenName) as string;
	return { refresh: cookies.get(cookie.name) as string, access, sid: (await h.service.verify(access)).sid };
}

async function row(sid: string): Promise<SessionRecord | null> {
	return h.store.findSession(sid);
}

/**
 * Asserts the 400 of a refused duplicate: invalid_request, onError told why, and no cookie set or
 * deleted where this configuration keeps it (host-only, the refresh cookie on /auth): the only
 * lines delete the stale variant an earlier cookie.path may have left on "/". The twin may be an
 * attacker's planted for the parent domain, which no line of ours can delete; deleting the
 * victim's own cookie would leave the attacker's as the only one.
 */
function assertRefused(response: RawResponse, route: string | null): void {
	assertError(response, 400, "invalid_request");
	assert.equal(
		response.cookies.map(parseSetCookie).map((line) => [line.name, line.value, line.attributes.get("path"), line.attributes.get("max-age"), line.attributes.get("domain")]),
		[[cookie.name, "", "/", "0", undefined]],
		"only the stale variant deleted",
	);
	assert.equal(errors.at(-1), { status: 400, error: "invalid_request", reason: "ERR_COOKIE_DUPLICATE", route });
}

function post(url: string, route: string, cookieHeader: string | string[], body = ""): Promise<RawResponse> {
	return send(`${url}/auth/${route}`, { method: "POST", headers: { ...form, Origin: new URL(url).origin, Cookie: cookieHeader }, body });
}

for (const [adapter, server] of [
	["node", node],
	["next", next],
] as const) {
	test(`${adapter}: /token with two refresh cookies (either order, or split over two Cookie headers) → 400, the stored row unchanged`, async () => {
		const victim = await login(server.url);
		const attacker = await login(server.url);
		const before = { victim: await row(victim.sid), attacker: await row(attacker.sid) };
		const shadowed = [
			`${cookie.name}=${attacker.refresh}; ${cookie.name}=${victim.refresh}`,
			`${cookie.name}=${victim.refresh}; other=1; ${cookie.name}=${attacker.refresh}`,
			[`${cookie.name}=${attacker.refresh}`, `${cookie.name}=${victim.refresh}`],
			// A shadow cookie with an empty or broken value still counts: it is not "the one valid cookie".
			`${cookie.name}=; ${cookie.name}=${victim.refresh}`,
			`${cookie.name}=${victim.refresh}; ${cookie.name}="x y"`,
		];
		for (const header of shadowed) {
			const response = await post(server.url, "token", header, "grant_type=refresh_token");
			assertRefused(response, "token");
			assert.not.match(response.text, victim.refresh);
		}
		assert.equal(await row(victim.sid), before.victim, "the victim's row is unchanged: nothing rotated");
		assert.equal(await row(attacker.sid), before.attacker, "the attacker's row is unchanged");
		// Both tokens are still current, so neither session was harmed by the refusals.
		assert.is((await post(server.url, "token", `${cookie.name}=${victim.refresh}`, "grant_type=refresh_token")).status, 200);
	});

	test(`${adapter}: /logout with two refresh cookies → 400, no session revoked, no cookie cleared`, async () => {
		const victim = await login(server.url);
		const attacker = await login(server.url);
		const response = await post(server.url, "logout", `${cookie.name}=${attacker.refresh}; ${cookie.name}=${victim.refresh}; ${cookie.accessTokenName}=${victim.access}`);
		assertRefused(response, "logout");
		assert.is((await row(victim.sid))?.revokedAt, null);
		assert.is((await row(attacker.sid))?.revokedAt, null);
	});

	test(`${adapter}: /login with two refresh cookies → 400 before authenticate: no session issued, none revoked`, async () => {
		const victim = await login(server.url);
		const attacker = await login(server.url);
		const sessionIds = async (): Promise<string[]> => (await h.service.listSessions("user-alice")).map((session) => session.id).sort();
		const live = await sessionIds();
		const calls = authenticated;
		const response = await post(server.url, "login", `${cookie.name}=${attacker.refresh}; ${cookie.name}=${victim.refresh}`, new URLSearchParams(DEMO_USER).toString());
		assertRefused(response, "login");
		assert.is(authenticated, calls, "authenticate was not called");
		assert.equal(await sessionIds(), live, "no session issued or revoked");
	});
}

test("node: the access check refuses two access cookies (400, the API handler does not run); /logout by access cookie too", async () => {
	const victim = await login(node.url);
	const attacker = await login(node.url);
	const runs = apiRuns;
	const api = await send(`${node.url}/api/me`, { headers: { Cookie: `${cookie.accessTokenName}=${attacker.access}; ${cookie.accessTokenName}=${victim.access}` } });
	assertError(api, 400, "invalid_request");
	assert.match(String(api.headers["www-authenticate"]), /error="invalid_request"/);
	const split = await send(`${node.url}/api/me`, { headers: { Cookie: [`${cookie.accessTokenName}=${attacker.access}`, `${cookie.accessTokenName}=${victim.access}`] } });
	assertError(split, 400, "invalid_request");
	assert.is(apiRuns, runs, "the handler did not run");
	assert.is((await send(`${node.url}/api/me`, { headers: { Cookie: `${cookie.accessTokenName}=${victim.access}` } })).status, 200);
	// /logout without a refresh cookie ends the session of the access cookie: two of them, nothing.
	assertRefused(await post(node.url, "logout", `${cookie.accessTokenName}=${attacker.access}; ${cookie.accessTokenName}=${victim.access}`), "logout");
	assert.is((await row(victim.sid))?.revokedAt, null);
	assert.is((await row(attacker.sid))?.revokedAt, null);
});

test("cookies are counted by exact name", () => {
	const header = `${cookie.name}2=a; x${cookie.name}=b; ${cookie.name.toLowerCase()}=c; ${cookie.name}=d`;
	assert.is(countCookies(header, cookie.name), 1);
	assert.is(readCookie(header, cookie.name), "d");
	assert.is(countCookies(`${cookie.name}=d;${cookie.name}=e`, cookie.name), 2);
	assert.is(readCookie(`${cookie.name}=d;${cookie.name}=e`, cookie.name), null, "never resolved by picking one");
	assert.is(countCookies(`  ${cookie.name} =d`, cookie.name), 1);
	assert.is(countCookies(null, cookie.name), 0);
});

test("__Host- names are held to what browsers accept (Path=/, no Domain): ERR_CONFIG_INVALID otherwise", () => {
	const refused = (options: Parameters<typeof createNodeHandler>[1]): boolean => {
		try {
			createNodeHandler(h.service, options);
			return false;
		} catch (error) {
			return isTokenError(error, "ERR_CONFIG_INVALID");
		}
	};
	assert.ok(refused({ cookie: { name: "__Host-rk" } }), "the refresh cookie is scoped to basePath /auth");
	assert.ok(refused({ cookie: { name: "__host-rk" } }), "browsers match the prefix in any case");
	assert.ok(refused({ cookie: { name: "__Secure-rk", accessTokenName: "__Host-at", domain: "example.com" } }));
	assert.ok(refused({ basePath: "/", cookie: { name: "__Host-rk", domain: "example.com" } }));
	assert.not.ok(refused({ basePath: "/", cookie: { name: "__Host-rk", accessTokenName: "__Host-at" } }), "at the root the refresh cookie has Path=/");
	assert.not.ok(refused({ cookie: { name: "__Secure-rk", accessTokenName: "__Host-at" } }));
	assert.not.ok(refused({ cookie: { name: "__Secure-rk", domain: "example.com" } }));
});

test.run();
