// Hostile requests against the Node adapter over real sockets: no 5xx, every error is JSON
// with an `error`, and the server still logs in and refreshes afterwards.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createNodeHandler } from "../../adapters/node/index.js";
import { harness } from "../helpers.js";
import { seededRandom } from "../support/faulty-store.js";
import { cookiePair, DEMO_USER, listen, postForm, type RawRequest, type RawResponse, send, type TestServer, testAuthenticate } from "./helpers.js";

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
const REQUESTS_PER_SERVER = 600;
const CONCURRENCY = 24;

// mulberry32, seeded so a failure can be replayed with FUZZ_SEED.
const random = seededRandom(SEED);
function pick<T>(items: readonly T[]): T {
	return items[Math.floor(random() * items.length)] as T;
}
function bytes(length: number): Uint8Array {
	return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

const VALID_TOKEN = "rk2_" + "A".repeat(91);
const PATHS = [
	"/auth/login",
	"/auth/token",
	"/auth/revoke",
	"/auth/logout",
	"/auth/jwks",
	"/auth",
	"/auth/",
	"/auth//token",
	"/auth/token/",
	"/auth/./token",
	"/auth/../auth/token",
	"/auth/%2e%2e/token",
	"/auth/tok%65n",
	"/auth/token?grant_type=refresh_token&refresh_token=x",
	"/auth/token?%zz",
	"/auth/token%00",
	"/auth/__proto__",
	"/auth/constructor",
	"/auth/jwks?" + "q".repeat(4000),
	"/" + "a/".repeat(500),
	"/",
	"/favicon.ico",
	"/auth/%ff%fe",
	"/AUTH/TOKEN",
];
const METHODS = ["POST", "POST", "POST", "POST", "POST", "POST", "POST", "POST", "GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "PURGE", "LINK", "MKCOL"];
const CONTENT_TYPES = [
	undefined,
	"application/json",
	"application/x-www-form-urlencoded",
	"application/json; charset=utf-8",
	"APPLICATION/JSON",
	"application/x-www-form-urlencoded; charset=iso-8859-1",
	"application/x-www-form-urlencoded;;;",
	"text/plain",
	"multipart/form-data; boundary=--x",
	"application/json, application/x-www-form-urlencoded",
	"",
	"*/*",
	"application/jsonp",
	"\u00e9/\u00e9",
];
const JSON_BODIES = [
	"",
	" ",
	"{",
	"}",
	"[]",
	"null",
	"true",
	"1",
	'"grant_type"',
	"{}",
	'{"grant_type":"refresh_token"',
	'{"grant_type":"refresh_token",}',
	'{"__proto__":{"polluted":"yes"},"grant_type":"refresh_token"}',
	'{"constructor":{"prototype":{"polluted":"yes"}}}',
	'{"__proto__":"x","__proto__":"y"}',
	'{"__proto__":"refresh_token","grant_type":"refresh_token","refresh_token":"x"}',
	'{"grant_type":["refresh_token"]}',
	'{"grant_type":null}',
	'{"grant_type":1e999}',
	'{"refresh_token":{"$gt":""},"grant_type":"refresh_token"}',
	`{"grant_type":"refresh_token","refresh_token":"${VALID_TOKEN}"}`,
	'{"grant_type":"refresh_token","refresh_token":"\\ud800"}',
	'{"grant_type":"refresh_token","refresh_token":"\\u0000"}',
	'\ufeff{"grant_type":"refresh_token"}',
	"[".repeat(5000),
	'{"a":'.repeat(2000),
	`{"username":"${DEMO_USER.username}","password":1}`,
	`{"username":"${DEMO_USER.username}","password":"${DEMO_USER.password}","device":${JSON.stringify("d".repeat(5000))}}`,
	'{"username":"alice","username":"alice","password":"x"}',
	'{"token":"' + "t".repeat(10_000) + '"}',
	'{"grant_type":"refresh_token" "refresh_token":"x"}',
	'{"grant_type":"\\x41"}',
	'{"grant_type":"refresh_token"}garbage',
	"{'grant_type':'refresh_token'}",
];
const FORM_BODIES = [
	"grant_type=refresh_token&grant_type=refresh_token",
	"%",
	"%%",
	"%zz=1",
	"a=%E0%A4%A",
	"a=%C0%AF",
	"=",
	"&&&",
	"=x",
	"grant_type",
	"__proto__=x&constructor=y&prototype=z&hasOwnProperty=1",
	"__proto__[polluted]=yes&grant_type=refresh_token",
	"grant_type[]=refresh_token",
	"grant_type=refresh_token&refresh_token=" + VALID_TOKEN,
	"grant_type=refresh_token&refresh_token=" + "A".repeat(20_000),
	"+++=+++",
	"a=b;c=d",
	"token=",
	"token=" + VALID_TOKEN + "&token=" + VALID_TOKEN,
	`username=${DEMO_USER.username}&password=%00`,
	"username=alice&password=" + "p".repeat(9000),
	"grant_type=refresh%5Ftoken&refresh_token=%72k1_x",
	"grant_type=%F0%9F%92%A9",
	"grant_type=refresh_token&refresh_token=rk1_%00%00",
];

function hostileRequest(origin: string, refreshCookie: string): RawRequest & { path: string } {
	const method = pick(METHODS);
	const headers: Record<string, string | string[]> = {};
	const contentType = pick(CONTENT_TYPES);
	if (contentType !== undefined) headers["Content-Type"] = contentType;
	if (random() < 0.1) headers["Content-Type"] = ["application/json", "application/x-www-form-urlencoded"];
	if (random() < 0.9) headers.Origin = random() < 0.7 ? origin : pick(["null", "https://evil.example", origin + "/", "", "http://127.0.0.1"]);
	if (random() < 0.2) headers["Sec-Fetch-Site"] = pick(["same-origin", "cross-site", "none", "same-origin, cross-site"]);
	if (random() < 0.3) headers.Cookie = pick([refreshCookie, "rk=", "rk", 'rk=""', "rk=a; rk=b", "rk=" + "x".repeat(3000), "=; ;;", `rk=${VALID_TOKEN}`, "__proto__=1; constructor=2"]);
	if (random() < 0.2) headers.Authorization = pick(["Bearer", "Bearer ", "Bearer a b", "Bearer x.y.z", "Basic Zm9vOmJhcg==", "bearer " + "a".repeat(8000), "Bearer ===", "Bearer \u00ff"]);
	let body: RawRequest["body"];
	const kind = random();
	if (method === "GET" || method === "HEAD" || method === "TRACE") {
		if (kind < 0.1) body = "ignored";
	} else if (kind < 0.35) {
		body = pick(JSON_BODIES);
	} else if (kind < 0.65) {
		body = pick(FORM_BODIES);
	} else if (kind < 0.78) {
		body = bytes(Math.floor(random() * 3000));
	} else if (kind < 0.85) {
		body = bytes(17_000 + Math.floor(random() * 40_000));
	} else if (kind < 0.92) {
		body = Array.from({ length: 2 + Math.floor(random() * 40) }, () => (random() < 0.5 ? "a".repeat(1500) : bytes(1500)));
	} else if (kind < 0.96) {
		body = [new Uint8Array([0xe0, 0xa4]), new Uint8Array([0xa4, 0xff, 0xc0, 0x80])];
	}
	return { path: random() < 0.7 ? pick(PATHS.slice(0, 5)) : pick(PATHS), method, headers, body };
}

interface Target {
	server: TestServer;
	refreshCookie: string;
	cookieMode: boolean;
}

async function startTarget(cookieMode: boolean): Promise<Target> {
	const { service } = harness();
	const handler = createNodeHandler(service, { authenticate: testAuthenticate, ...(cookieMode ? { cookie: { name: "rk", accessTokenName: "rk_at" } } : {}) });
	const server = await listen((req, res) => void handler(req, res));
	const login = await postForm(`${server.url}/auth/login`, DEMO_USER, { Origin: server.origin });
	assert.is(login.status, 200);
	const refreshCookie = cookieMode ? cookiePair(login.cookies, "rk") : `rk=${login.json().refresh_token}`;
	return { server, refreshCookie, cookieMode };
}

async function assertHealthy(target: Target): Promise<void> {
	const origin = { Origin: target.server.origin };
	const login = await postForm(`${target.server.url}/auth/login`, DEMO_USER, origin);
	assert.is(login.status, 200, "login still works");
	const refresh = target.cookieMode
		? await postForm(`${target.server.url}/auth/token`, { grant_type: "refresh_token" }, { ...origin, Cookie: cookiePair(login.cookies, "rk") })
		: await postForm(`${target.server.url}/auth/token`, { grant_type: "refresh_token", refresh_token: String(login.json().refresh_token) });
	assert.is(refresh.status, 200, "refresh still works");
}

/** Asserts the fuzz invariants on one response. */
function check(request: RawRequest & { path: string }, response: RawResponse): void {
	const where = `seed ${SEED}: ${request.method} ${request.path.slice(0, 60)} ${JSON.stringify(request.headers).slice(0, 200)} → ${response.status} ${response.text.slice(0, 120)}`;
	assert.ok(response.status < 500, where);
	if (response.status >= 400 && request.method !== "HEAD") {
		assert.match(String(response.headers["content-type"]), /^application\/json/, where);
		const body = response.json();
		assert.type(body.error, "string", where);
		assert.type(body.error_description, "string", where);
	}
}

test("corpus: every hostile body to every POST route, with the right content type and origin", async () => {
	const targets = [await startTarget(false), await startTarget(true)];
	let sent = 0;
	try {
		for (const target of targets) {
			const requests: Array<RawRequest & { path: string }> = [];
			for (const route of ["/auth/login", "/auth/token", "/auth/revoke", "/auth/logout"]) {
				const headers = { Origin: target.server.origin, Cookie: target.refreshCookie };
				for (const body of JSON_BODIES) requests.push({ path: route, method: "POST", headers: { ...headers, "Content-Type": "application/json" }, body });
				for (const body of FORM_BODIES) requests.push({ path: route, method: "POST", headers: { ...headers, "Content-Type": "application/x-www-form-urlencoded" }, body });
			}
			for (let start = 0; start < requests.length; start += CONCURRENCY) {
				await Promise.all(
					requests.slice(start, start + CONCURRENCY).map(async (request) => {
						check(request, await send(target.server.url + request.path, request));
						sent++;
					}),
				);
			}
			await assertHealthy(target);
		}
		assert.ok(sent >= 400, `sent ${sent}`);
	} finally {
		for (const target of targets) await target.server.close();
	}
});

test(`fuzz: ${REQUESTS_PER_SERVER * 2} hostile requests (JSON and cookie mode): no 5xx, only JSON errors, healthy afterwards`, async () => {
	const targets = [await startTarget(false), await startTarget(true)];
	const statuses = new Map<number, number>();
	let sent = 0;
	try {
		for (const target of targets) {
			for (let done = 0; done < REQUESTS_PER_SERVER; done += CONCURRENCY) {
				const batch = Array.from({ length: Math.min(CONCURRENCY, REQUESTS_PER_SERVER - done) }, () => hostileRequest(target.server.origin, target.refreshCookie));
				await Promise.all(
					batch.map(async (request) => {
						const response = await send(target.server.url + request.path, request);
						sent++;
						statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
						check(request, response);
					}),
				);
			}
			await assertHealthy(target);
		}
		if (process.env.FUZZ_VERBOSE) console.log(JSON.stringify([...statuses].sort()));
		assert.ok(sent >= 1000, `sent ${sent}`);
		assert.is(({} as Record<string, unknown>).polluted, undefined, "no prototype pollution");
		assert.ok([...statuses.keys()].filter((status) => status >= 400).length >= 6, `a spread of error statuses: ${JSON.stringify([...statuses])}`);
	} finally {
		for (const target of targets) await target.server.close();
	}
});

test.run();
