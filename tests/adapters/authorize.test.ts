// One access check, one outcome: `authorize` from the fetch, Node and Next.js adapters, and its
// conveniences `requireAuth` and `verifyRequest`, over the same table of requests (the Node
// ones over a real socket).
import type { IncomingMessage, ServerResponse } from "node:http";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type AuthorizeOptions, authorize as fetchAuthorize } from "../../adapters/fetch/index.js";
import { originOf } from "../../adapters/fetch/origin.js";
import { toAccessCheckRequest as nextAccessCheckRequest } from "../../adapters/next/authorize.js";
import { authorize as nextAuthorize, verifyRequest } from "../../adapters/next/index.js";
import { type AuthenticatedRequest, authorize as nodeAuthorize, requireAuth, writeResponse } from "../../adapters/node/index.js";
import { toAccessCheckRequest as nodeAccessCheckRequest } from "../../adapters/node/request.js";
import { createVerifier, isTokenError, type TokenErrorCode } from "../../core/index.js";
import { harness, rejects, TEST_SECRET } from "../helpers.js";
import { listen, send } from "./helpers.js";

const h = harness();
const ORIGIN = "http://localhost:3000";
// The options given to the handler fit as they are: authorize ignores what it does not use.
const VARIANTS: Record<string, AuthorizeOptions> = {
	plain: {},
	cookie: { authenticate: () => null, cookie: { name: "__Secure-rk", accessTokenName: "rk_at" } } as AuthorizeOptions,
	realm: { realm: "my api" },
};
const guards = Object.fromEntries(Object.entries(VARIANTS).map(([name, options]) => [name, requireAuth(h.service, options)]));

function json(res: ServerResponse, value: unknown): void {
	res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(value));
}

/** /authorize/{variant} and /require/{variant}: the Node access check as a function and as middleware. */
async function nodeApp(req: IncomingMessage, res: ServerResponse): Promise<void> {
	const [, kind, variant = ""] = (req.url ?? "").split("/");
	const options = VARIANTS[variant] as AuthorizeOptions;
	if (kind === "authorize") {
		const { claims, response } = await nodeAuthorize(h.service, req, options);
		return response === null ? json(res, { sub: claims.sub }) : writeResponse(res, response);
	}
	if (kind === "require") {
		return (guards[variant] as ReturnType<typeof requireAuth>)(req, res, () => json(res, { sub: (req as AuthenticatedRequest).auth.sub }));
	}
	if (kind === "inspect") {
		const request = nodeAccessCheckRequest(req);
		return json(res, { method: request.method, origin: request.origin, authorization: request.headers.get("authorization") });
	}
	if (kind === "bad-options") {
		await nodeAuthorize(h.service, req, { realm: 'a"b' }).then(
			() => json(res, { code: null }),
			(error: unknown) => json(res, { code: isTokenError(error) ? error.code : String(error) }),
		);
	}
}

const server = await listen((req, res) => void nodeApp(req, res));

test.after(async () => {
	await server.close();
});

interface Outcome {
	status: number;
	challenge: string | null;
	error: string | null;
	sub: string | null;
}

type HeaderList = Array<[string, string]>;
type Check = (headers: HeaderList, variant: string) => Promise<Outcome>;

async function fromResponse(result: { claims: { sub: string } | null; response: Response | null }): Promise<Outcome> {
	if (result.response === null) return { status: 200, challenge: null, error: null, sub: result.claims?.sub ?? null };
	const body = (await result.response.json()) as { error: string };
	return { status: result.response.status, challenge: result.response.headers.get("www-authenticate"), error: body.error, sub: null };
}

async function overSocket(path: string, headers: HeaderList): Promise<Outcome> {
	const grouped: Record<string, string[]> = {};
	for (const [name, value] of headers) (grouped[name] ??= []).push(value);
	const response = await send(`${server.url}${path}`, { headers: grouped });
	const body = response.json();
	if (response.status === 200) return { status: 200, challenge: null, error: null, sub: String(body.sub) };
	return { status: response.status, challenge: (response.headers["www-authenticate"] as string | undefined) ?? null, error: String(body.error), sub: null };
}

const request = (headers: HeaderList): Request => new Request(`${ORIGIN}/api/me`, { headers });
const keysOnly = createVerifier({ keys: { secret: TEST_SECRET }, issuer: "https://auth.test", audience: "https://api.test", clock: h.clock });

/** Every way to check a request's access token. verifyRequest only says claims or null. */
const ADAPTERS: Record<string, Check> = {
	"fetch authorize(Request)": async (headers, variant) => fromResponse(await fetchAuthorize(h.service, request(headers), VARIANTS[variant])),
	"fetch authorize({ headers })": async (headers, variant) => fromResponse(await fetchAuthorize(h.service, { headers: new Headers(headers) }, VARIANTS[variant])),
	"fetch authorize(createVerifier)": async (headers, variant) => fromResponse(await fetchAuthorize(keysOnly, request(headers), VARIANTS[variant])),
	"next authorize(Request)": async (headers, variant) => fromResponse(await nextAuthorize(h.service, request(headers), VARIANTS[variant])),
	"next verifyRequest": async (headers, variant) => ({ sub: (await verifyRequest(h.service, { headers: new Headers(headers) }, VARIANTS[variant]))?.sub ?? null }) as Outcome,
	"node authorize (socket)": (headers, variant) => overSocket(`/authorize/${variant}`, headers),
	"node requireAuth (socket)": (headers, variant) => overSocket(`/require/${variant}`, headers),
};

const BARE = 'Bearer realm="api"';
const INVALID_TOKEN = 'Bearer realm="api", error="invalid_token", error_description="the access token is invalid or expired"';
const INVALID_REQUEST = 'Bearer realm="api", error="invalid_request"';

interface Row {
	name: string;
	variant: keyof typeof VARIANTS;
	headers: (token: string) => HeaderList;
	/** Seconds the clock moves before the check. */
	advance?: number;
	expected: Outcome;
}

const ok: Outcome = { status: 200, challenge: null, error: null, sub: "user-alice" };
const ROWS: Row[] = [
	{ name: "Bearer header", variant: "plain", headers: (token) => [["authorization", `Bearer ${token}`]], expected: ok },
	{ name: "scheme in any case, extra spaces", variant: "plain", headers: (token) => [["authorization", `bEaReR  ${token}`]], expected: ok },
	{ name: "access cookie, configured", variant: "cookie", headers: (token) => [["cookie", `a=b; rk_at=${token}`]], expected: ok },
	{ name: "access cookie, not configured", variant: "plain", headers: (token) => [["cookie", `rk_at=${token}`]], expected: { status: 401, challenge: BARE, error: "unauthorized", sub: null } },
	{ name: "refresh cookie is not an access token", variant: "cookie", headers: (token) => [["cookie", `__Secure-rk=${token}`]], expected: { status: 401, challenge: BARE, error: "unauthorized", sub: null } },
	{
		name: "Authorization wins over the cookie",
		variant: "cookie",
		headers: (token) => [
			["authorization", "Bearer abc.def.ghi"],
			["cookie", `rk_at=${token}`],
		],
		expected: { status: 401, challenge: INVALID_TOKEN, error: "invalid_token", sub: null },
	},
	{ name: "missing", variant: "plain", headers: () => [], expected: { status: 401, challenge: BARE, error: "unauthorized", sub: null } },
	{ name: "missing, custom realm", variant: "realm", headers: () => [], expected: { status: 401, challenge: 'Bearer realm="my api"', error: "unauthorized", sub: null } },
	{ name: "another scheme (Basic)", variant: "plain", headers: () => [["authorization", "Basic YWxpY2U6cHc="]], expected: { status: 401, challenge: BARE, error: "unauthorized", sub: null } },
	{ name: "malformed Bearer header", variant: "plain", headers: () => [["authorization", "Bearer a b"]], expected: { status: 400, challenge: INVALID_REQUEST, error: "invalid_request", sub: null } },
	{ name: "Bearer without a token", variant: "plain", headers: () => [["authorization", "Bearer"]], expected: { status: 400, challenge: INVALID_REQUEST, error: "invalid_request", sub: null } },
	{
		name: "two Authorization headers",
		variant: "plain",
		headers: (token) => [
			["authorization", `Bearer ${token}`],
			["authorization", `Bearer ${token}`],
		],
		expected: { status: 400, challenge: INVALID_REQUEST, error: "invalid_request", sub: null },
	},
	{ name: "bad signature", variant: "plain", headers: (token) => [["authorization", `Bearer ${token.slice(0, -4)}AAAA`]], expected: { status: 401, challenge: INVALID_TOKEN, error: "invalid_token", sub: null } },
	{ name: "not a JWT", variant: "plain", headers: () => [["authorization", "Bearer x.y.z"]], expected: { status: 401, challenge: INVALID_TOKEN, error: "invalid_token", sub: null } },
	{ name: "expired", variant: "plain", advance: 900 + 5, headers: (token) => [["authorization", `Bearer ${token}`]], expected: { status: 401, challenge: INVALID_TOKEN, error: "invalid_token", sub: null } },
	{ name: "expired, in the cookie", variant: "cookie", advance: 900 + 5, headers: (token) => [["cookie", `rk_at=${token}`]], expected: { status: 401, challenge: INVALID_TOKEN, error: "invalid_token", sub: null } },
	{ name: "one second before exp + tolerance", variant: "plain", advance: 900 + 4, headers: (token) => [["authorization", `Bearer ${token}`]], expected: ok },
];

test("authorize, requireAuth and verifyRequest: the same outcome in every adapter, for every request", async () => {
	for (const row of ROWS) {
		const start = h.clock.now();
		const { accessToken } = await h.service.issue({ subject: "user-alice" });
		h.clock.advance(row.advance ?? 0);
		try {
			for (const [adapter, check] of Object.entries(ADAPTERS)) {
				const outcome = await check(row.headers(accessToken), row.variant);
				const expected = adapter === "next verifyRequest" ? ({ sub: row.expected.sub } as Outcome) : row.expected;
				assert.equal(outcome, expected, `${row.name}: ${adapter}`);
			}
		} finally {
			h.clock.set(start);
		}
	}
});

test("refusals never echo the token, and carry no-store", async () => {
	const { accessToken } = await h.service.issue({ subject: "user-alice" });
	const bad = `${accessToken.slice(0, -4)}AAAA`;
	const fetched = await fetchAuthorize(h.service, request([["authorization", `Bearer ${bad}`]]));
	assert.is(fetched.response?.headers.get("cache-control"), "no-store");
	assert.not.match(await (fetched.response as Response).text(), bad.slice(0, 30));
	const socket = await send(`${server.url}/authorize/plain`, { headers: { Authorization: `Bearer ${bad}` } });
	assert.is(socket.headers["cache-control"], "no-store");
	assert.is(Number(socket.headers["content-length"]), Buffer.byteLength(socket.text));
	assert.not.match(socket.text + String(socket.headers["www-authenticate"]), bad.slice(0, 30));
});

test("options are checked the same way everywhere (ERR_CONFIG_INVALID)", async () => {
	const bad: AuthorizeOptions[] = [{ realm: 'a"b' }, { realm: "tab\there" }, { cookie: { accessTokenName: "bad name" } }, null as unknown as AuthorizeOptions];
	for (const options of bad) {
		const code: TokenErrorCode = "ERR_CONFIG_INVALID";
		await rejects(fetchAuthorize(h.service, request([]), options), code);
		await rejects(nextAuthorize(h.service, request([]), options), code);
		await rejects(verifyRequest(h.service, request([]), options), code);
		assert.throws(
			() => requireAuth(h.service, options),
			(error: unknown) => isTokenError(error, code),
			JSON.stringify(options),
		);
	}
	const socket = await send(`${server.url}/bad-options`);
	assert.equal(socket.json(), { code: "ERR_CONFIG_INVALID" });
});

test("the check sees the request's method and origin (what the same-origin rule for cookie authentication needs)", async () => {
	const node = await send(`${server.url}/inspect`, { method: "DELETE", headers: { Authorization: ["Bearer a", "Bearer b"] } });
	assert.equal(node.json(), { method: "DELETE", origin: server.origin, authorization: "Bearer a, Bearer b" });
	const named = await send(`${server.url}/inspect`, { method: "POST", headers: { Host: "APP.example.com:80" } });
	assert.equal(named.json(), { method: "POST", origin: "http://app.example.com", authorization: null });

	// Next: the public origin from x-forwarded-host/-proto (request.url is the server's own address).
	const forwarded = { "X-Forwarded-Host": "app.example.com", "X-Forwarded-Proto": "https" };
	const routed = nextAccessCheckRequest(new Request(`${ORIGIN}/api/me`, { method: "PATCH", headers: forwarded }));
	assert.equal([routed.method, routed.origin], ["PATCH", "https://app.example.com"]);
	const rendered = nextAccessCheckRequest({ headers: new Headers(forwarded) });
	assert.equal([rendered.method, rendered.origin], [null, "https://app.example.com"], "a Server Component passes headers only");
	const direct = nextAccessCheckRequest(new Request(`${ORIGIN}/api/me`, { method: "POST", headers: { "X-Forwarded-Host": "127.0.0.1:99999" } }));
	assert.is(direct.origin, ORIGIN, "a forwarded host that is no origin falls back to the URL's");
	assert.is(nextAccessCheckRequest({ headers: new Headers() }).origin, null);

	// Fetch: the origin of request.url.
	assert.is(originOf("https://app.example.com:443/x?y=1"), "https://app.example.com");
	assert.is(originOf(undefined), null);
	assert.is(originOf("/relative"), null);
	assert.is(originOf("data:text/plain,x"), null, "an opaque origin is none");
});

test.run();
