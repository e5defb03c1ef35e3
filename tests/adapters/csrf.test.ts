// Issue 11, gap 1: an app's own cookie-authenticated API routes get the same-origin check of the
// auth routes for unsafe methods. Over real sockets: the Node adapter (requireAuth and authorize)
// and Next.js route handlers behind a server that hands them requests the way `next start` does.
import type { IncomingMessage, ServerResponse } from "node:http";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { AuthorizeOptions } from "../../adapters/fetch/index.js";
import { authorize as nextAuthorize, verifyRequest } from "../../adapters/next/index.js";
import { authorize as nodeAuthorize, requireAuth, writeResponse } from "../../adapters/node/index.js";
import { harness } from "../helpers.js";
import { assertError, listen, type RawResponse, send } from "./helpers.js";
import { listenLikeNext } from "./next-server.js";

const h = harness();
const cookie = { name: "__Secure-rk", accessTokenName: "__Host-rk-at" };
// What an app passes: the handler's options, as they are.
const authOptions = { cookie } as AuthorizeOptions;
const SIBLING = "https://evil.app.example.com";

/** How often each protected handler actually ran: a refused request must not reach it. */
const ran = { node: 0, nodeAuthorize: 0, pinned: 0, next: 0 };
const guard = requireAuth(h.service, authOptions);
const pinnedGuard = requireAuth(h.service, { ...authOptions, allowedOrigins: ["https://app.example.com"] });

function done(res: ServerResponse, sub: string): void {
	res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ sub }));
}

async function nodeApp(req: IncomingMessage, res: ServerResponse): Promise<void> {
	const path = (req.url ?? "").split("?", 1)[0];
	if (path === "/api/transfer") {
		return guard(req, res, () => {
			ran.node++;
			done(res, (req as { auth?: { sub: string } }).auth?.sub ?? "");
		});
	}
	if (path === "/api/pinned") {
		return pinnedGuard(req, res, () => {
			ran.pinned++;
			done(res, "pinned");
		});
	}
	const { claims, response } = await nodeAuthorize(h.service, req, authOptions);
	if (response !== null) return writeResponse(res, response);
	ran.nodeAuthorize++;
	done(res, claims.sub);
}

async function nextRoute(request: Request): Promise<Response> {
	const { claims, response } = await nextAuthorize(h.service, request, authOptions);
	if (response !== null) return response;
	ran.next++;
	return Response.json({ sub: claims.sub });
}

const node = await listen((req, res) => void nodeApp(req, res));
const next = await listenLikeNext(nextRoute);

test.after(async () => {
	await node.close();
	await next.close();
});

async function accessToken(): Promise<string> {
	return (await h.service.issue({ subject: "user-alice" })).accessToken;
}

function call(url: string, method: string, headers: Record<string, string>): Promise<RawResponse> {
	return send(url, { method, headers, body: method === "GET" ? undefined : "amount=100" });
}

const UNSAFE = ["POST", "PUT", "PATCH", "DELETE"];

test("node requireAuth: a cross-origin unsafe request with a valid access cookie is refused (403) and the handler does not run", async () => {
	const token = await accessToken();
	for (const method of UNSAFE) {
		for (const from of [{ Origin: SIBLING }, { Origin: "null" }, { "Sec-Fetch-Site": "same-site" }, { "Sec-Fetch-Site": "cross-site" }, {}]) {
			const before = ran.node;
			const response = await call(`${node.url}/api/transfer`, method, { Cookie: `${cookie.accessTokenName}=${token}`, ...from });
			assertError(response, 403, "access_denied");
			assert.is(ran.node, before, `${method} ${JSON.stringify(from)}: the handler did not run`);
		}
	}
});

test("node requireAuth: same-origin unsafe requests, cross-origin GETs and Bearer requests are served", async () => {
	const token = await accessToken();
	const viaCookie = { Cookie: `${cookie.accessTokenName}=${token}` };
	const before = ran.node;
	for (const method of UNSAFE) {
		assert.is((await call(`${node.url}/api/transfer`, method, { ...viaCookie, Origin: node.origin })).status, 200, `${method} same-origin`);
		assert.is((await call(`${node.url}/api/transfer`, method, { ...viaCookie, "Sec-Fetch-Site": "same-origin" })).status, 200, `${method} Sec-Fetch-Site`);
		// A Bearer header cannot be attached by another origin's page without CORS: no check.
		assert.is((await call(`${node.url}/api/transfer`, method, { Authorization: `Bearer ${token}`, Origin: SIBLING })).status, 200, `${method} Bearer`);
	}
	assert.is((await call(`${node.url}/api/transfer`, "GET", { ...viaCookie, Origin: SIBLING })).status, 200, "a cross-origin GET is served");
	assert.is((await call(`${node.url}/api/transfer`, "HEAD", { ...viaCookie, Origin: SIBLING })).status, 200, "HEAD is safe");
	assert.is(ran.node - before, UNSAFE.length * 3 + 2);
});

test("node authorize: the same rule; a refused request never reaches verification (an invalid cookie token is 403 too)", async () => {
	const token = await accessToken();
	const before = ran.nodeAuthorize;
	assertError(await call(`${node.url}/api/other`, "POST", { Cookie: `${cookie.accessTokenName}=${token}`, Origin: SIBLING }), 403, "access_denied");
	assertError(await call(`${node.url}/api/other`, "POST", { Cookie: `${cookie.accessTokenName}=x.y.z`, Origin: SIBLING }), 403, "access_denied");
	assert.is(ran.nodeAuthorize, before);
	assert.is((await call(`${node.url}/api/other`, "POST", { Cookie: `${cookie.accessTokenName}=${token}`, Origin: node.origin })).status, 200);
	assert.is((await call(`${node.url}/api/other`, "GET", { Cookie: `${cookie.accessTokenName}=${token}`, Origin: SIBLING })).status, 200);
});

test("allowedOrigins replaces the default (the request's own origin), as for the auth routes", async () => {
	const token = await accessToken();
	const viaCookie = { Cookie: `${cookie.accessTokenName}=${token}` };
	assert.is((await call(`${node.url}/api/pinned`, "POST", { ...viaCookie, Origin: "https://app.example.com" })).status, 200);
	assertError(await call(`${node.url}/api/pinned`, "POST", { ...viaCookie, Origin: node.origin }), 403, "access_denied");
	assert.is(ran.pinned, 1);
	assert.throws(() => requireAuth(h.service, { allowedOrigins: ["https://app.example.com/"] }), /allowedOrigins/);
	assert.throws(() => requireAuth(h.service, { allowedOrigins: "https://app.example.com" as unknown as string[] }), /allowedOrigins/);
});

test("next route handler (behind a server like `next start`): the origin is the public one; cross-origin unsafe → 403, handler not run", async () => {
	const token = await accessToken();
	const viaCookie = { Cookie: `${cookie.accessTokenName}=${token}` };
	const before = ran.next;
	for (const method of UNSAFE) {
		assertError(await call(`${next.url}/api/transfer`, method, { ...viaCookie, Origin: SIBLING }), 403, "access_denied");
		assertError(await call(`${next.url}/api/transfer`, method, viaCookie), 403, "access_denied");
		// request.url says http://localhost:PORT; the browser's origin is the forwarded one.
		assertError(await call(`${next.url}/api/transfer`, method, { ...viaCookie, Origin: `http://localhost:${new URL(next.url).port}` }), 403, "access_denied");
	}
	assert.is(ran.next, before, "no refused request reached the handler");
	const served = await call(`${next.url}/api/transfer`, "POST", { ...viaCookie, Origin: next.origin });
	assert.is(served.status, 200, served.text);
	assert.is(served.json().sub, "user-alice");
	assert.is((await call(`${next.url}/api/transfer`, "GET", { ...viaCookie, Origin: SIBLING })).status, 200, "a cross-origin GET is served");
	assert.is((await call(`${next.url}/api/transfer`, "DELETE", { Authorization: `Bearer ${token}`, Origin: SIBLING })).status, 200, "Bearer needs no check");
	assert.is(ran.next - before, 3);
});

test("verifyRequest: a Server Component render (headers only) is a GET; a Server Action (Next-Action) is a POST", async () => {
	const token = await accessToken();
	const forwarded = { "X-Forwarded-Host": "app.example.com", "X-Forwarded-Proto": "https", Cookie: `${cookie.accessTokenName}=${token}` };
	const render = await verifyRequest(h.service, { headers: new Headers({ ...forwarded, Origin: SIBLING }) }, authOptions);
	assert.is(render?.sub, "user-alice", "a render only reads");
	assert.is(await verifyRequest(h.service, { headers: new Headers({ ...forwarded, "Next-Action": "7f3a", Origin: SIBLING }) }, authOptions), null);
	assert.is(await verifyRequest(h.service, { headers: new Headers({ ...forwarded, "Next-Action": "7f3a" }) }, authOptions), null, "no Origin, no Sec-Fetch-Site: fails closed");
	const action = await verifyRequest(h.service, { headers: new Headers({ ...forwarded, "Next-Action": "7f3a", Origin: "https://app.example.com" }) }, authOptions);
	assert.is(action?.sub, "user-alice");
	const posted = await verifyRequest(h.service, new Request("http://localhost:3000/api/x", { method: "POST", headers: { ...forwarded, Origin: SIBLING } }), authOptions);
	assert.is(posted, null);
});

test.run();
