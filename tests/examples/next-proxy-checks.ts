// The checks of createNextProxy on a real `next start`, shared by the Next 16 example
// (proxy.ts, next-app.e2e.ts) and the Next 15 fixture (middleware.ts, next15-middleware.e2e.ts):
// a page loaded after expiry with only the cookies renders signed in and rotates once; a burst of
// page and RSC requests at expiry converges on one successor; a refused refresh token signs out.
// Not a suite: the runner only picks up *.e2e.ts.
import { join } from "node:path";
import type { Test } from "uvu";
import * as assert from "uvu/assert";
import { CookieJar, ROOT, run, type ServerProcess, sleep } from "./support.js";

/** The access-token lifetime the example runs with in the e2e tests (seconds): the proxy's margin is a quarter of it. */
export const ACCESS_TOKEN_TTL = 4;
export const REFRESH_MARGIN = ACCESS_TOKEN_TTL / 4;

/** The environment `next build` and `next start` get: a short TTL, one JSON line per lifecycle event. */
export function nextEnv(): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", npm_config_update_notifier: "false", ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL), AUTH_LOG_EVENTS: "1" };
	for (const name of ["DATABASE_URL", "AUTH_KEYS", "REFRESH_SECRET", "NODE_ENV"]) delete env[name];
	return env;
}

/** A lifecycle event as the example logs it (`auth-event {json}` with AUTH_LOG_EVENTS=1). */
export interface AuthEvent {
	type: string;
	sessionId: string;
	generation?: number;
	/** Epoch ms (the service's clock, which is the machine's). */
	at: number;
}

/** The events the server logged so far, of one session when `sessionId` is given. */
export function authEvents(server: ServerProcess, sessionId?: string): AuthEvent[] {
	const events: AuthEvent[] = [];
	for (const match of server.log().matchAll(/^auth-event (\{.*\})$/gm)) {
		const event = JSON.parse(match[1] as string) as Omit<AuthEvent, "at"> & { at: string };
		if (sessionId === undefined || event.sessionId === sessionId) events.push({ ...event, at: Date.parse(event.at) });
	}
	return events;
}

export function countEvents(events: AuthEvent[], type: string): number {
	return events.filter((event) => event.type === type).length;
}

/** A browser stand-in over HTTP: one cookie jar, same-origin requests. */
export class HttpBrowser {
	readonly jar = new CookieJar();
	constructor(readonly origin: string) {}

	/** A same-origin POST as a browser's fetch() from the app's own page sends it. */
	async post(path: string, params: Record<string, string>): Promise<Response> {
		const response = await fetch(this.origin + path, {
			method: "POST",
			headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: this.origin, "Sec-Fetch-Site": "same-origin", Cookie: this.jar.header(path) },
			body: new URLSearchParams(params),
			redirect: "manual",
		});
		this.jar.store(response);
		return response;
	}

	/** A GET with the jar's cookies; the response's cookies are stored unless `store` is false (a burst stores them afterwards). */
	async get(path: string, headers: Record<string, string> = {}, options: { store?: boolean } = {}): Promise<Page> {
		const response = await fetch(this.origin + path, { headers: { Accept: "text/html", Cookie: this.jar.header(path.split("?")[0] as string), ...headers }, redirect: "manual" });
		if (options.store !== false) this.jar.store(response);
		return { status: response.status, body: await response.text(), response };
	}

	async login(): Promise<string> {
		const response = await this.post("/auth/login", { username: "demo", password: "demo-password" });
		assert.is(response.status, 200);
		const body = (await response.json()) as { access_token: string };
		return sessionOf(body.access_token);
	}
}

export interface Page {
	status: number;
	body: string;
	response: Response;
}

/** The `sid` claim of an access token (read, not verified: the test only needs to know which session). */
export function sessionOf(accessToken: string): string {
	const payload = JSON.parse(Buffer.from(accessToken.split(".")[1] ?? "", "base64url").toString("utf8")) as { sid: string };
	return payload.sid;
}

/** The page (HTML) or its RSC payload rendered the signed-in state. */
export function assertSignedIn(page: Page, what = "page"): void {
	assert.is(page.status, 200, `${what}: status`);
	assert.match(page.body, /data-auth"?[=:]"ok"/, `${what}: signed in`);
	assert.match(page.body, /Demo User/, `${what}: the user's name`);
	assert.match(String(page.response.headers.get("cache-control")), /no-store/, `${what}: never stored`);
}

export function assertSignedOut(page: Page): void {
	assert.is(page.status, 200);
	assert.match(page.body, /data-auth"?[=:]"none"/);
	assert.not.match(page.body, /Demo User/);
}

/** The new value of the refresh cookie a response sets (on Path=/), or undefined. */
export function refreshCookieSet(response: Response): string | undefined {
	const line = response.headers.getSetCookie().find((entry) => entry.startsWith("rk_refresh=rk2_") && entry.includes("; Path=/;"));
	return line?.slice("rk_refresh=".length, line.indexOf(";"));
}

/**
 * Log in, let the access token expire, load the protected page with only the refresh cookie:
 * signed in, and the response rotates the refresh cookie exactly once. The next load is fresh.
 */
export async function checkRenderAfterExpiry(server: ServerProcess): Promise<void> {
	const browser = new HttpBrowser(server.url);
	const sessionId = await browser.login();
	const before = browser.jar.get("rk_refresh")?.value;
	await sleep(ACCESS_TOKEN_TTL * 1000 + 300);
	assert.is(browser.jar.get("rk_access"), undefined, "the access cookie's Max-Age has run out");
	assert.is(browser.jar.header("/me"), `rk_refresh=${before}`, "only the refresh cookie is sent");
	const page = await browser.get("/me");
	assertSignedIn(page);
	const rotated = refreshCookieSet(page.response);
	assert.ok(rotated !== undefined && rotated !== before, "the response rotates the refresh cookie");
	assert.is(page.response.headers.getSetCookie().filter((line) => line.startsWith("rk_refresh=rk2_")).length, 1, "one new refresh cookie");
	assert.ok(browser.jar.get("rk_access") !== undefined, "and sets a new access cookie");
	const events = authEvents(server, sessionId);
	assert.is(countEvents(events, "refreshed"), 1, "exactly one rotation");
	assert.is(countEvents(events, "grace-replayed") + countEvents(events, "reuse-detected"), 0);
	// The new cookies are fresh: the next page and API call render signed in without rotating.
	const again = await browser.get("/me");
	assertSignedIn(again);
	assert.equal(again.response.headers.getSetCookie(), [], "a fresh token: the proxy passes through");
	const api = await browser.get("/api/me", { Accept: "application/json" });
	assert.is(api.status, 200);
	assert.is((JSON.parse(api.body) as { name: string }).name, "Demo User");
	assert.is(countEvents(authEvents(server, sessionId), "refreshed"), 1);
}

/**
 * At expiry, ten requests with the same cookies (five page loads, five RSC payloads, as a
 * navigation and its prefetches send them): all signed in, all handed the same successor, one
 * rotation (the other nine are grace replays), no reuse.
 */
export async function checkBurstAtExpiry(server: ServerProcess): Promise<void> {
	const browser = new HttpBrowser(server.url);
	const sessionId = await browser.login();
	const before = browser.jar.get("rk_refresh")?.value;
	await sleep(ACCESS_TOKEN_TTL * 1000 + 300);
	// `_rsc=` is the cache-busting value Next expects of an RSC request without router headers.
	const requests = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? browser.get("/me", {}, { store: false }) : browser.get("/me?_rsc=", { RSC: "1", Accept: "*/*" }, { store: false })));
	const pages = await Promise.all(requests);
	for (const [i, page] of pages.entries()) {
		assertSignedIn(page, i % 2 === 0 ? `page ${i}` : `RSC payload ${i}`);
		if (i % 2 === 1) assert.match(String(page.response.headers.get("content-type")), /text\/x-component/);
	}
	const successors = new Set(pages.map((page) => refreshCookieSet(page.response)));
	assert.is(successors.size, 1, "one successor for all ten");
	assert.not.ok(successors.has(undefined) || successors.has(before), "each response rotated the cookie");
	const events = authEvents(server, sessionId);
	assert.is(countEvents(events, "refreshed"), 1, "one rotation");
	assert.is(countEvents(events, "grace-replayed"), 9);
	assert.is(countEvents(events, "reuse-detected"), 0);
	// Whichever response the browser stores last, the session goes on.
	for (const page of pages) browser.jar.store(page.response);
	assertSignedIn(await browser.get("/me"));
	assert.is(countEvents(authEvents(server, sessionId), "refreshed"), 1);
}

/**
 * A refresh cookie whose session was revoked (logged out elsewhere): the page renders signed
 * out, both cookies are cleared, and the prerendered home page refreshed on is never cacheable.
 */
export async function checkRefusedAndStatic(server: ServerProcess): Promise<void> {
	const browser = new HttpBrowser(server.url);
	await browser.login();
	// A prerendered page the proxy refreshed on carries tokens: private, never the prerender's shared-cache header.
	await sleep(ACCESS_TOKEN_TTL * 1000 + 300);
	const home = await browser.get("/");
	assert.is(home.status, 200);
	assert.ok(refreshCookieSet(home.response) !== undefined, "the proxy refreshed on the home page");
	assert.is(home.response.headers.get("cache-control"), "private, no-store");
	const copy = browser.jar.get("rk_refresh");
	const logout = await browser.post("/auth/logout", {});
	assert.is(logout.status, 204);
	assert.ok(copy !== undefined);
	if (copy !== undefined) browser.jar.set(copy);
	const page = await browser.get("/me");
	assertSignedOut(page);
	const cleared = page.response.headers.getSetCookie();
	assert.ok(cleared.some((line) => line.startsWith("rk_refresh=;") && line.includes("Path=/;") && /Max-Age=0/.test(line)));
	assert.ok(cleared.some((line) => line.startsWith("rk_access=;") && /Max-Age=0/.test(line)));
	assert.is(browser.jar.get("rk_refresh"), undefined, "the browser drops the dead cookie");
	assert.not.match(server.log(), /⨯|Error:/, "the server logged no error");
}

/**
 * In the built app, with its own `next/server`: createNextProxy's responses are header for
 * header what NextResponse.next({ request }), NextResponse.next() and NextResponse.redirect()
 * build in that version of Next (tests/examples/next-response-parity.mjs).
 */
export async function checkNextResponseParity(app: string, env: NodeJS.ProcessEnv, version: RegExp): Promise<void> {
	const output = await run(process.execPath, [join(ROOT, "tests/examples/next-response-parity.mjs")], { cwd: app, env });
	const result = JSON.parse(output.trim().split("\n").pop() ?? "{}") as { ok: boolean; next: string; mismatches: unknown[] };
	assert.match(result.next, version);
	assert.equal(result.mismatches, [], `differs from next ${result.next}'s NextResponse`);
	assert.ok(result.ok);
}

/** Registers the HTTP checks of the proxy on a suite, against the server `running()` returns. */
export function proxyChecks(test: Test, running: () => ServerProcess): void {
	test("after expiry the protected page, loaded with only the cookies, renders signed in and rotates the refresh cookie exactly once", async () => {
		await checkRenderAfterExpiry(running());
	});
	test("ten parallel requests of the page and its RSC payload at expiry: all signed in, one successor", async () => {
		await checkBurstAtExpiry(running());
	});
	test("a revoked session: the page renders signed out and both cookies are cleared; a refreshed prerendered page is private", async () => {
		await checkRefusedAndStatic(running());
	});
}
