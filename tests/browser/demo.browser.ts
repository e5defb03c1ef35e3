// The demo page (examples/node-server) in headless Chromium: login, the protected API call,
// the access token expiring and the page refreshing through the HttpOnly refresh cookie,
// a reload resuming the session from that cookie, logout, and the API refusing afterwards.
// Also checks that Chromium keeps the `Secure` cookie on http://127.0.0.1 (a potentially
// trustworthy origin). Screenshots go to test-artifacts/browser/. `npm run test:browser`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { freePort, ROOT, type ServerProcess, sleep, startServer } from "../examples/support.js";
import { launchChromium, type PageGlobals, screenshot, watchErrors } from "./chromium.js";

const ACCESS_TOKEN_TTL = 3;
// The demo keeps its keys and PGlite database in .data/ under its working directory.
const cwd = mkdtempSync(join(tmpdir(), "refresh-kit-demo-browser-"));
let server: ServerProcess | null = null;
let browser: Browser | null = null;
let context: BrowserContext | null = null;
let page: Page | null = null;
let errors: string[] = [];

test.after(async () => {
	// The state the page ended in, for a failure's post-mortem.
	if (page !== null) await screenshot(page, "demo-last").catch(() => undefined);
	await browser?.close();
	await server?.stop();
	rmSync(cwd, { recursive: true, force: true });
});

function current(): Page {
	if (page === null) throw new Error("the browser did not start");
	return page;
}

async function refreshCookie(): Promise<{ value: string; secure: boolean; httpOnly: boolean; sameSite: string; path: string } | undefined> {
	return (await context?.cookies())?.find((cookie) => cookie.name === "rk_refresh");
}

async function text(selector: string): Promise<string> {
	return (await current().textContent(selector)) ?? "";
}

/** Waits until the page log (newest line first) has a line matching `pattern`. */
async function waitForLog(pattern: RegExp, on: Page = current()): Promise<void> {
	await on.waitForFunction(
		(source) => {
			const { document } = globalThis as unknown as PageGlobals;
			return new RegExp(source).test(document.getElementById("log")?.textContent ?? "");
		},
		pattern.source,
		{ timeout: 10_000 },
	);
}

test("starts the demo (PGlite in a temp dir, access tokens for 3 s) and Chromium", async () => {
	const port = await freePort();
	const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: "127.0.0.1", ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL) };
	delete env.DATABASE_URL;
	delete env.AUTH_KEYS;
	server = await startServer(["--import", import.meta.resolve("tsx"), join(ROOT, "examples/node-server/server.ts")], { cwd, env, port, readyPath: "/healthz" });
	browser = await launchChromium();
	context = await browser.newContext();
	page = await context.newPage();
	errors = watchErrors(page);
	await page.goto(`${server.url}/`);
	await waitForLog(/no session yet/);
	assert.is(await page.getAttribute("#status", "data-state"), "logged-out");
});

test("login: the Secure, HttpOnly, SameSite=Strict refresh cookie is kept on http://127.0.0.1", async () => {
	const page = current();
	await page.click("#login");
	await page.waitForSelector('#status[data-state="logged-in"]');
	assert.match(await text("#status"), /Logged in as demo \(Demo User\)/);
	const cookie = await refreshCookie();
	assert.ok(cookie !== undefined, "Chromium stored the Secure cookie over plain http to 127.0.0.1");
	assert.ok(cookie?.value.startsWith("rk2_"));
	assert.is(cookie?.secure, true);
	assert.is(cookie?.httpOnly, true);
	assert.is(cookie?.sameSite, "Strict");
	assert.is(cookie?.path, "/auth");
	// HttpOnly: the page's script cannot read it.
	assert.not.match(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.cookie), /rk_refresh/);
	await screenshot(page, "demo-1-logged-in");
});

test("the protected API call shows the user", async () => {
	const page = current();
	await page.click("#call-api");
	await page.waitForFunction(() => ((globalThis as unknown as PageGlobals).document.getElementById("me")?.textContent ?? "").includes("Demo User"));
	const me = JSON.parse(await text("#me")) as { subject: string; name: string; expiresAt: number; issuedAt: number };
	assert.is(me.subject, "demo");
	assert.is(me.expiresAt - me.issuedAt, ACCESS_TOKEN_TTL);
	await screenshot(page, "demo-2-api-call");
});

test("after the access token expires, the next API call refreshes through the cookie and succeeds", async () => {
	const page = current();
	const before = await refreshCookie();
	const meBefore = JSON.parse(await text("#me")) as { issuedAt: number; session: string };
	await sleep(ACCESS_TOKEN_TTL * 1000 + 500);
	await page.waitForFunction(() => /expired/.test((globalThis as unknown as PageGlobals).document.getElementById("expires")?.textContent ?? ""));
	await page.click("#call-api");
	await waitForLog(/access token expired: refreshing first/);
	await waitForLog(/POST \/auth\/token → 200/);
	await page.waitForFunction((issuedAt) => {
		const { document } = globalThis as unknown as PageGlobals;
		try {
			return (JSON.parse(document.getElementById("me")?.textContent ?? "") as { issuedAt: number }).issuedAt > issuedAt;
		} catch {
			return false;
		}
	}, meBefore.issuedAt);
	const me = JSON.parse(await text("#me")) as { subject: string; session: string };
	assert.is(me.subject, "demo");
	assert.is(me.session, meBefore.session, "same session, rotated token");
	const after = await refreshCookie();
	assert.ok(after !== undefined && before !== undefined && after.value !== before.value, "the refresh cookie rotated");
	await screenshot(page, "demo-3-refreshed");
});

test("a reload resumes the session from the refresh cookie", async () => {
	const page = current();
	const before = await refreshCookie();
	await page.reload();
	await waitForLog(/resumed the session from the refresh cookie/);
	await page.waitForSelector('#status[data-state="logged-in"]');
	assert.is.not((await refreshCookie())?.value, before?.value);
});

test("logout clears the cookie; the API call is then refused", async () => {
	const page = current();
	await page.click("#logout");
	await waitForLog(/POST \/auth\/logout → 204/);
	assert.is(await page.getAttribute("#status", "data-state"), "logged-out");
	assert.is(await refreshCookie(), undefined);
	await page.click("#call-api");
	await waitForLog(/POST \/auth\/token → 400/);
	assert.is(await text("#me"), "–");
	const status = await page.evaluate(async () => (await fetch("/api/me")).status);
	assert.is(status, 401);
	await screenshot(page, "demo-4-logged-out");
	assert.equal(errors, [], "no page errors, no CSP violations");
});

// Several tabs (issue 11): the tabs of one browser share the refresh cookie; the demo lets one
// refresh at a time through a Web Lock waited for at most 3 s, and passes tokens on through a
// BroadcastChannel, where a token delivered late never replaces a newer one.
const LOCK_TIMEOUT_MS = 3000;
const CHANNEL = "refresh-kit-demo";
let tabB: Page | null = null;
let recorder: Page | null = null;

interface TabGlobals {
	recorded: Array<{ body: unknown; receivedAt: number }>;
	BroadcastChannel: new (name: string) => { postMessage(message: unknown): void; onmessage: ((event: { data: { body: unknown; receivedAt: number } }) => void) | null };
	navigator: { locks: { request(name: string, callback: () => Promise<void>): Promise<void> } };
}

function tabs(): [Page, Page, Page] {
	if (tabB === null || recorder === null) throw new Error("the second tab did not open");
	return [current(), tabB, recorder];
}

async function jti(page: Page): Promise<string | null> {
	return page.getAttribute("#access-token", "data-jti");
}

async function clearLog(page: Page): Promise<void> {
	await page.evaluate(() => {
		const log = (globalThis as unknown as PageGlobals).document.getElementById("log");
		if (log !== null) log.textContent = "";
	});
}

/** Clicks Refresh in every page at once, and waits until each tab has either refreshed or taken another tab's token. */
async function refreshAtOnce(pages: Page[]): Promise<void> {
	await Promise.all(pages.map(clearLog));
	await Promise.all(pages.map((page) => page.click("#refresh")));
	await Promise.all(pages.map((page) => waitForLog(/POST \/auth\/token → 200|took the access token another tab received/, page)));
	for (const page of pages) await page.waitForSelector('#status[data-state="logged-in"]');
}

async function assertOneSession(pages: Page[]): Promise<void> {
	const statuses = await Promise.all(pages.map((page) => page.textContent("#status")));
	assert.match(statuses[0] ?? "", /Logged in as demo/);
	assert.is(new Set(statuses).size, 1, `one session in every tab: ${statuses.join(" | ")}`);
	for (const page of pages) assert.not.match((await page.textContent("#log")) ?? "", /→ 400/, "no tab was logged out");
}

test("tabs: a second tab and a BroadcastChannel recorder open; a login in one tab shows in the other", async () => {
	const browserContext = context;
	if (browserContext === null || server === null) throw new Error("the browser did not start");
	recorder = await browserContext.newPage();
	await recorder.goto(`${server.url}/healthz`);
	await recorder.evaluate((name) => {
		const page = globalThis as unknown as TabGlobals;
		page.recorded = [];
		new page.BroadcastChannel(name).onmessage = (event) => page.recorded.push(event.data);
	}, CHANNEL);
	tabB = await browserContext.newPage();
	errors.push(...watchErrors(tabB));
	await tabB.goto(`${server.url}/`);
	await waitForLog(/no session yet/, tabB);
	const [a, b] = tabs();
	await a.click("#login");
	await a.waitForSelector('#status[data-state="logged-in"]');
	await b.waitForSelector('#status[data-state="logged-in"]');
	await waitForLog(/took the access token another tab received/, b);
	assert.is(await jti(b), await jti(a), "tab B holds tab A's token, without a request of its own");
});

test("tabs: two tabs refreshing at the same instant keep one session and end up with the same token", async () => {
	const [a, b] = tabs();
	const before = await refreshCookie();
	await refreshAtOnce([a, b]);
	await assertOneSession([a, b]);
	const after = await refreshCookie();
	assert.ok(after !== undefined && after.value !== before?.value, "the cookie rotated");
	// Each tab announced what it received; the later arrival wins in both.
	const deadline = Date.now() + 5000;
	while ((await jti(a)) !== (await jti(b)) && Date.now() < deadline) await sleep(50);
	assert.is(await jti(a), await jti(b), "both tabs hold the same, newest token");
});

test("tabs: a lock held forever by a frozen tab delays a refresh by the lock timeout only; the grace window keeps the concurrent refreshes safe", async () => {
	const browserContext = context;
	if (browserContext === null || server === null) throw new Error("the browser did not start");
	const [a, b] = tabs();
	const frozen = await browserContext.newPage();
	await frozen.goto(`${server.url}/healthz`);
	await frozen.evaluate(
		(name) =>
			new Promise<void>((held) => {
				void (globalThis as unknown as TabGlobals).navigator.locks.request(name, () => {
					held();
					return new Promise<void>(() => undefined);
				});
			}),
		CHANNEL,
	);
	const started = performance.now();
	await refreshAtOnce([a, b]);
	const waited = performance.now() - started;
	for (const page of [a, b]) await waitForLog(/no refresh lock within 3s/, page);
	await assertOneSession([a, b]);
	assert.ok(waited >= LOCK_TIMEOUT_MS - 100, `waited for the lock first (${waited.toFixed(0)} ms)`);
	assert.ok(waited < LOCK_TIMEOUT_MS + 5000, `then refreshed without it (${waited.toFixed(0)} ms)`);
	await frozen.close();
	// With the frozen tab gone, its lock is released and refreshing is prompt again.
	const again = performance.now();
	await refreshAtOnce([a]);
	assert.ok(performance.now() - again < LOCK_TIMEOUT_MS, "the lock is free again");
});

test("tabs: a tab that receives an older token late keeps the newer one", async () => {
	const [a, b, rec] = tabs();
	const recorded = await rec.evaluate(() => (globalThis as unknown as TabGlobals).recorded);
	const tokens = recorded.filter((message) => message.body !== null);
	assert.ok(tokens.length >= 2, `the recorder saw the tabs' tokens (${tokens.length})`);
	const held = { a: await jti(a), b: await jti(b) };
	const oldest = tokens[0] as { body: unknown; receivedAt: number };
	await Promise.all([a, b].map(clearLog));
	// The first token the recorder saw, delivered again now: a message that sat in a frozen tab's queue.
	await rec.evaluate(([name, message]) => new (globalThis as unknown as TabGlobals).BroadcastChannel(name as string).postMessage(message), [CHANNEL, oldest] as const);
	for (const page of [a, b]) await waitForLog(/another tab sent an older token: kept this one/, page);
	assert.equal({ a: await jti(a), b: await jti(b) }, held, "neither tab went back to the older token");
	await assertOneSession([a, b]);
	assert.equal(errors, [], "no page errors, no CSP violations");
});

test("tabs: a logout in one tab signs the other out too (and leaves the user with no session for what follows)", async () => {
	const [a, b] = tabs();
	await a.click("#logout");
	for (const page of [a, b]) await page.waitForSelector('#status[data-state="logged-out"]');
});

// --- Your sessions: two browser contexts (two cookie jars, two devices) ----------------------------

const MAC_CHROME = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
const IPHONE_SAFARI = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

interface Device {
	context: BrowserContext;
	page: Page;
	errors: string[];
}

/** A new browser context (its own cookie jar) posing as `userAgent`, logged in to the demo. */
async function signedInDevice(userAgent: string): Promise<Device> {
	if (browser === null || server === null) throw new Error("the browser or the demo did not start");
	const context = await browser.newContext({ userAgent });
	const page = await context.newPage();
	const errors = watchErrors(page);
	await page.goto(`${server.url}/`);
	await logLine(page, /no session yet|resumed the session/);
	await page.click("#login");
	await page.waitForSelector('#status[data-state="logged-in"]');
	return { context, page, errors };
}

async function logLine(page: Page, pattern: RegExp): Promise<void> {
	await page.waitForFunction((source) => new RegExp(source).test((globalThis as unknown as PageGlobals).document.getElementById("log")?.textContent ?? ""), pattern.source, { timeout: 10_000 });
}

/** Clicks "GET /auth/sessions" and returns the listed sessions as the page shows them. */
async function listedSessions(page: Page, count: number): Promise<Array<{ current: string; text: string }>> {
	await page.click("#list-sessions");
	await page.waitForSelector(`#sessions[data-count="${count}"]`, { timeout: 10_000 });
	return page.$$eval("#sessions li", (items) => items.map((item) => ({ current: (item as unknown as { dataset: { current: string } }).dataset.current, text: item.textContent ?? "" })));
}

let laptop: Device | null = null;
let phone: Device | null = null;

test("your sessions: two browsers signed in see both sessions, each marked from its own side", async () => {
	laptop = await signedInDevice(MAC_CHROME);
	phone = await signedInDevice(IPHONE_SAFARI);
	const fromLaptop = await listedSessions(laptop.page, 2);
	assert.equal(
		fromLaptop.map((entry) => [entry.current, entry.text.split(":")[0]]),
		[
			["true", "Chrome on macOS (this browser)"],
			["false", "Safari on iPhone"],
		],
	);
	await screenshot(laptop.page, "sessions-1-laptop-sees-two");
	const fromPhone = await listedSessions(phone.page, 2);
	assert.equal(
		fromPhone.map((entry) => [entry.current, entry.text.split(":")[0]]),
		[
			["false", "Chrome on macOS"],
			["true", "Safari on iPhone (this browser)"],
		],
	);
	await screenshot(phone.page, "sessions-2-phone-sees-two");
});

test("your sessions: the laptop signs the phone out; the phone's next refresh fails and it shows signed out", async () => {
	if (laptop === null || phone === null) throw new Error("the previous test did not sign in");
	await laptop.page.click('#sessions li[data-current="false"] button.sign-out-session');
	await logLine(laptop.page, /DELETE \/auth\/sessions\/[0-9a-f]{8}… → 204/);
	await laptop.page.waitForSelector('#sessions[data-count="1"]');
	assert.match((await laptop.page.textContent("#sessions li")) ?? "", /Chrome on macOS \(this browser\)/);
	await screenshot(laptop.page, "sessions-3-laptop-signed-phone-out");
	// The phone still holds its refresh cookie (nothing can reach into another browser); the
	// server refuses it at the next refresh, and the page signs out.
	await phone.page.click("#refresh");
	await logLine(phone.page, /POST \/auth\/token → 400 invalid_grant/);
	await phone.page.waitForSelector('#status[data-state="logged-out"]');
	assert.is(await phone.page.getAttribute("#sessions", "data-count"), "0", "the stale list is cleared");
	await screenshot(phone.page, "sessions-4-phone-signed-out");
	// The laptop's own session goes on.
	await laptop.page.click("#refresh");
	await logLine(laptop.page, /POST \/auth\/token → 200/);
});

test("your sessions: 'Sign out all other sessions' ends every other browser's session, this one goes on", async () => {
	if (laptop === null || phone === null) throw new Error("the previous test did not sign in");
	await phone.page.click("#login");
	await phone.page.waitForSelector('#status[data-state="logged-in"]');
	const tablet = await signedInDevice("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0");
	assert.is((await listedSessions(laptop.page, 3)).length, 3);
	await laptop.page.click("#sign-out-others");
	await logLine(laptop.page, /DELETE \/auth\/sessions → 200: 2 other session\(s\) signed out/);
	await laptop.page.waitForSelector('#sessions[data-count="1"]');
	await screenshot(laptop.page, "sessions-5-laptop-signed-out-others");
	for (const other of [phone, tablet]) {
		await other.page.click("#refresh");
		await other.page.waitForSelector('#status[data-state="logged-out"]');
	}
	await screenshot(tablet.page, "sessions-6-tablet-signed-out");
	await laptop.page.click("#call-api");
	await laptop.page.waitForFunction(() => ((globalThis as unknown as PageGlobals).document.getElementById("me")?.textContent ?? "").includes("Demo User"));
	assert.equal([...laptop.errors, ...phone.errors, ...tablet.errors], [], "no page errors, no CSP violations");
	for (const device of [laptop, phone, tablet]) await device.context.close();
});

test.run();
