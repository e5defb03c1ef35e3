// The handler options, checked once when a handler is created (ERR_CONFIG_INVALID otherwise).
import { TokenError } from "../../core/errors.js";
import { COOKIE_NAME } from "./cookies.js";
import { canonicalOrigin } from "./origin.js";
import { isUnderBasePath, isValidBasePath, normalizeBasePath } from "./paths.js";
import type { CookieOptions, FetchHandlerOptions } from "./types.js";

/** {@link FetchHandlerOptions} with defaults applied. */
export interface ResolvedHttpOptions {
	/** Normalized: no trailing slash, "" for the root. */
	basePath: string;
	authenticate: FetchHandlerOptions["authenticate"];
	cookie: CookieOptions | undefined;
	allowedOrigins: ReadonlySet<string> | null;
	maxBodyBytes: number;
	onError: FetchHandlerOptions["onError"];
}

const OPTION_NAMES = new Set(["basePath", "authenticate", "cookie", "allowedOrigins", "maxBodyBytes", "onError"]);
const COOKIE_OPTION_NAMES = new Set(["name", "accessTokenName", "domain", "path"]);

export function resolveHttpOptions(options: FetchHandlerOptions): ResolvedHttpOptions {
	if (typeof options !== "object" || options === null) invalid("options must be an object");
	for (const key of Object.keys(options)) if (!OPTION_NAMES.has(key)) invalid(`unknown option ${key}; expected one of ${[...OPTION_NAMES].join(", ")}`);
	const basePath = options.basePath ?? "/auth";
	if (typeof basePath !== "string" || !isValidBasePath(normalizeBasePath(basePath))) invalid('basePath must be a path such as "/auth"');
	const maxBodyBytes = options.maxBodyBytes ?? 16_384;
	if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) invalid("maxBodyBytes must be a positive integer");
	if (options.authenticate !== undefined && typeof options.authenticate !== "function") invalid("authenticate must be a function");
	if (options.onError !== undefined && typeof options.onError !== "function") invalid("onError must be a function");
	const cookie = options.cookie;
	if (cookie !== undefined) checkCookieOptions(cookie, normalizeBasePath(basePath));
	let allowedOrigins: Set<string> | null = null;
	if (options.allowedOrigins !== undefined) {
		if (!Array.isArray(options.allowedOrigins)) invalid("allowedOrigins must be a list of origins");
		allowedOrigins = new Set();
		for (const value of options.allowedOrigins as unknown[]) {
			const origin = canonicalOrigin(value);
			if (origin === null) invalid(`allowedOrigins: ${JSON.stringify(value)} is not an origin such as "https://app.example.com"`);
			allowedOrigins.add(origin);
		}
	}
	return { basePath: normalizeBasePath(basePath), authenticate: options.authenticate, cookie, allowedOrigins, maxBodyBytes, onError: options.onError };
}

function checkCookieOptions(cookie: CookieOptions, basePath: string): void {
	if (typeof cookie !== "object" || cookie === null) invalid("cookie must be { name, accessTokenName?, domain?, path? }");
	for (const key of Object.keys(cookie)) if (!COOKIE_OPTION_NAMES.has(key)) invalid(`unknown option cookie.${key}`);
	if (typeof cookie.name !== "string" || !COOKIE_NAME.test(cookie.name)) invalid("cookie.name must be a valid cookie name");
	if (cookie.accessTokenName !== undefined && (typeof cookie.accessTokenName !== "string" || !COOKIE_NAME.test(cookie.accessTokenName) || cookie.accessTokenName === cookie.name)) {
		invalid("cookie.accessTokenName must be a valid cookie name, different from cookie.name");
	}
	if (cookie.domain !== undefined && (typeof cookie.domain !== "string" || !/^\.?[A-Za-z0-9.-]+$/.test(cookie.domain))) invalid("cookie.domain must be a host name");
	// The refresh cookie must still reach {basePath}/token and /logout (RFC 6265 §5.1.4 path-match).
	if (cookie.path !== undefined && (typeof cookie.path !== "string" || !isValidBasePath(normalizeBasePath(cookie.path)) || !isUnderBasePath(basePath, cookie.path))) {
		invalid('cookie.path must be a path such as "/" that contains basePath');
	}
}

function invalid(message: string): never {
	throw new TokenError("ERR_CONFIG_INVALID", `createFetchHandler: ${message}`);
}
