// The same-origin (CSRF) check of cookie mode, and the origins it compares with. The one
// implementation of the rule: the hub applies it to its state-changing routes, the access check
// to cookie-authenticated unsafe requests.
import { canonicalOrigin } from "../../core/origin.js";
import type { HeadersLike } from "./types.js";

export { originOf } from "../../core/origin.js";

// RFC 9110 §9.2.1: the methods defined as safe. Anything else (POST, PUT, PATCH, DELETE, and any
// extension method) changes state and, when a cookie authenticates it, needs the origin check.
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * CSRF defence for cookie mode, failing closed: the request must name an allowed `Origin`,
 * or, when a browser sent no Origin, carry `Sec-Fetch-Site: same-origin` (a header page
 * scripts cannot set). A request with neither is refused. `ownOrigin` is the origin the request
 * was sent to (the default when `allowedOrigins` is null); null when unknown, which no Origin
 * header matches.
 */
export function isAllowedOrigin(headers: HeadersLike, ownOrigin: string | null, allowedOrigins: ReadonlySet<string> | null): boolean {
	const origin = headers.get("origin");
	if (origin !== null) return allowedOrigins === null ? ownOrigin !== null && origin === ownOrigin : allowedOrigins.has(origin);
	return headers.get("sec-fetch-site") === "same-origin";
}

/** True for a method other than GET, HEAD and OPTIONS, compared case-sensitively (RFC 9110 §9.1: `post` is not POST, and not safe either). */
export function isUnsafeMethod(method: string): boolean {
	return !SAFE_METHODS.has(method);
}

/** The `allowedOrigins` option as a set (null when not given), each entry checked to be an origin. */
export function resolveAllowedOrigins(value: unknown, invalid: (message: string) => never): ReadonlySet<string> | null {
	if (value === undefined) return null;
	if (!Array.isArray(value)) invalid("allowedOrigins must be a list of origins");
	const origins = new Set<string>();
	for (const entry of value as unknown[]) {
		const origin = canonicalOrigin(entry);
		if (origin === null) invalid(`allowedOrigins: ${JSON.stringify(entry)} is not an origin such as "https://app.example.com"`);
		origins.add(origin);
	}
	return origins;
}
