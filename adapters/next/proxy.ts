// createNextProxy: refresh in proxy.ts (Next 16) or middleware.ts (Next 15), the one place of a
// Next.js request that can both rotate the refresh cookie and change what the route renders with.
// It imports nothing from `next`: a web Request in, the Response Next's own NextResponse builds out.
import { isTokenError, type TokenErrorCode } from "../../core/errors.js";
import type { TokenSet } from "../../core/types.js";
import { replaceCookies, scanCookie } from "../fetch/cookies.js";
import { isAllowedOrigin, isUnsafeMethod } from "../fetch/origin.js";
import { isUnderBasePath } from "../fetch/paths.js";
import { createErrorResponder } from "../fetch/responses.js";
import { sessionCookies } from "../fetch/session-cookies.js";
import { continueToRoute, redirectTo } from "./middleware-response.js";
import { resolveProxyOptions } from "./proxy-options.js";
import type { NextProxy, NextProxyOptions, NextProxyService } from "./types.js";
import { publicURL } from "./url.js";

// The refusals that end the session; ERR_TOKEN_REUSED is not among them (see refused()).
const SESSION_OVER: ReadonlySet<TokenErrorCode> = new Set(["ERR_TOKEN_MALFORMED", "ERR_TOKEN_UNKNOWN", "ERR_TOKEN_EXPIRED", "ERR_TOKEN_REVOKED"]);

/**
 * Refreshes the session before a page, a Server Action or a route handler runs, so that it
 * renders with a fresh access token and Server Components never see a stale one. When the
 * access-token cookie is missing, invalid or expires within `refreshMargin`, and a refresh
 * cookie is present, it rotates once (`service.exchange`), sets both cookies on the response
 * and on the request the route sees. Every other request passes through untouched, as do the
 * auth routes under `basePath` and `/_next/`. Requests that arrive together with the same
 * expired cookies (a navigation and its prefetches) all rotate the same token, and the grace
 * window gives them all the same successor. A refused refresh token clears both cookies (or
 * redirects to `signInPath`); a store that is down changes nothing. It never throws: an
 * unexpected failure passes the request through and goes to `onError`.
 *
 * The refresh cookie must reach the guarded paths: set `cookie.path` (usually `"/"`) in the
 * options given to both `createNextHandlers` and `createNextProxy`.
 *
 * @example
 * ```ts
 * // proxy.ts (Next 16; for Next 15: middleware.ts, `export const middleware`, and
 * // `runtime: "nodejs"` in the config)
 * import { createNextProxy } from "refresh-kit/adapters/next";
 * import { service, authOptions } from "@/lib/auth"; // cookie: { name, accessTokenName, path: "/" }
 *
 * export const proxy = createNextProxy(service, authOptions);
 *
 * export const config = {
 *   // Not the auth routes, not Next's assets, not files with an extension.
 *   matcher: ["/((?!auth/|_next/static|_next/image|favicon.ico|.*\\.\\w+$).*)"],
 * };
 * ```
 */
export function createNextProxy(service: NextProxyService, options: NextProxyOptions): NextProxy {
	const config = resolveProxyOptions(options);
	const { http, clock } = config;
	const cookies = sessionCookies(config.cookie, http.basePath);
	const accessName = config.cookie.accessTokenName;
	const { failFromException } = createErrorResponder(http.onError);

	/** True when the access token is valid for longer than the margin. Verified, so a token of a retired key is refreshed too. */
	async function isFresh(accessToken: string | null, prefetch: boolean): Promise<boolean> {
		if (accessToken === null) return false;
		let claims: { exp: number; iat: number };
		try {
			claims = await service.verify(accessToken);
		} catch (cause) {
			if (isTokenError(cause)) return false;
			throw cause;
		}
		// A prefetch may never be followed by a navigation: it only refreshes what is already unusable.
		const margin = prefetch ? 0 : Math.min(config.refreshMargin, (claims.exp - claims.iat) / 4);
		return claims.exp - clock.now().getTime() / 1000 >= margin;
	}

	/** The request headers with both cookies replaced (or removed, for null). */
	function withSession(request: Request, tokens: TokenSet | null): Headers {
		const headers = new Headers(request.headers);
		const cookie = replaceCookies(headers.get("cookie"), {
			[cookies.refreshName]: tokens === null ? null : tokens.refreshToken,
			[accessName]: tokens === null ? null : tokens.accessToken,
		});
		if (cookie === null) headers.delete("cookie");
		else headers.set("cookie", cookie);
		return headers;
	}

	function refused(request: Request, url: URL, cause: unknown): Response {
		// Reported as the token route reports it (onError, the same reasons).
		failFromException("proxy", cause);
		if (!isTokenError(cause)) return continueToRoute();
		// A reused token most often lost a race: the browser may already hold the successor (or,
		// under onReuse "report-only", a live one), so its cookies stay; only this render goes
		// without the retired ones. If the session was revoked, the next request clears them.
		if (cause.code === "ERR_TOKEN_REUSED") return continueToRoute({ requestHeaders: withSession(request, null) });
		// ERR_STORE_UNAVAILABLE and anything else: the token may still be good, change nothing.
		if (!SESSION_OVER.has(cause.code)) return continueToRoute();
		const cleared = cookies.cleared();
		if (config.signInPath !== null && (request.method === "GET" || request.method === "HEAD")) return redirectTo(new URL(config.signInPath, url.origin), cleared);
		return continueToRoute({ requestHeaders: withSession(request, null), setCookie: cleared });
	}

	async function handle(request: Request): Promise<Response> {
		const url = publicURL(request);
		if (isUnderBasePath(url.pathname, http.basePath) || url.pathname.startsWith("/_next/")) return continueToRoute();
		const header = request.headers.get("cookie");
		// Two cookies of one name (one planted by a sibling subdomain, say) are never resolved by
		// picking one: no refresh, and the route's own check decides. Our own variants left by a
		// changed cookie.path or cookie.domain are deleted meanwhile, so the next request works.
		const { value: refreshToken, count: refreshCookies } = scanCookie(header, cookies.refreshName);
		const { value: accessToken, count: accessCookies } = scanCookie(header, accessName);
		if (refreshCookies > 1 || accessCookies > 1) return continueToRoute({ setCookie: cookies.stale() });
		if (refreshToken === null) return continueToRoute();
		// An unsafe method from another origin (SameSite=Strict already keeps cross-site requests
		// out; this covers same-site ones) is left to the route's own origin check.
		if (isUnsafeMethod(request.method) && !isAllowedOrigin(request.headers, url.origin, http.allowedOrigins)) return continueToRoute();
		if (await isFresh(accessToken, isPrefetch(request.headers))) return continueToRoute();
		let tokens: TokenSet;
		try {
			tokens = await service.exchange(refreshToken);
		} catch (cause) {
			return refused(request, url, cause);
		}
		return continueToRoute({ requestHeaders: withSession(request, tokens), setCookie: cookies.issued(tokens) });
	}

	return async function proxy(request: Request): Promise<Response> {
		try {
			return await handle(request);
		} catch (cause) {
			// Never a 500 for every page: the route runs as if there were no proxy.
			failFromException("proxy", cause);
			return continueToRoute();
		}
	};
}

/**
 * A speculative request: the browser's (`Sec-Purpose`, `Purpose`), or the App Router's own
 * header where the host shows it (`next start` strips it from what the proxy sees, so there a
 * router prefetch counts as a navigation).
 */
function isPrefetch(headers: Headers): boolean {
	const purpose = headers.get("sec-purpose") ?? headers.get("purpose");
	return headers.get("next-router-prefetch") === "1" || (purpose !== null && /^\s*prefetch\b/i.test(purpose));
}
