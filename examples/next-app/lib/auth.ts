// The token service of this app, created once per server process. Server-only: it holds the
// signing keys and the database.
import { createHash, timingSafeEqual } from "node:crypto";
import { createTokenService, type Duration, generateSigningKeys, type TokenService } from "refresh-kit";
import { deviceLabel } from "refresh-kit/adapters/fetch";
import { createNextHandlers, createNextProxy, type NextHandlerOptions, type NextHandlers, type NextProxy } from "refresh-kit/adapters/next";
import { openStore } from "refresh-kit/storage/drizzle";

const DEMO_USER = { username: "demo", password: "demo-password", name: "Demo User" };

/** Compares in time independent of where the strings differ (hashing equalises the lengths). */
function safeEqual(a: string, b: string): boolean {
	return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
}

export const authOptions = {
	basePath: "/auth",
	// Cookie mode: both tokens in HttpOnly cookies on /. The access token there so that Server
	// Components can verify it; the refresh token there (path: "/", default /auth) so that the
	// proxy (proxy.ts) can rotate it before a page renders. docs/nextjs.md: what that costs.
	cookie: { name: "rk_refresh", accessTokenName: "rk_access", path: "/" },
	authenticate(request, { username = "", password = "" }) {
		// Both fields compared every time: no early exit tells a guesser which one was wrong.
		const userMatches = safeEqual(username, DEMO_USER.username);
		const passwordMatches = safeEqual(password, DEMO_USER.password);
		if (!(userMatches && passwordMatches)) return null;
		// "Chrome on macOS", "Safari on iPhone": what the sessions page shows.
		return { subject: DEMO_USER.username, claims: { name: DEMO_USER.name }, device: deviceLabel(request) };
	},
	// GET /auth/sessions, DELETE /auth/sessions/{id}, DELETE /auth/sessions (app/sessions uses the DELETEs).
	sessions: true,
} satisfies NextHandlerOptions;

export interface Auth {
	service: TokenService;
	handlers: NextHandlers;
	proxy: NextProxy;
}

async function createAuth(): Promise<Auth> {
	const ttl = process.env.ACCESS_TOKEN_TTL ?? "60s";
	const service = createTokenService({
		// DATABASE_URL (postgres://…), else PGlite in memory: sessions end when the server stops.
		store: await openStore(process.env.DATABASE_URL || "pglite://memory"),
		// AUTH_KEYS (a JSON JWK list from a secret store), else keys made for this process only.
		keys: process.env.AUTH_KEYS ? JSON.parse(process.env.AUTH_KEYS) : await generateSigningKeys("EdDSA"),
		issuer: process.env.AUTH_ISSUER ?? "refresh-kit-next-example",
		audience: "refresh-kit-next-example",
		accessTokenTtl: (/^\d+$/.test(ttl) ? Number(ttl) : ttl) as Duration,
		// REFRESH_SECRET (comma-separated to rotate: new first), else a secret made for this process
		// only (with the in-memory store, sessions end with the process anyway). Never the signing key.
		refresh: { secret: process.env.REFRESH_SECRET ? process.env.REFRESH_SECRET.split(",") : crypto.getRandomValues(new Uint8Array(32)) },
		// AUTH_LOG_EVENTS=1: one JSON line per lifecycle event (an audit trail; events never
		// carry token material). The end-to-end tests count rotations with it.
		onEvent: process.env.AUTH_LOG_EVENTS ? (event) => console.log(`auth-event ${JSON.stringify(event)}`) : undefined,
	});
	return { service, handlers: createNextHandlers(service, authOptions), proxy: createNextProxy(service, authOptions) };
}

// Next.js may evaluate this module more than once (the proxy, the route handler and each page
// are separate bundles), so the one instance lives on globalThis. Created on first use, not at
// import: `next build` imports the route modules and must not open a database.
const INSTANCE = Symbol.for("refresh-kit-next-example.auth");

/** The service and the route handlers, created on first call. */
export function auth(): Promise<Auth> {
	const holder = globalThis as { [INSTANCE]?: Promise<Auth> };
	holder[INSTANCE] ??= createAuth().catch((error: unknown) => {
		delete holder[INSTANCE];
		throw error;
	});
	return holder[INSTANCE];
}
