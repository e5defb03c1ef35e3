// The options of createNextProxy, checked once (ERR_CONFIG_INVALID otherwise). They extend the
// handler options, so the object given to createNextHandlers can be spread into them.
import { type Clock, systemClock } from "../../core/clock.js";
import { TokenError } from "../../core/errors.js";
import { type ResolvedHttpOptions, resolveHttpOptions } from "../fetch/options.js";
import type { CookieOptions, FetchHandlerOptions } from "../fetch/types.js";
import type { NextProxyOptions } from "./types.js";

/** {@link NextProxyOptions} with defaults applied. */
export interface ResolvedProxyOptions {
	http: ResolvedHttpOptions;
	cookie: CookieOptions & { accessTokenName: string };
	refreshMargin: number;
	signInPath: string | null;
	clock: Clock;
}

const DEFAULT_REFRESH_MARGIN = 60;

export function resolveProxyOptions(options: NextProxyOptions): ResolvedProxyOptions {
	if (typeof options !== "object" || options === null) invalid("options must be an object");
	const { refreshMargin = DEFAULT_REFRESH_MARGIN, signInPath, clock = systemClock, ...handlerOptions } = options;
	// The handler options are checked as createNextHandlers checks them (the same object is passed to both).
	const http = resolveHttpOptions(handlerOptions satisfies FetchHandlerOptions);
	const cookie = http.cookie;
	// The proxy exists to put a fresh access token where Server Components read it.
	if (cookie === undefined || cookie.accessTokenName === undefined) invalid("cookie mode with cookie.accessTokenName is required (the cookie Server Components verify)");
	// The proxy never refreshes on the auth routes; at the root they would be every path.
	if (http.basePath === "") invalid("basePath must not be the root: the proxy leaves every path under it to the auth routes");
	if (typeof refreshMargin !== "number" || !Number.isFinite(refreshMargin) || refreshMargin < 0) invalid("refreshMargin must be a number of seconds, 0 or more");
	if (signInPath !== undefined && (typeof signInPath !== "string" || !/^\/(?!\/)[^\s\\]*$/.test(signInPath))) invalid('signInPath must be a path on this site, such as "/login"');
	if (typeof clock !== "object" || clock === null || typeof clock.now !== "function") invalid("clock must be { now(): Date }");
	return { http, cookie: { ...cookie, accessTokenName: cookie.accessTokenName }, refreshMargin, signInPath: signInPath ?? null, clock };
}

function invalid(message: string): never {
	throw new TokenError("ERR_CONFIG_INVALID", `createNextProxy: ${message}`);
}
