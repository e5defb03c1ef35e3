// The handler options, checked once when a handler is created (ERR_CONFIG_INVALID otherwise).
import { TokenError } from "../../core/errors.js";
import { COOKIE_NAME, HOST_PREFIX } from "./cookies.js";
import { resolveAllowedOrigins } from "./origin.js";
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
	sessions: boolean;
}

const OPTION_NAMES = new Set(["basePath", "authenticate", "cookie", "allowedOrigins", "maxBodyBytes", "onError", "sessions"]);
const COOKIE_OPTION_NAMES = new Set(["name", "accessTokenName", "domain", "previousDomain", "path"]);

export function resolveHttpOptions(options: FetchHandlerOptions): ResolvedHttpOptions {
	if (typeof options !== "object" || options === null) invalid("options must be an object");
	for (const key of Object.keys(options)) if (!OPTION_NAMES.has(key)) invalid(`unknown option ${key}; expected one of ${[...OPTION_NAMES].join(", ")}`);
	const basePath = options.basePath ?? "/auth";
	if (typeof basePath !== "string" || !isValidBasePath(normalizeBasePath(basePath))) invalid('basePath must be a path such as "/auth"');
	const maxBodyBytes = options.maxBodyBytes ?? 16_384;
	if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) invalid("maxBodyBytes must be a positive integer");
	if (options.authenticate !== undefined && typeof options.authenticate !== "function") invalid("authenticate must be a function");
	if (options.onError !== undefined && typeof options.onError !== "function") invalid("onError must be a function");
	if (options.sessions !== undefined && typeof options.sessions !== "boolean") invalid("sessions must be true or false");
	const cookie = options.cookie;
	if (cookie !== undefined) checkCookieOptions(cookie, normalizeBasePath(basePath));
	const allowedOrigins = resolveAllowedOrigins(options.allowedOrigins, invalid);
	return { basePath: normalizeBasePath(basePath), authenticate: options.authenticate, cookie, allowedOrigins, maxBodyBytes, onError: options.onError, sessions: options.sessions === true };
}

const DOMAIN = /^\.?[A-Za-z0-9.-]+$/;

function checkCookieOptions(cookie: CookieOptions, basePath: string): void {
	if (typeof cookie !== "object" || cookie === null) invalid("cookie must be { name, accessTokenName?, domain?, previousDomain?, path? }");
	for (const key of Object.keys(cookie)) if (!COOKIE_OPTION_NAMES.has(key)) invalid(`unknown option cookie.${key}`);
	if (typeof cookie.name !== "string" || !COOKIE_NAME.test(cookie.name)) invalid("cookie.name must be a valid cookie name");
	if (cookie.accessTokenName !== undefined && (typeof cookie.accessTokenName !== "string" || !COOKIE_NAME.test(cookie.accessTokenName) || cookie.accessTokenName === cookie.name)) {
		invalid("cookie.accessTokenName must be a valid cookie name, different from cookie.name");
	}
	for (const key of ["domain", "previousDomain"] as const) {
		const domain = cookie[key];
		if (domain !== undefined && (typeof domain !== "string" || !DOMAIN.test(domain))) invalid(`cookie.${key} must be a host name`);
	}
	// The refresh cookie must still reach {basePath}/token and /logout (RFC 6265 §5.1.4 path-match).
	if (cookie.path !== undefined && (typeof cookie.path !== "string" || !isValidBasePath(normalizeBasePath(cookie.path)) || !isUnderBasePath(basePath, cookie.path))) {
		invalid('cookie.path must be a path such as "/" that contains basePath');
	}
	// Otherwise the login would answer 200 and the browser would keep no cookie.
	if (HOST_PREFIX.test(cookie.name) && normalizeBasePath(cookie.path ?? basePath) !== "") invalid('a __Host- refresh cookie needs Path=/, but it is scoped to basePath: use a __Secure- name, or cookie.path "/" (or basePath "/")');
	const hostPrefixed = HOST_PREFIX.test(cookie.name) || (cookie.accessTokenName !== undefined && HOST_PREFIX.test(cookie.accessTokenName));
	if (hostPrefixed && cookie.domain !== undefined) invalid("__Host- cookies cannot have a Domain: drop cookie.domain, or use __Secure- names");
}

function invalid(message: string): never {
	throw new TokenError("ERR_CONFIG_INVALID", `createFetchHandler: ${message}`);
}
