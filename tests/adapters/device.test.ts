// describeUserAgent / deviceLabel: short labels for the "your devices" page, and what issue()
// accepts as a device whatever the header holds.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { describeUserAgent, deviceLabel } from "../../adapters/fetch/index.js";
import { harness } from "../helpers.js";

const AGENTS: ReadonlyArray<readonly [string, string]> = [
	["Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Chrome on macOS"],
	["Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Linux"],
	["Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari on iPhone"],
	["Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari on iPad"],
	["Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Safari on macOS"],
	["Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1", "Chrome on iPhone"],
	["Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/127.0 Mobile/15E148 Safari/605.1.15", "Firefox on iPhone"],
	["Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36", "Chrome on Android"],
	["Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36", "Samsung Internet on Android"],
	["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.68", "Edge on Windows"],
	["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 OPR/111.0.0.0", "Opera on Windows"],
	["Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Chrome on ChromeOS"],
	["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36", "Headless Chrome on Linux"],
	["curl/8.5.0", "curl"],
	["Wget/1.21.4", "Wget"],
	["HTTPie/3.2.2", "HTTPie"],
	["python-requests/2.32.3", "Python requests"],
	["okhttp/4.12.0", "OkHttp"],
	["Go-http-client/2.0", "Go"],
	["node", "Node.js"],
	["undici", "Node.js"],
	["PostmanRuntime/7.39.0", "Postman"],
	["Firefox/128.0", "Firefox"],
];

test("well-known agents get a short label: browser on system, or the program's name", () => {
	for (const [agent, label] of AGENTS) assert.is(describeUserAgent(agent), label, agent);
});

test("an unknown agent comes back as itself: control characters out, whitespace collapsed, trimmed", () => {
	assert.is(describeUserAgent("  MyApp/1.0\t(build\u0000 42)\r\n\u007f\u0085 "), "MyApp/1.0 (build 42)");
	assert.is(describeUserAgent("Mozilla/5.0 (X11; Linux x86_64)"), "Mozilla/5.0 (X11; Linux x86_64)");
});

test("no header, an empty or blank one: undefined (issue() then stores no device)", () => {
	for (const agent of [null, undefined, "", "   ", "\u0000\u0001"]) assert.is(describeUserAgent(agent), undefined, JSON.stringify(agent));
	assert.is(describeUserAgent(42 as unknown as string), undefined);
});

test("at most 256 characters, never half a surrogate pair: whatever the header, issue() accepts the label", async () => {
	const { service } = harness();
	const long = describeUserAgent("x".repeat(255) + "😀" + "y".repeat(100));
	assert.is(long, "x".repeat(255));
	const lone = describeUserAgent("agent \uD800 with \uDC00 lone halves");
	assert.is(lone, "agent with lone halves");
	for (const agent of ["z".repeat(10_000), "😀".repeat(300), "a\u0000b", `${"x".repeat(255)}😀`, "\uDBFF".repeat(400)]) {
		const label = describeUserAgent(agent);
		assert.ok(label === undefined || label.length <= 256, `${label?.length}`);
		await service.issue({ subject: "alice", ...(label === undefined ? {} : { device: label }) });
	}
});

test("deviceLabel reads the request's User-Agent (a Request, or anything with headers.get)", () => {
	const request = new Request("https://app.example/auth/login", { headers: { "User-Agent": "curl/8.5.0" } });
	assert.is(deviceLabel(request), "curl");
	assert.is(deviceLabel({ headers: new Headers() }), undefined);
	assert.is(deviceLabel({ headers: { get: (name: string) => (name === "user-agent" ? "Wget/1.0" : null) } }), "Wget");
});

test.run();
