// examples/next-app end to end: the library packed from this tree, the example installed in a
// temporary copy from its committed lockfile, `next build`, `next start` on 127.0.0.1, then over
// HTTP with a cookie jar: the auth routes, login, the proxy (proxy.ts) refreshing before a page
// renders after expiry, a burst at expiry, a refused refresh, logout; then in Chromium a user who
// keeps navigating across several expiries. Slow (about two minutes): `npm run test:examples`.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { launchChromium, type PageGlobals, screenshot, watchErrors } from "../browser/chromium.js";
import { ACCESS_TOKEN_TTL, assertSignedIn, assertSignedOut, authEvents, checkNextResponseParity, countEvents, HttpBrowser, nextEnv, proxyChecks, REFRESH_MARGIN, sessionOf } from "./next-proxy-checks.js";
import { buildNextExample, formatTimings, freePort, NEXT_EXAMPLE, packLibrary, type ServerProcess, type StoredCookie, sleep, startServer, timed, timings } from "./support.js";

// The service's default clockTolerance: a JWT is still accepted this long past its exp.
const CLOCK_TOLERANCE = 5;
// How long the Chromium user keeps navigating: several access-token lifetimes.
const NAVIGATION_SECONDS = 4 * ACCESS_TOKEN_TTL;
const started = performance.now();
const work = mkdtempSync(join(tmpdir(), "refresh-kit-next-e2e-"));
const env = nextEnv();

let app = "";
let server: ServerProcess | null = null;
let browser: Browser | null = null;
// An access token from the first login, for the last test (by then long expired).
let earlyAccess: StoredCookie | undefined;

// The timings record is shared with the other e2e files of the run: report only this file's.
test.before(() => {
	for (const step of Object.keys(timings)) delete timings[step];
});

test.after(async () => {
	await browser?.close();
	await server?.stop();
	if (process.env.KEEP_E2E_DIR === undefined) rmSync(work, { recursive: true, force: true });
	timings.total = Math.round(performance.now() - started);
	console.log(`\n  next-app e2e timings: ${formatTimings()}`);
});

function running(): ServerProcess {
	if (server === null) throw new Error("the Next.js server did not start");
	return server;
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
	server = await timed("next start", () => startServer(["node_modules/next/dist/bin/next", "start", "-H", "127.0.0.1", "-p", String(port)], { cwd: app, env, port, readyPath: "/login" }));
	assert.ok(server.child.pid !== undefined);
});

test("the proxy's responses are exactly what this Next's NextResponse.next({ request }) / .next() / .redirect() build", async () => {
	await checkNextResponseParity(app, env, /^16\./);
});

test("the auth routes: /auth/jwks public, a cross-origin login refused, a wrong password 401", async () => {
	const origin = running().url;
	const jwks = await fetch(`${origin}/auth/jwks`);
	assert.is(jwks.status, 200);
	const keys = ((await jwks.json()) as { keys: Array<Record<string, unknown>> }).keys;
	assert.is(keys[0]?.alg, "EdDSA");
	assert.is(keys[0]?.d, undefined);
	const crossSite = await fetch(`${origin}/auth/login`, {
		method: "POST",
		headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "https://evil.example" },
		body: new URLSearchParams({ username: "demo", password: "demo-password" }),
	});
	assert.is(crossSite.status, 403);
	assert.is(((await crossSite.json()) as { error: string }).error, "access_denied");
	assert.equal(crossSite.headers.getSetCookie(), []);
	const visitor = new HttpBrowser(origin);
	const wrong = await visitor.post("/auth/login", { username: "demo", password: "nope" });
	assert.is(wrong.status, 401);
	assert.is(visitor.jar.cookies.size, 0);
	const page = await visitor.get("/me");
	assertSignedOut(page);
	assert.equal(page.response.headers.getSetCookie(), [], "no refresh cookie: the proxy does nothing");
	assert.is((await visitor.get("/api/me", { Accept: "application/json" })).status, 401);
});

test("login: both cookies on / (cookie.path), HttpOnly, Secure, SameSite=Strict; the old /auth cookie deleted; the page shows the user", async () => {
	const user = new HttpBrowser(running().url);
	const login = await user.post("/auth/login", { username: "demo", password: "demo-password" });
	assert.is(login.status, 200);
	const body = (await login.json()) as Record<string, unknown>;
	assert.is(body.expires_in, ACCESS_TOKEN_TTL);
	assert.is(body.refresh_token, undefined, "cookie mode never puts the refresh token in JSON");
	const refresh = user.jar.get("rk_refresh");
	const access = user.jar.get("rk_access");
	assert.ok(refresh?.value.startsWith("rk2_"));
	assert.ok(access !== undefined && access.value === body.access_token);
	assert.is(refresh?.path, "/");
	assert.is(access?.path, "/");
	for (const cookie of [refresh, access]) {
		for (const attribute of ["HttpOnly", "Secure", "SameSite=Strict"]) assert.ok(cookie?.attributes.includes(attribute), `${attribute} on ${cookie?.name}`);
	}
	assert.ok(access?.attributes.includes(`Max-Age=${ACCESS_TOKEN_TTL}`));
	earlyAccess = access === undefined ? undefined : { ...access, expiresAt: null };
	assert.ok(
		login.headers.getSetCookie().some((line) => line.startsWith("rk_refresh=;") && line.includes("Path=/auth;") && line.includes("Max-Age=0")),
		"a cookie from before cookie.path is retired",
	);
	const page = await user.get("/me");
	assertSignedIn(page);
	assert.match(page.body, /id="user-name">Demo User</);
	assert.equal(page.response.headers.getSetCookie(), [], "a fresh token: the proxy passes through");
	// The route handler still reads and rotates the cookie on its new path.
	const before = user.jar.get("rk_refresh")?.value;
	const refreshed = await user.post("/auth/token", { grant_type: "refresh_token" });
	assert.is(refreshed.status, 200);
	assert.is.not(user.jar.get("rk_refresh")?.value, before);
	assert.is(countEvents(authEvents(running(), sessionOf(String(body.access_token))), "refreshed"), 1);
});

proxyChecks(test, running);

test("logout: 204, both cookies cleared, the page signed out, the refresh token refused", async () => {
	const user = new HttpBrowser(running().url);
	await user.login();
	const lastRefresh = user.jar.get("rk_refresh");
	const logout = await user.post("/auth/logout", {});
	assert.is(logout.status, 204);
	const cleared = logout.headers.getSetCookie();
	assert.ok(cleared.some((line) => line.startsWith("rk_refresh=;") && /Max-Age=0/.test(line) && line.includes("Path=/;")));
	assert.ok(cleared.some((line) => line.startsWith("rk_access=;") && /Max-Age=0/.test(line) && line.includes("Path=/;")));
	assert.is(user.jar.cookies.size, 0);
	assertSignedOut(await user.get("/me"));
	// A copy of the cookie taken before logout (another tab, a thief) no longer refreshes.
	if (lastRefresh !== undefined) user.jar.set(lastRefresh);
	const refused = await user.post("/auth/token", { grant_type: "refresh_token" });
	assert.is(refused.status, 400);
	assert.is(((await refused.json()) as { error: string }).error, "invalid_grant");
	assert.equal(refused.headers.getSetCookie(), [], "a failed refresh at the route never touches cookies");
});

/** Clicks a nav link and waits for the page it leads to, which must render signed in. */
async function navigate(page: Page, link: "#nav-me" | "#nav-details", path: string): Promise<void> {
	await page.click(link);
	await page.waitForURL(`${running().url}${path}`);
	await page.waitForSelector(`${path === "/me" ? "#who-am-i" : "#session-id"}, #me[data-auth="none"]`);
	assert.is(await page.getAttribute("#me", "data-auth"), "ok", `signed in after navigating to ${path}`);
}

async function cookieValue(context: BrowserContext, name: string): Promise<string | undefined> {
	return (await context.cookies()).find((entry) => entry.name === name)?.value;
}

test(`in Chromium: a user who keeps navigating for ${NAVIGATION_SECONDS} s is never signed out, and each expiry costs one rotation`, async () => {
	browser = await launchChromium();
	const context = await browser.newContext();
	const page = await context.newPage();
	const errors = watchErrors(page);
	const origin = running().url;
	// Every refresh during the run must be the proxy's: the page never POSTs /auth/token itself.
	const clientRefreshes: string[] = [];
	const apiStatuses: number[] = [];
	page.on("request", (request) => void (request.url().endsWith("/auth/token") && clientRefreshes.push(request.url())));
	page.on("response", (response) => void (new URL(response.url()).pathname === "/api/me" && apiStatuses.push(response.status())));
	try {
		await page.goto(`${origin}/login`);
		await page.click("#login");
		await page.waitForURL(`${origin}/me`);
		await page.waitForSelector('#me[data-auth="ok"] #user-name');
		const sessionId = sessionOf((await cookieValue(context, "rk_access")) ?? "");
		await screenshot(page, "next-1-me");
		const until = Date.now() + NAVIGATION_SECONDS * 1000;
		let step = 0;
		while (Date.now() < until) {
			step++;
			if (step % 7 === 0) {
				// A full load now and then (an HTML request, not an RSC fetch), and the Server Action.
				await page.goto(`${origin}/me`);
				assert.is(await page.getAttribute("#me", "data-auth"), "ok", "signed in after a full load");
				await page.click("#who-am-i");
				await page.waitForFunction(() => {
					const { document } = globalThis as unknown as PageGlobals;
					return document.getElementById("action-result")?.textContent !== "";
				});
				assert.is(await page.textContent("#action-result"), "Demo User", "the Server Action saw the user");
			} else {
				await navigate(page, step % 2 === 0 ? "#nav-me" : "#nav-details", step % 2 === 0 ? "/me" : "/me/details");
			}
			await sleep(300);
		}
		const ended = Date.now();
		await screenshot(page, "next-2-after-navigating");
		assert.equal(clientRefreshes, [], "no refresh by the client: the proxy did them all");
		assert.ok(apiStatuses.length >= NAVIGATION_SECONDS - 2, `the poller kept calling /api/me (${apiStatuses.length} calls)`);
		assert.ok(
			apiStatuses.every((status) => status === 200),
			`every /api/me call signed in: ${apiStatuses.join(",")}`,
		);
		// Each access token reaches its refresh point (exp minus the margin) once; the first request
		// after it rotates, once. So the rotations equal the refresh points passed, give or take the
		// last one (passed just before the end, with no request after it yet).
		const events = authEvents(running(), sessionId);
		const issued = [events.find((event) => event.type === "issued"), ...events.filter((event) => event.type === "refreshed")].map((event) => event?.at ?? 0);
		const rotations = issued.length - 1;
		const refreshPoints = issued.filter((at) => Math.floor(at / 1000) * 1000 + (ACCESS_TOKEN_TTL - REFRESH_MARGIN) * 1000 <= ended).length;
		console.log(`  ${rotations} rotations for ${refreshPoints} refresh points in ${((ended - (issued[0] ?? 0)) / 1000).toFixed(1)} s (TTL ${ACCESS_TOKEN_TTL} s, margin ${REFRESH_MARGIN} s)`);
		assert.ok(rotations >= NAVIGATION_SECONDS / ACCESS_TOKEN_TTL, "the session went on across several expiries");
		assert.ok(rotations === refreshPoints || rotations === refreshPoints - 1, `${rotations} rotations for ${refreshPoints} refresh points (tolerance: the last one)`);
		// No expiry paid twice: consecutive rotations are a token's lifetime minus the margin apart
		// (less at most 1 s, since iat is whole seconds), never a burst of two.
		for (let i = 1; i < issued.length; i++) {
			const gap = ((issued[i] as number) - (issued[i - 1] as number)) / 1000;
			assert.ok(gap > ACCESS_TOKEN_TTL - REFRESH_MARGIN - 1, `rotation ${i} came ${gap.toFixed(2)} s after the previous one`);
		}
		assert.is(countEvents(events, "reuse-detected"), 0);
		// The access cookie gone (the tab slept past its Max-Age): the next load is refreshed by the
		// proxy and renders signed in at once, with no client-side round trip.
		await context.clearCookies({ name: "rk_access" });
		const reload = await page.goto(`${origin}/me/details`);
		assert.match((await reload?.text()) ?? "", /data-auth="ok"/);
		await page.click("#nav-me");
		await page.waitForSelector("#logout");
		await page.click("#logout");
		await page.waitForURL(`${origin}/login`);
		assert.is(await cookieValue(context, "rk_refresh"), undefined);
		assert.is(await cookieValue(context, "rk_access"), undefined);
		// Signed out for good: the page renders signed out, its one refresh attempt is refused, and it sends the browser to /login.
		await page.goto(`${origin}/me`);
		await page.waitForURL(`${origin}/login`, { timeout: 10_000 });
		await screenshot(page, "next-3-logged-out");
		assert.equal(errors, [], "no page errors");
	} finally {
		// The state the page ended in, for a failure's post-mortem.
		await screenshot(page, "next-last").catch(() => undefined);
	}
});

test("an expired access token sent without a refresh cookie (a client ignoring Max-Age) is refused by the page", async () => {
	// Past exp plus the verifier's clock tolerance (the first login was long enough ago in a full run).
	const expiredAt = (JSON.parse(Buffer.from(earlyAccess?.value.split(".")[1] ?? "", "base64url").toString("utf8")) as { exp: number }).exp;
	const wait = (expiredAt + CLOCK_TOLERANCE + 1) * 1000 - Date.now();
	if (wait > 0) await sleep(wait);
	const user = new HttpBrowser(running().url);
	if (earlyAccess !== undefined) user.jar.set(earlyAccess);
	assertSignedOut(await user.get("/me"));
	user.jar.set({ name: "rk_access", value: "not-a-jwt", path: "/", expiresAt: null, attributes: [] });
	assertSignedOut(await user.get("/me"));
	assert.not.match(running().log(), /Error|⨯/, "the server logged no error");
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
		async function signIn(page: Page): Promise<void> {
			await page.goto(`${running().url}/login`);
			await page.click("#login");
			await page.waitForURL(`${running().url}/me`);
		}
		// The earlier tests left sessions of the demo user behind: the laptop starts by signing
		// every other session out, so the list holds exactly the two browsers of this test.
		await signIn(a);
		await a.goto(`${running().url}/sessions`);
		await a.waitForSelector('#sessions[data-auth="ok"]');
		if ((await a.getAttribute("#sessions", "data-count")) !== "1") {
			await a.click("#sign-out-others");
			await a.waitForSelector('#sessions[data-auth="ok"][data-count="1"]');
		}
		await signIn(b);
		await a.reload();
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
		const listed = await fetch(`${running().url}/auth/sessions`, { headers: { Cookie: `rk_access=${accessCookie}` } });
		assert.is(listed.status, 200);
		assert.is(listed.headers.get("cache-control"), "no-store");
		const body = (await listed.json()) as { sessions: Array<{ id: string; device: string; current: boolean }> };
		assert.equal(
			body.sessions.map((session) => [session.device, session.current]),
			[
				["Chrome on macOS", true],
				["Safari on iPhone", false],
			],
		);
		const crossOrigin = await fetch(`${running().url}/auth/sessions/${phoneSid}`, { method: "DELETE", headers: { Cookie: `rk_access=${accessCookie}`, Origin: "https://evil.example" } });
		assert.is(crossOrigin.status, 403);
		assert.is(((await crossOrigin.json()) as { error: string }).error, "access_denied");

		await a.click('#sessions li[data-current="false"] button.sign-out-session');
		await a.waitForSelector('#sessions[data-auth="ok"][data-count="1"]');
		await screenshot(a, "next-sessions-2-phone-signed-out");
		// The phone's access cookie may still verify for a few seconds, but its session has ended:
		// the page treats it as signed out, its refresh is refused, and it lands on /login.
		await b.goto(`${running().url}/sessions`);
		await b.waitForURL(`${running().url}/login`, { timeout: 10_000 });
		await screenshot(b, "next-sessions-3-phone-at-login");

		// Signed in again on the phone: the laptop signs out every other session.
		await b.click("#login");
		await b.waitForURL(`${running().url}/me`);
		await a.reload();
		await a.waitForSelector('#sessions[data-auth="ok"][data-count="2"]');
		await a.click("#sign-out-others");
		await a.waitForSelector('#sessions[data-auth="ok"][data-count="1"]');
		assert.is(await a.getAttribute("#sessions li", "data-current"), "true");
		await b.goto(`${running().url}/sessions`);
		await b.waitForURL(`${running().url}/login`, { timeout: 10_000 });
		assert.equal(errorsOf.flat(), [], "no page errors");
	} finally {
		await screenshot(a, "next-sessions-last").catch(() => undefined);
		await laptop.close();
		await phone.close();
	}
});

test.run();
