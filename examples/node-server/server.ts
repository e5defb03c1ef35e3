// refresh-kit demo: plain node:http, the library at /auth (cookie mode), a demo user, a
// protected /api/me and a small page at / that walks login → API call → refresh → logout, and
// lists the user's sessions (one per browser) with a sign-out for each.
//
//   npm start            # http://127.0.0.1:3000, user demo / demo-password
//
// Environment: PORT (3000), HOST (127.0.0.1), DATABASE_URL (postgres://… ; default: embedded
// PGlite in .data/refresh-kit), AUTH_KEYS (JSON JWK list; default: .data/demo-keys.json,
// generated on first start), REFRESH_SECRET (the refresh-token key, comma-separated to rotate;
// default: .data/demo-refresh-secret, generated on first start), ACCESS_TOKEN_TTL (seconds or "60s"/"15m"; default 60s).
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { deviceLabel } from "../../adapters/fetch/index.js";
import { type AuthenticatedRequest, createNodeHandler, requireAuth } from "../../adapters/node/index.js";
import { createTokenService, type Duration } from "../../core/index.js";
import { loadRefreshSecret, loadSigningKeys, openDemoStore, safeEqual } from "./setup.js";

const PORT = Number(process.env.PORT ?? 3000);
const HOST = process.env.HOST ?? "127.0.0.1";
const ORIGIN = `http://${HOST.includes(":") ? `[${HOST}]` : HOST}:${PORT}`;
const DEMO_USER = { username: "demo", password: "demo-password", name: "Demo User" };
const ttl = process.env.ACCESS_TOKEN_TTL ?? "60s";

const { keys, source: keySource } = await loadSigningKeys(".data/demo-keys.json");
const { secret: refreshSecret } = await loadRefreshSecret(".data/demo-refresh-secret");
const database = openDemoStore(process.env.DATABASE_URL);
const service = createTokenService({
	store: database.store,
	keys,
	issuer: process.env.ISSUER ?? ORIGIN,
	audience: "refresh-kit-demo",
	accessTokenTtl: (/^\d+$/.test(ttl) ? Number(ttl) : ttl) as Duration,
	refresh: { secret: refreshSecret },
	onEvent: (event) => console.log(`[event] ${event.type} sub=${event.subject} sid=${event.sessionId.slice(0, 8)}…${event.type === "revoked" ? ` reason=${event.reason}` : ""}`),
});

const auth = createNodeHandler(service, {
	basePath: "/auth",
	cookie: { name: "rk_refresh" },
	authenticate(request, { username = "", password = "" }) {
		// Compare both fields every time, in constant time: no early exit tells a guesser which one was wrong.
		const userMatches = safeEqual(username, DEMO_USER.username);
		const passwordMatches = safeEqual(password, DEMO_USER.password);
		if (!(userMatches && passwordMatches)) return null;
		// "Chrome on macOS", "Safari on iPhone", "curl": what the page's "Your sessions" list shows.
		return { subject: DEMO_USER.username, claims: { name: DEMO_USER.name }, device: deviceLabel(request) };
	},
	// GET /auth/sessions, DELETE /auth/sessions/{id}, DELETE /auth/sessions (all but this one).
	sessions: true,
	onError: (event) => console.log(`[auth] ${event.status} ${event.reason} (${event.route ?? "-"})${event.status >= 500 && event.cause ? ` ${String(event.cause)}` : ""}`),
});
const protect = requireAuth(service);

const STATIC: Record<string, { file: string; type: string }> = {
	"/": { file: "index.html", type: "text/html; charset=utf-8" },
	"/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
	"/app.css": { file: "app.css", type: "text/css; charset=utf-8" },
};
const assets = new Map(Object.entries(STATIC).map(([path, { file, type }]) => [path, { body: readFileSync(new URL(`./public/${file}`, import.meta.url)), type }]));

function send(res: ServerResponse, status: number, body: string | Buffer, type: string): void {
	res.writeHead(status, {
		"Content-Type": type,
		"Cache-Control": "no-store",
		"X-Content-Type-Options": "nosniff",
		"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
	});
	res.end(body);
}

function app(req: IncomingMessage, res: ServerResponse): void {
	const path = (req.url ?? "/").split("?", 1)[0] as string;
	if (path === "/api/me" && req.method === "GET") {
		void protect(req, res, () => {
			const claims = (req as AuthenticatedRequest).auth;
			send(res, 200, JSON.stringify({ subject: claims.sub, name: claims.name, session: claims.sid, issuedAt: claims.iat, expiresAt: claims.exp }), "application/json");
		});
		return;
	}
	if (path === "/healthz") {
		send(res, database.isReady() ? 200 : 503, JSON.stringify({ store: database.isReady() ? "ready" : "starting" }), "application/json");
		return;
	}
	const asset = req.method === "GET" || req.method === "HEAD" ? assets.get(path) : undefined;
	if (asset !== undefined) send(res, 200, asset.body, asset.type);
	else send(res, 404, JSON.stringify({ error: "not_found", error_description: "no such page" }), "application/json");
}

const server = createServer((req, res) => void auth(req, res, () => app(req, res)));
const started = Date.now();
database.ready.then(
	() => console.log(`[store] ready after ${Date.now() - started} ms (${process.env.DATABASE_URL ? "DATABASE_URL" : "PGlite in .data/refresh-kit"})`),
	(error: unknown) => {
		console.error("[store] could not open the database:", error instanceof Error ? error.message : error);
		process.exitCode = 1;
		server.close();
	},
);

server.listen(PORT, HOST, () => {
	const { port } = server.address() as AddressInfo;
	const url = ORIGIN.replace(/:\d+$/, `:${port}`);
	const jar = ".data/curl-jar";
	console.log(`refresh-kit demo on ${url}  (user: ${DEMO_USER.username} / ${DEMO_USER.password}; keys: ${keySource}; access tokens live ${ttl})

Open ${url}/ in a browser, or try it with curl:
  curl -s ${url}/auth/jwks
  AT=$(curl -s -c ${jar} -H 'Origin: ${url}' -d username=demo -d password=demo-password ${url}/auth/login \\
       | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token')
  curl -s -H "Authorization: Bearer $AT" ${url}/api/me
  curl -s -H "Authorization: Bearer $AT" ${url}/auth/sessions
  curl -s -b ${jar} -c ${jar} -H 'Origin: ${url}' -d grant_type=refresh_token ${url}/auth/token
  curl -s -b ${jar} -c ${jar} -H 'Origin: ${url}' -X POST -i ${url}/auth/logout
`);
});

// Waits for the database to close cleanly (killing PGlite mid-write can damage .data/);
// a second signal forces the exit.
let stopping = false;
function shutdown(): void {
	if (stopping) process.exit(1);
	stopping = true;
	console.log("shutting down (signal again to force)…");
	server.close();
	server.closeAllConnections();
	void database.close().finally(() => process.exit());
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
