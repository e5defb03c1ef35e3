// Public types of the Next.js adapter.
import type { Clock } from "../../core/clock.js";
import type { TokenService } from "../../core/types.js";
import type { FetchHandlerOptions } from "../fetch/types.js";

/** The route handlers to export from `app/auth/[...path]/route.ts`. */
export interface NextHandlers {
	GET(request: Request): Promise<Response>;
	POST(request: Request): Promise<Response>;
	/** The sessions routes (`DELETE {basePath}/sessions[/{id}]`, with `sessions: true`); export it too. */
	DELETE(request: Request): Promise<Response>;
}

/** What `createNextProxy` calls: `exchange` to rotate, `verify` to tell a fresh access token (a `TokenService` has both). */
export type NextProxyService = Pick<TokenService, "exchange" | "verify">;

/**
 * Options of `createNextProxy`: the handler options (pass the same object, with `cookie.path`
 * covering the pages the proxy guards) plus the proxy's own.
 */
export interface NextProxyOptions extends FetchHandlerOptions {
	/**
	 * Refresh when the access token has less than this many seconds left (and at most a quarter of
	 * its lifetime, so a margin longer than the token never refreshes on every request). Default 60.
	 * A prefetch (`Purpose: prefetch`, `Sec-Purpose: prefetch`, `Next-Router-Prefetch: 1`) refreshes
	 * only a missing or expired token.
	 */
	refreshMargin?: number;
	/**
	 * Where a GET or HEAD goes when the refresh token is refused (expired, revoked, unknown): a
	 * 307 redirect to this path, with both cookies cleared. Default: none, the route renders
	 * signed out (the cookies cleared on the response and removed from the request).
	 */
	signInPath?: string;
	/** The time the proxy compares the access token's `exp` with. Default: the system clock. */
	clock?: Clock;
}

/** The function to export from `proxy.ts` (Next 16) or `middleware.ts` (Next 15). */
export type NextProxy = (request: Request) => Promise<Response>;
