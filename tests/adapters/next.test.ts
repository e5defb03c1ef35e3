// The Next.js adapter: GET/POST called with Request objects, the same handlers behind a real
// socket (a tiny forwarding server standing in for Next's own), and verifyRequest.
import type { IncomingMessage, ServerResponse } from "node:http";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createNextHandlers, verifyRequest } from "../../adapters/next/index.js";
import { createTokenService } from "../../core/index.js";
import type { TokenStore } from "../../core/port.js";
import { harness, TEST_SECRET, testRefresh } from "../helpers.js";
import { assertError, DEMO_USER, listen, parseSetCookie, send, settingLine, testAuthenticate } from "./helpers.js";

const h = harness();
const authOptions = { authenticate: testAuthenticate, cookie: { name: "__Secure-rk", accessTokenName: "rk_at" } };
const { GET, POST } = createNextHandlers(h.service, authOptions);
const ORIGIN = "http://localhost:3000";

function loginRequest(): Request {
	return new Request(`${ORIGIN}/auth/login`, {
		method: "POST",
		headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: ORIGIN },
		body: new URLSearchParams(DEMO_USER),
	});
}

function cookiesOf(response: Response): Map<string, string> {
	return new Map(response.headers.getSetCookie().map((line) => [parseSetCookie(line).name, parseSetCookie(line).value]));
}

/** Forwards node:http to the route handlers the way Next does: buffer the body, build a Request, write the Response. */
async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	const headers = new Headers();
	for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
	const method = req.method ?? "GET";
	const request = new Request(`http://${req.headers.host}${req.url}`, { method, headers, body: method === "GET" || method === "HEAD" ? null : Buffer.concat(chunks) });
	const handler = method === "GET" ? GET : method === "POST" ? POST : null;
	if (handler === null) {
		res.writeHead(405, { Allow: "GET, POST" }).end();
		return;
	}
	const response = await handler(request);
	const out: Record<string, string | string[]> = {};
	response.headers.forEach((value, name) => void (name === "set-cookie" ? undefined : (out[name] = value)));
	out["set-cookie"] = response.headers.getSetCookie();
	res.writeHead(response.status, out).end(Buffer.from(await response.arrayBuffer()));
}

test("POST/GET with Request objects: login, refresh, jwks, 405, 413 on a streamed body", async () => {
	const login = await POST(loginRequest());
	assert.is(login.status, 200);
	assert.is(login.headers.get("cache-control"), "no-store");
	const cookies = cookiesOf(login);
	const refreshed = await POST(
		new Request(`${ORIGIN}/auth/token`, {
			method: "POST",
			headers: { "Content-Type": "application/json", Origin: ORIGIN, Cookie: `__Secure-rk=${cookies.get("__Secure-rk")}` },
			body: JSON.stringify({ grant_type: "refresh_token" }),
		}),
	);
	assert.is(refreshed.status, 200);
	assert.is.not(cookiesOf(refreshed).get("__Secure-rk"), cookies.get("__Secure-rk"));
	assert.is((await GET(new Request(`${ORIGIN}/auth/jwks`))).status, 200);
	const wrongMethod = await GET(new Request(`${ORIGIN}/auth/token`));
	assert.is(wrongMethod.status, 405);
	assert.is(wrongMethod.headers.get("allow"), "POST");
	// 1 MiB in 4 KiB chunks, with no Content-Length: only the reader's limit (16 KiB) can refuse
	// it, and it must stop pulling there. Bounded, so a reader without a limit fails this test
	// instead of buffering forever.
	let pulled = 0;
	const large = new ReadableStream<Uint8Array>({
		pull(controller): void {
			if (pulled++ === 256) {
				controller.close();
				return;
			}
			controller.enqueue(new Uint8Array(4096).fill(0x61));
		},
	});
	const tooLarge = await POST(new Request(`${ORIGIN}/auth/token`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: ORIGIN }, body: large, duplex: "half" }));
	assert.is(tooLarge.status, 413);
	assert.is(((await tooLarge.json()) as { error: string }).error, "invalid_request");
	assert.ok(pulled <= 16384 / 4096 + 2, `the reader pulled ${pulled} chunks of 4 KiB past a 16 KiB limit`);
});

test("the same handlers behind a real socket: login → refresh → logout in cookie mode", async () => {
	const server = await listen((req, res) => void forward(req, res));
	try {
		const origin = { Origin: server.origin };
		const login = await send(`${server.url}/auth/login`, { method: "POST", headers: { "Content-Type": "application/json", ...origin }, body: JSON.stringify(DEMO_USER) });
		assert.is(login.status, 200);
		const refreshCookie = settingLine(login.cookies, "__Secure-rk");
		assert.ok(refreshCookie?.value.startsWith("rk2_"));
		const token = await send(`${server.url}/auth/token`, {
			method: "POST",
			headers: { "Content-Type": "application/x-www-form-urlencoded", ...origin, Cookie: `__Secure-rk=${refreshCookie?.value}` },
			body: "grant_type=refresh_token",
		});
		assert.is(token.status, 200);
		const next = settingLine(token.cookies, "__Secure-rk");
		const access = settingLine(token.cookies, "rk_at");
		const claims = await verifyRequest(h.service, { headers: new Headers({ Cookie: `rk_at=${access?.value}` }) }, authOptions);
		assert.is(claims?.sub, "user-alice");
		const logout = await send(`${server.url}/auth/logout`, { method: "POST", headers: { ...origin, Cookie: `__Secure-rk=${next?.value}` } });
		assert.is(logout.status, 204);
		assert.ok(logout.cookies.some((line) => line.startsWith("__Secure-rk=;") && /Max-Age=0/.test(line)));
		assertError(
			await send(`${server.url}/auth/token`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", ...origin, Cookie: `__Secure-rk=${next?.value}` }, body: "grant_type=refresh_token" }),
			400,
			"invalid_grant",
		);
		assertError(await send(`${server.url}/auth/token`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "grant_type=refresh_token" }), 403, "access_denied");
	} finally {
		await server.close();
	}
});

test("the origin check uses Next's x-forwarded-host/-proto, not request.url (next start gives http://localhost:PORT)", async () => {
	// What `next start -H 127.0.0.1 -p 4000` hands the route handler for a browser on http://127.0.0.1:4000.
	const nextRequest = (origin: string, forwarded: Record<string, string>): Request =>
		new Request("http://localhost:4000/auth/login", {
			method: "POST",
			headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: origin, Host: "127.0.0.1:4000", ...forwarded },
			body: new URLSearchParams(DEMO_USER),
		});
	const refused = async (response: Response): Promise<void> => {
		assert.is(response.status, 403);
		assert.is(((await response.json()) as { error: string }).error, "access_denied");
	};
	const direct = { "X-Forwarded-Host": "127.0.0.1:4000", "X-Forwarded-Proto": "http" };
	assert.is((await POST(nextRequest("http://127.0.0.1:4000", direct))).status, 200);
	await refused(await POST(nextRequest("http://localhost:4000", direct)));
	await refused(await POST(nextRequest("https://evil.example", direct)));
	// Behind a proxy that terminates TLS and forwards the public host and scheme.
	const proxied = { "X-Forwarded-Host": "app.example.com, 10.0.0.1:4000", "X-Forwarded-Proto": "https" };
	assert.is((await POST(nextRequest("https://app.example.com", proxied))).status, 200);
	await refused(await POST(nextRequest("http://app.example.com", proxied)));
	// A forwarded host the pattern lets through but URL refuses is no origin: refused, never an exception (a 500 in Next).
	await refused(await POST(nextRequest("http://127.0.0.1:99999", { "X-Forwarded-Host": "127.0.0.1:99999", "X-Forwarded-Proto": "http" })));
	// An explicit allowedOrigins still decides alone.
	const pinned = createNextHandlers(h.service, { ...authOptions, allowedOrigins: ["https://app.example.com"] });
	await refused(await pinned.POST(nextRequest("http://127.0.0.1:4000", direct)));
	assert.is((await pinned.POST(nextRequest("https://app.example.com", direct))).status, 200);
});

test("verifyRequest: Bearer header or access cookie → claims; missing, bad or expired → null", async () => {
	const login = await POST(loginRequest());
	const { access_token: accessToken } = (await login.json()) as { access_token: string };
	assert.is((await verifyRequest(h.service, new Request(`${ORIGIN}/x`, { headers: { Authorization: `Bearer ${accessToken}` } })))?.sub, "user-alice");
	assert.is((await verifyRequest(h.service, { headers: new Headers({ Cookie: `a=b; rk_at=${accessToken}` }) }, authOptions))?.sub, "user-alice");
	const plainGetter = { get: (name: string) => (name === "authorization" ? `Bearer ${accessToken}` : null) };
	assert.is((await verifyRequest(h.service, { headers: plainGetter }))?.sid !== undefined, true, "any headers object with get() works");
	assert.is(await verifyRequest(h.service, { headers: new Headers({ Cookie: `rk_at=${accessToken}` }) }), null, "the cookie is only read when configured");
	assert.is(await verifyRequest(h.service, new Request(`${ORIGIN}/x`)), null);
	assert.is(await verifyRequest(h.service, new Request(`${ORIGIN}/x`, { headers: { Authorization: "Bearer x.y.z" } })), null);
	assert.is(await verifyRequest(h.service, new Request(`${ORIGIN}/x`, { headers: { Authorization: "Bearer a b" } })), null);
	h.clock.advance(906);
	assert.is(await verifyRequest(h.service, new Request(`${ORIGIN}/x`, { headers: { Authorization: `Bearer ${accessToken}` } })), null);
});

test("verifyRequest never rotates and never touches the store", async () => {
	const login = await POST(loginRequest());
	const { access_token: accessToken } = (await login.json()) as { access_token: string };
	let storeCalls = 0;
	const unreachable = new Proxy({ guarantees: { atomicRotation: true } } as TokenStore, {
		get(target, name): unknown {
			if (name === "guarantees") return target.guarantees;
			return async () => {
				storeCalls++;
				throw new Error("no database here");
			};
		},
	});
	const edge = createTokenService({ store: unreachable, keys: { secret: TEST_SECRET }, issuer: "https://auth.test", audience: "https://api.test", refresh: testRefresh(), clock: h.clock });
	const claims = await verifyRequest(edge, new Request(`${ORIGIN}/x`, { headers: { Authorization: `Bearer ${accessToken}` } }));
	assert.is(claims?.sub, "user-alice");
	assert.is(storeCalls, 0);
	assert.is(await verifyRequest({ verify: edge.verify }, { headers: new Headers({ Cookie: `rk_at=${accessToken}` }) }, authOptions).then((c) => c?.sub), "user-alice", "a bare { verify } (createVerifier) is enough");
});

test.run();
