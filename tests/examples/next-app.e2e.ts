// examples/next-app end to end: the library packed from this tree, the example installed in a
// temporary copy from its committed lockfile, `next build`, `next start` on 127.0.0.1, then
// login → protected Server Component page → access token expires → refresh through the cookie
// → page again → logout, over HTTP with a cookie jar. Slow (about a minute): `npm run test:examples`.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Browser } from "playwright-core";
import { launchChromium, screenshot, watchErrors, type PageGlobals } from "../browser/chromium.js";
import { buildNextExample, CookieJar, formatTimings, freePort, NEXT_EXAMPLE, packLibrary, sleep, startServer, timed, timings, type ServerProcess } from "./support.js";

const ACCESS_TOKEN_TTL = 3;
// The service's default clockTolerance: a JWT is still accepted this long past its exp.
const CLOCK_TOLERANCE = 5;
const started = performance.now();
const work = mkdtempSync(join(tmpdir(), "refresh-kit-next-e2e-"));
const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", npm_config_update_notifier: "false", ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL) };
delete env.DATABASE_URL;
delete env.AUTH_KEYS;
delete env.NODE_ENV;

let app = "";
let server: ServerProcess | null = null;
const jar = new CookieJar();
let firstAccess = "";
let firstLoginAt = 0;
let browser: Browser | null = null;

test.after(async () => {
	await browser?.close();
	await server?.stop();
	if (process.env.KEEP_E2E_DIR === undefined) rmSync(work, { recursive: true, force: true });
	timings.total = Math.round(performance.now() - started);
	console.log(`\n  next-app e2e timings: ${formatTimings()}`);
});

function origin(): string {
	if (server === null) throw new Error("the Next.js server did not start");
	return server.url;
}

/** A same-origin POST as a browser's fetch() from the app's own page sends it. */
async function post(path: string, params: Record<string, string>): Promise<Response> {
	const response = await fetch(origin() + path, {
		method: "POST",
		headers: {
			"Content-Type": "application/x-www-form-urlencoded",
			Origin: origin(),
			"Sec-Fetch-Site": "same-origin",
			Cookie: jar.header(path),
		},
		body: new URLSearchParams(params),
		redirect: "manual",
	});
	jar.store(response);
	return response;
}

interface Page {
	status: number;
	html: string;
	response: Response;
}

async function getPage(path: string): Promise<Page> {
	const response = await fetch(origin() + path, { headers: { Cookie: jar.header(path), Accept: "text/html" }, redirect: "manual" });
	return { status: response.status, html: await response.text(), response };
}

function assertSignedIn(page: Page): void {
	assert.is(page.status, 200);
	assert.match(page.html, /data-auth="ok"/);
	assert.match(page.html, /Demo User/);
	// The Server Component only verifies: it never rotates and never sets a cookie.
	assert.equal(page.response.headers.getSetCookie(), []);
	assert.match(String(page.response.headers.get("cache-control")), /no-store/);
}

function assertSignedOut(page: Page): void {
	assert.is(page.status, 200);
	assert.match(page.html, /data-auth="none"/);
	assert.not.match(page.html, /Demo User/);
	assert.equal(page.response.headers.getSetCookie(), []);
}

test("packs the library, installs the example from its lockfile plus the tarball, builds and starts it", async () => {
	const tarball = await packLibrary(work);
	app = await buildNextExample(work, tarball, env);
	// next build rewrites tsconfig.json and next-env.d.ts when they differ from what it wants:
	// the committed ones must already be what it writes, or CI would change the tree.
	for (const file of ["tsconfig.json", "next-env.d.ts", "package.json", "package-lock.json"]) {
		assert.is(readFileSync(join(app, file), "utf8"), readFileSync(join(NEXT_EXAMPLE, file), "utf8"), `${file} changed by install/build`);
	}
	const port = await freePort();
	server = await timed("next start", () =>
		startServer(["node_modules/next/dist/bin/next", "start", "-H", "127.0.0.1", "-p", String(port)], { cwd: app, env, port, readyPath: "/login" }),
	);
	assert.ok(server.child.pid !== undefined);
});

test("the auth routes: /auth/jwks public, a cross-origin login refused, a wrong password 401", async () => {
	const jwks = await fetch(`${origin()}/auth/jwks`);
	assert.is(jwks.status, 200);
	const keys = ((await jwks.json()) as { keys: Array<Record<string, unknown>> }).keys;
	assert.is(keys[0]?.alg, "EdDSA");
	assert.is(keys[0]?.d, undefined);
	const crossSite = await fetch(`${origin()}/auth/login`, {
		method: "POST",
		headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "https://evil.example" },
		body: new URLSearchParams({ username: "demo", password: "demo-password" }),
	});
	assert.is(crossSite.status, 403);
	assert.is(((await crossSite.json()) as { error: string }).error, "access_denied");
	assert.equal(crossSite.headers.getSetCookie(), []);
	const wrong = await post("/auth/login", { username: "demo", password: "nope" });
	assert.is(wrong.status, 401);
	assert.is(jar.cookies.size, 0);
	assertSignedOut(await getPage("/me"));
});

test("login sets the refresh cookie on /auth and the access cookie on /; the protected page shows the user", async () => {
	const login = await post("/auth/login", { username: "demo", password: "demo-password" });
	firstLoginAt = Date.now();
	assert.is(login.status, 200);
	const body = (await login.json()) as Record<string, unknown>;
	assert.type(body.access_token, "string");
	assert.is(body.expires_in, ACCESS_TOKEN_TTL);
	assert.is(body.refresh_token, undefined, "cookie mode never puts the refresh token in JSON");
	const refresh = jar.get("rk_refresh");
	const access = jar.get("rk_access");
	assert.ok(refresh !== undefined && refresh.value.startsWith("rk2_"));
	assert.ok(access !== undefined && access.value === body.access_token);
	assert.is(refresh?.path, "/auth");
	assert.is(access?.path, "/");
	for (const cookie of [refresh, access]) {
		for (const attribute of ["HttpOnly", "Secure", "SameSite=Strict"]) assert.ok(cookie?.attributes.includes(attribute), `${attribute} on ${cookie?.path}`);
	}
	assert.ok(access?.attributes.includes(`Max-Age=${ACCESS_TOKEN_TTL}`));
	firstAccess = access?.value ?? "";
	const page = await getPage("/me");
	assertSignedIn(page);
	assert.match(page.html, /id="user-name">Demo User</);
	assert.is((await getPage("/login")).status, 200);
});

test("after the access token expires the page is signed out; POST /auth/token with the cookie renews it", async () => {
	const refreshBefore = jar.get("rk_refresh")?.value;
	await sleep(ACCESS_TOKEN_TTL * 1000 + 300);
	assert.is(jar.get("rk_access"), undefined, "the access cookie's Max-Age has run out");
	assertSignedOut(await getPage("/me"));
	// Nothing rotated while the page was rendered signed out.
	assert.is(jar.get("rk_refresh")?.value, refreshBefore);
	const refreshed = await post("/auth/token", { grant_type: "refresh_token" });
	assert.is(refreshed.status, 200);
	const body = (await refreshed.json()) as Record<string, unknown>;
	assert.is(body.refresh_token, undefined);
	assert.is.not(jar.get("rk_refresh")?.value, refreshBefore, "the refresh cookie rotated");
	assert.is(jar.get("rk_access")?.value, body.access_token);
	assert.is.not(body.access_token, firstAccess);
	assertSignedIn(await getPage("/me"));
});

test("logout: 204, both cookies cleared, the page signed out, the refresh token refused", async () => {
	const lastRefresh = jar.get("rk_refresh")?.value ?? "";
	const logout = await post("/auth/logout", {});
	assert.is(logout.status, 204);
	const cleared = logout.headers.getSetCookie();
	assert.ok(cleared.some((line) => line.startsWith("rk_refresh=;") && /Max-Age=0/.test(line) && /Path=\/auth/.test(line)));
	assert.ok(cleared.some((line) => line.startsWith("rk_access=;") && /Max-Age=0/.test(line) && /Path=\//.test(line)));
	assert.is(jar.cookies.size, 0);
	assertSignedOut(await getPage("/me"));
	// A copy of the cookie taken before logout (another tab, a thief) no longer refreshes.
	jar.cookies.set("rk_refresh", { value: lastRefresh, path: "/auth", expiresAt: null, attributes: [] });
	const refused = await post("/auth/token", { grant_type: "refresh_token" });
	assert.is(refused.status, 400);
	assert.is(((await refused.json()) as { error: string }).error, "invalid_grant");
	assert.equal(refused.headers.getSetCookie(), [], "a failed refresh never touches cookies");
});

test("in Chromium: login form, the page renews itself before expiry, recovers a lost access cookie, logout", async () => {
	browser = await launchChromium();
	const context = await browser.newContext();
	const page = await context.newPage();
	const errors = watchErrors(page);
	try {
		const cookie = async (name: string): Promise<string | undefined> => (await context.cookies()).find((entry) => entry.name === name)?.value;
		await page.goto(`${origin()}/login`);
		await page.click("#login");
		await page.waitForURL(`${origin()}/me`);
		await page.waitForSelector('#me[data-auth="ok"]');
		assert.is(await page.textContent("#user-name"), "Demo User");
		await screenshot(page, "next-1-me");
		// SessionKeeper: POST /auth/token shortly before exp, then router.refresh() renders the
		// Server Component again with the new access cookie.
		const expiresAt = await page.textContent("#expires-at");
		const refreshBefore = await cookie("rk_refresh");
		await page.waitForFunction((before) => {
			const { document } = globalThis as unknown as PageGlobals;
			const now = document.querySelector('#me[data-auth="ok"] #expires-at')?.textContent;
			return now !== undefined && now !== before;
		}, expiresAt, { timeout: 10_000 });
		assert.is.not(await cookie("rk_refresh"), refreshBefore, "the refresh cookie rotated");
		await screenshot(page, "next-2-renewed");
		// The access cookie gone (expired while the tab slept): the page renders signed out, and
		// Reauthenticate refreshes through the cookie and renders it again.
		await page.goto(`${origin()}/`); // no SessionKeeper here to renew the cookie meanwhile
		await context.clearCookies({ name: "rk_access" });
		const signedOut = await page.goto(`${origin()}/me`);
		assert.match((await signedOut?.text()) ?? "", /data-auth="none"/);
		await page.waitForSelector('#me[data-auth="ok"]', { timeout: 10_000 });
		assert.ok((await cookie("rk_access")) !== undefined);
		await page.click("#logout");
		await page.waitForURL(`${origin()}/login`);
		assert.is(await cookie("rk_refresh"), undefined);
		assert.is(await cookie("rk_access"), undefined);
		// Signed out for good: the page's refresh attempt is refused and it sends the browser to /login.
		await page.goto(`${origin()}/me`);
		await page.waitForURL(`${origin()}/login`, { timeout: 10_000 });
		await screenshot(page, "next-3-logged-out");
		assert.equal(errors, [], "no page errors");
	} finally {
		// The state the page ended in, for a failure's post-mortem.
		await screenshot(page, "next-last").catch(() => undefined);
	}
});

test("an expired access token sent anyway (a client ignoring Max-Age) is refused by the page", async () => {
	// Past exp plus the verifier's clock tolerance, counted from the first login.
	const wait = firstLoginAt + (ACCESS_TOKEN_TTL + CLOCK_TOLERANCE + 1) * 1000 - Date.now();
	if (wait > 0) await sleep(wait);
	jar.cookies.clear();
	jar.cookies.set("rk_access", { value: firstAccess, path: "/", expiresAt: null, attributes: [] });
	assertSignedOut(await getPage("/me"));
	jar.cookies.set("rk_access", { value: "not-a-jwt", path: "/", expiresAt: null, attributes: [] });
	assertSignedOut(await getPage("/me"));
	assert.not.match(server?.log() ?? "", /Error|⨯/, "the server logged no error");
});

// --- app/sessions: the "your sessions" page, two browsers ---------------------------------------

const MAC_CHROME = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
const IPHONE_SAFARI = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

test("sessions page: two browsers listed; one signs the other out (DELETE /auth/sessions/{id}), which is sent to /login; then all others", async () => {
	browser ??= await launchChromium();
	const laptop = await browser.newContext({ userAgent: MAC_CHROME });
	const phone = await browser.newContext({ userAgent: IPHONE_SAFARI });
	const [a, b] = [await laptop.newPage(), await phone.newPage()];
	const errorsOf = [watchErrors(a), watchErrors(b)];
	try {
		for (const page of [a, b]) {
			await page.goto(`${origin()}/login`);
			await page.click("#login");
			await page.waitForURL(`${origin()}/me`);
		}
		await a.goto(`${origin()}/sessions`);
		await a.waitForSelector('#sessions[data-auth="ok"][data-count="2"]');
		const rows = await a.$$eval("#sessions li", (items) => items.map((item) => [item.getAttribute("data-current"), item.querySelector("strong")?.textContent, item.getAttribute("data-session-id")]));
		assert.equal(
			rows.map(([current, device]) => [current, device]),
			[
				["true", "Chrome on macOS"],
				["false", "Safari on iPhone"],
			],
		);
		const phoneSid = String(rows[1]?.[2]);
		await screenshot(a, "next-sessions-1-two-browsers");

		// Over HTTP with the laptop's access cookie: the list as JSON, and a cross-origin DELETE refused.
		const accessCookie = (await laptop.cookies()).find((cookie) => cookie.name === "rk_access")?.value ?? "";
		const listed = await fetch(`${origin()}/auth/sessions`, { headers: { Cookie: `rk_access=${accessCookie}` } });
		assert.is(listed.status, 200);
		assert.is(listed.headers.get("cache-control"), "no-store");
		const body = (await listed.json()) as { sessions: Array<{ id: string; device: string; current: boolean }> };
		assert.equal(body.sessions.map((session) => [session.device, session.current]), [["Chrome on macOS", true], ["Safari on iPhone", false]]);
		const crossOrigin = await fetch(`${origin()}/auth/sessions/${phoneSid}`, { method: "DELETE", headers: { Cookie: `rk_access=${accessCookie}`, Origin: "https://evil.example" } });
		assert.is(crossOrigin.status, 403);
		assert.is(((await crossOrigin.json()) as { error: string }).error, "access_denied");

		await a.click('#sessions li[data-current="false"] button.sign-out-session');
		await a.waitForSelector('#sessions[data-auth="ok"][data-count="1"]');
		await screenshot(a, "next-sessions-2-phone-signed-out");
		// The phone's access cookie may still verify for a few seconds, but its session has ended:
		// the page treats it as signed out, its refresh is refused, and it lands on /login.
		await b.goto(`${origin()}/sessions`);
		await b.waitForURL(`${origin()}/login`, { timeout: 10_000 });
		await screenshot(b, "next-sessions-3-phone-at-login");

		// Signed in again on the phone: the laptop signs out every other session.
		await b.click("#login");
		await b.waitForURL(`${origin()}/me`);
		await a.reload();
		await a.waitForSelector('#sessions[data-auth="ok"][data-count="2"]');
		await a.click("#sign-out-others");
		await a.waitForSelector('#sessions[data-auth="ok"][data-count="1"]');
		assert.is(await a.getAttribute("#sessions li", "data-current"), "true");
		await b.goto(`${origin()}/sessions`);
		await b.waitForURL(`${origin()}/login`, { timeout: 10_000 });
		assert.equal(errorsOf.flat(), [], "no page errors");
	} finally {
		await screenshot(a, "next-sessions-last").catch(() => undefined);
		await laptop.close();
		await phone.close();
	}
});

test.run();
