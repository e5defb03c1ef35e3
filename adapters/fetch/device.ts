// A short, human label for the device of a login ("Chrome on macOS"), from its User-Agent, for
// `authenticate` to return as `device` and a "your devices" page to show.
import type { HeadersLike } from "./types.js";

// What issue() accepts as a device label (core/validate.ts, MAX_DEVICE_LENGTH); not imported, so
// that this module loads nothing of the core.
const MAX_LABEL_LENGTH = 256;

// Programs that name themselves first; matched at the start of the header.
const CLIENTS: ReadonlyArray<readonly [RegExp, string]> = [
	[/^curl\//i, "curl"],
	[/^Wget\//i, "Wget"],
	[/^HTTPie\//i, "HTTPie"],
	[/^PostmanRuntime\//i, "Postman"],
	[/^python-requests\//i, "Python requests"],
	[/^okhttp\//i, "OkHttp"],
	[/^Go-http-client\//i, "Go"],
	[/^(?:node|undici|node-fetch)(?:\/|$)/i, "Node.js"],
];

// Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
const BROWSERS: ReadonlyArray<readonly [RegExp, string]> = [
	[/\bEdg(?:e|A|iOS)?\//, "Edge"],
	[/\b(?:OPR|OPiOS)\//, "Opera"],
	[/\bSamsungBrowser\//, "Samsung Internet"],
	[/\b(?:Firefox|FxiOS)\//, "Firefox"],
	[/\bHeadlessChrome\//, "Headless Chrome"],
	[/\b(?:Chrome|CriOS|Chromium)\//, "Chrome"],
	[/\bSafari\//, "Safari"],
];

// Order matters: iOS says "like Mac OS X", Android says Linux.
const SYSTEMS: ReadonlyArray<readonly [RegExp, string]> = [
	[/\biPhone\b/, "iPhone"],
	[/\biPad\b/, "iPad"],
	[/\bAndroid\b/, "Android"],
	[/\bCrOS\b/, "ChromeOS"],
	[/\bWindows\b/, "Windows"],
	[/\bMac OS X\b|\bMacintosh\b/, "macOS"],
	[/\bLinux\b|\bX11\b/, "Linux"],
];

// C0 and C1 controls and DEL, and UTF-16 surrogates without their pair (issue() refuses those).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they are removed from the label.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function firstMatch(text: string, table: ReadonlyArray<readonly [RegExp, string]>): string | undefined {
	for (const [pattern, name] of table) if (pattern.test(text)) return name;
	return undefined;
}

/**
 * A short label for a User-Agent header: "Chrome on macOS", "Firefox on Linux", "Safari on
 * iPhone", "curl". An agent it does not know comes back as the header itself, without control
 * characters, whitespace collapsed, at most 256 characters (what `issue()` accepts as `device`).
 * No header, or an empty one: `undefined`. A label, not an identity: the header is whatever the
 * client says it is.
 *
 * @example
 * ```ts
 * import { describeUserAgent } from "refresh-kit/adapters/fetch";
 *
 * describeUserAgent("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36");
 * // "Chrome on macOS"
 * ```
 */
export function describeUserAgent(userAgent: string | null | undefined): string | undefined {
	if (typeof userAgent !== "string") return undefined;
	const text = userAgent.replace(UNPRINTABLE, " ").replace(/\s+/g, " ").trim();
	if (text === "") return undefined;
	const client = firstMatch(text, CLIENTS);
	if (client !== undefined) return client;
	const browser = firstMatch(text, BROWSERS);
	const system = firstMatch(text, SYSTEMS);
	if (browser !== undefined) return system === undefined ? browser : `${browser} on ${system}`;
	// Cut between code points: half a surrogate pair is not storable text.
	return text.slice(0, MAX_LABEL_LENGTH).replace(/[\uD800-\uDBFF]$/, "");
}

/**
 * {@link describeUserAgent} of a request's `User-Agent`: the `device` for `authenticate` to
 * return, so that a "your devices" page (`sessions: true`) can tell the sessions apart.
 *
 * @example
 * ```ts
 * import { createFetchHandler, deviceLabel } from "refresh-kit/adapters/fetch";
 *
 * const auth = createFetchHandler(service, {
 *   sessions: true,
 *   authenticate: async (request, { username, password }) =>
 *     (await checkPassword(username, password)) ? { subject: username, device: deviceLabel(request) } : null,
 * });
 * ```
 */
export function deviceLabel(request: { headers: HeadersLike }): string | undefined {
	return describeUserAgent(request.headers.get("user-agent"));
}
