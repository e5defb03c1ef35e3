// Headless Debian Chromium driven by playwright-core (no browser download: `apt-get install
// chromium`). Not a suite: the runner only picks up *.browser.ts.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { ROOT } from "../examples/support.js";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Screenshots land here (gitignored); CI keeps them as artifacts. */
export const ARTIFACTS = join(ROOT, "test-artifacts/browser");

/**
 * Launches Chromium headless with the flags this sandbox needs: no sandbox (root), and no
 * background networking (the machine has no network beyond loopback). playwright gives every
 * launch a fresh temporary profile (--user-data-dir) and removes it on close.
 */
export async function launchChromium(): Promise<Browser> {
	if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
	mkdirSync(ARTIFACTS, { recursive: true });
	return chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
	});
}

/**
 * The few DOM members the in-page callbacks use: the root tsconfig has no DOM lib. Write them
 * as `const { document } = globalThis as unknown as PageGlobals;` inside the callback (it is
 * serialised, so it cannot use anything from the test's scope).
 */
export interface PageGlobals {
	document: {
		cookie: string;
		getElementById(id: string): { textContent: string | null } | null;
		querySelector(selector: string): { textContent: string | null } | null;
	};
}

/** Collects uncaught page errors and console errors (a CSP violation shows up there). */
export function watchErrors(page: Page): string[] {
	const errors: string[] = [];
	page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
	page.on("console", (message) => {
		// Chromium reports every 4xx fetch as "Failed to load resource"; the tests expect some.
		if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) errors.push(`console: ${message.text()}`);
	});
	return errors;
}

export async function screenshot(page: Page, name: string): Promise<void> {
	await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}
