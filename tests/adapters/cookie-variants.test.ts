// A changed cookie.path or cookie.domain must not lock anyone out. Browsers keep a cookie per
// name, domain and path, so a browser that logged in under the old settings holds the old
// variant; were it kept next to the new one, every later /token, /logout and /login would carry
// two cookies of one name and be refused. Each response that sets or clears the cookies deletes
// the variants this server may have set before, and a refused duplicate deletes the stale ones
// (never the current cookie: the twin may be an attacker's, planted for the parent domain).
//
// Over real sockets, with a cookie jar that behaves as RFC 6265 §5.3 says browsers do: cookies
// keyed by name, domain (or host-only) and path, sent by path-match, longer paths first.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { CookieOptions, HttpErrorEvent } from "../../adapters/fetch/index.js";
import { createNodeHandler } from "../../adapters/node/index.js";
import { harness } from "../helpers.js";
import { DEMO_USER, listen, parseSetCookie, type RawResponse, send, type TestServer, testAuthenticate } from "./helpers.js";

/** The host the jar believes it talks to (the socket is 127.0.0.1; cookies only need a name). */
const HOST = "app.example.test";

interface JarCookie {
	name: string;
	value: string;
	/** Lower case, no leading dot; null for a host-only cookie. */
	domain: string | null;
	path: string;
}

/** A browser's cookie store for one host, reduced to what matters here. */
class Jar {
	cookies: JarCookie[] = [];

	/** Stores the Set-Cookie lines of a response to `requestPath` (RFC 6265 §5.3). */
	receive(lines: readonly string[], requestPath: string): void {
		for (const line of lines) {
			const { name, value, attributes } = parseSetCookie(line);
			const domainAttribute = attributes.get("domain");
			const domain = domainAttribute === undefined || domainAttribute === "" ? null : domainAttribute.toLowerCase().replace(/^\./, "");
			if (domain !== null && HOST !== domain && !HOST.endsWith(`.${domain}`)) continue; // §5.3 step 6: not ours to set
			const path = attributes.get("path")?.startsWith("/") ? (attributes.get("path") as string) : defaultPath(requestPath);
			this.cookies = this.cookies.filter((cookie) => !(cookie.name === name && cookie.domain === domain && cookie.path === path));
			const deleted = attributes.get("max-age") === "0" || /1970/.test(attributes.get("expires") ?? "");
			if (!deleted) this.cookies.push({ name, value, domain, path });
		}
	}

	/** The Cookie header for a request to `requestPath`: path-matching cookies, longer paths first (§5.4). */
	header(requestPath: string): string {
		return this.cookies
			.filter((cookie) => pathMatches(requestPath, cookie.path))
			.sort((a, b) => b.path.length - a.path.length)
			.map((cookie) => `${cookie.name}=${cookie.value}`)
			.join("; ");
	}

	/** Plants a cookie the way an earlier configuration (or a sibling subdomain) would have. */
	plant(cookie: JarCookie): void {
		this.cookies.push(cookie);
	}

	variants(name: string): string[] {
		return this.cookies
			.filter((cookie) => cookie.name === name)
			.map((cookie) => `${cookie.domain ?? "host-only"} ${cookie.path}`)
			.sort();
	}
}

function defaultPath(requestPath: string): string {
	const slash = requestPath.lastIndexOf("/");
	return slash <= 0 ? "/" : requestPath.slice(0, slash);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
	if (requestPath === cookiePath) return true;
	return requestPath.startsWith(cookiePath) && (cookiePath.endsWith("/") || requestPath[cookiePath.length] === "/");
}

const h = harness();
const errors: HttpErrorEvent[] = [];
const servers: TestServer[] = [];

/** A server with these cookie settings over the one service (a redeploy with new settings). */
async function deploy(cookie: CookieOptions): Promise<TestServer> {
	const handler = createNodeHandler(h.service, { authenticate: testAuthenticate, cookie, onError: (event) => errors.push(event) });
	const server = await listen((req, res) => void handler(req, res));
	servers.push(server);
	return server;
}

test.after(async () => {
	for (const server of servers) await server.close();
});

async function post(server: TestServer, jar: Jar, route: string, body: string): Promise<RawResponse> {
	const path = `/auth/${route}`;
	const cookieHeader = jar.header(path);
	const response = await send(`${server.url}${path}`, {
		method: "POST",
		headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: server.origin, ...(cookieHeader === "" ? {} : { Cookie: cookieHeader }) },
		body,
	});
	jar.receive(response.cookies, path);
	return response;
}

const LOGIN = new URLSearchParams(DEMO_USER).toString();
const REFRESH = "grant_type=refresh_token";

test("cookie.path moved to / and back: each response deletes the other variant, so the browser never holds two", async () => {
	const jar = new Jar();
	const before = await deploy({ name: "rk", accessTokenName: "rk_at" });
	assert.is((await post(before, jar, "login", LOGIN)).status, 200);
	assert.equal(jar.variants("rk"), ["host-only /auth"]);
	// Redeployed with cookie.path "/" (for createNextProxy): the first refresh carries the old cookie only.
	const moved = await deploy({ name: "rk", accessTokenName: "rk_at", path: "/" });
	assert.is((await post(moved, jar, "token", REFRESH)).status, 200);
	assert.equal(jar.variants("rk"), ["host-only /"], "the one on /auth deleted in the same response");
	// Rolled back: the same, the other way.
	const back = await deploy({ name: "rk", accessTokenName: "rk_at" });
	assert.is((await post(back, jar, "token", REFRESH)).status, 200);
	assert.equal(jar.variants("rk"), ["host-only /auth"]);
	assert.is((await post(back, jar, "token", REFRESH)).status, 200, "and the session goes on");
	assert.is((await post(back, jar, "logout", "")).status, 204);
	assert.equal(jar.variants("rk"), []);
	assert.equal(jar.variants("rk_at"), []);
});

test("cookie.domain added, or removed with previousDomain: the old variants are deleted by the next refresh", async () => {
	const jar = new Jar();
	const hostOnly = await deploy({ name: "rk", accessTokenName: "rk_at" });
	assert.is((await post(hostOnly, jar, "login", LOGIN)).status, 200);
	const withDomain = await deploy({ name: "rk", accessTokenName: "rk_at", domain: "example.test" });
	assert.is((await post(withDomain, jar, "token", REFRESH)).status, 200);
	assert.equal(jar.variants("rk"), ["example.test /auth"]);
	assert.equal(jar.variants("rk_at"), ["example.test /"]);
	const removed = await deploy({ name: "rk", accessTokenName: "rk_at", previousDomain: "example.test" });
	assert.is((await post(removed, jar, "token", REFRESH)).status, 200);
	assert.equal(jar.variants("rk"), ["host-only /auth"]);
	assert.equal(jar.variants("rk_at"), ["host-only /"]);
});

test("a browser that already holds two of our variants recovers: the refusal deletes the stale one, the next refresh works", async () => {
	const current = await deploy({ name: "rk", accessTokenName: "rk_at" });
	const jar = new Jar();
	assert.is((await post(current, jar, "login", LOGIN)).status, 200);
	// An earlier release left one on "/" next to it (it did not delete variants).
	jar.plant({ name: "rk", value: "rk2_left-over", domain: null, path: "/" });
	const refused = await post(current, jar, "token", REFRESH);
	assert.is(refused.status, 400);
	assert.is(errors.at(-1)?.reason, "ERR_COOKIE_DUPLICATE");
	assert.equal(jar.variants("rk"), ["host-only /auth"], "only the stale variant deleted; the current cookie kept");
	assert.is((await post(current, jar, "token", REFRESH)).status, 200, "the next refresh works: the session survived");
	// The same through /login and /logout.
	jar.plant({ name: "rk", value: "rk2_left-over", domain: null, path: "/" });
	assert.is((await post(current, jar, "login", LOGIN)).status, 400);
	assert.is((await post(current, jar, "login", LOGIN)).status, 200);
	jar.plant({ name: "rk", value: "rk2_left-over", domain: null, path: "/" });
	assert.is((await post(current, jar, "logout", "")).status, 400);
	assert.is((await post(current, jar, "logout", "")).status, 204);
	assert.equal(jar.variants("rk"), []);
});

test("a twin planted for the parent domain is never deleted, and neither is the victim's cookie: no login into the attacker's session", async () => {
	const current = await deploy({ name: "rk", accessTokenName: "rk_at" });
	const victim = new Jar();
	assert.is((await post(current, victim, "login", LOGIN)).status, 200);
	const attacker = new Jar();
	assert.is((await post(current, attacker, "login", LOGIN)).status, 200);
	const planted = attacker.cookies.find((cookie) => cookie.name === "rk" && cookie.path === "/auth") as JarCookie;
	// A sibling subdomain sets it for the parent domain on a longer path, sent first.
	victim.plant({ name: "rk", value: planted.value, domain: "example.test", path: "/auth/token" });
	for (let attempt = 0; attempt < 3; attempt++) {
		const response = await post(current, victim, "token", REFRESH);
		assert.is(response.status, 400, "refused every time: neither cookie is picked");
		assert.not.ok(
			response.cookies.some((line) => /domain=/i.test(line) || /path=\/auth(;|$)/i.test(line)),
			"no line deletes the planted cookie or the victim's own",
		);
	}
	assert.equal(victim.variants("rk"), ["example.test /auth/token", "host-only /auth"]);
});

test.run();
