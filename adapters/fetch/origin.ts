// The same-origin (CSRF) check of cookie mode, and the origins it compares with.
import type { HeadersLike } from "./types.js";

/**
 * CSRF defence for cookie mode, failing closed: the request must name an allowed `Origin`,
 * or, when a browser sent no Origin, carry `Sec-Fetch-Site: same-origin` (a header page
 * scripts cannot set). A request with neither is refused.
 */
export function isAllowedOrigin(headers: HeadersLike, ownOrigin: string, allowedOrigins: ReadonlySet<string> | null): boolean {
	const origin = headers.get("origin");
	if (origin !== null) return allowedOrigins === null ? origin === ownOrigin : allowedOrigins.has(origin);
	return headers.get("sec-fetch-site") === "same-origin";
}

/** The origin of an absolute URL (`https://app.example.com/x` → `https://app.example.com`), or null. */
export function originOf(url: string | undefined): string | null {
	if (url === undefined) return null;
	let origin: string;
	try {
		origin = new URL(url).origin;
	} catch {
		return null;
	}
	// An opaque origin (data:, file:) serializes as "null", which must never match an Origin header.
	return origin === "null" ? null : origin;
}

/** `value` when it is exactly an origin as browsers send it in `Origin` (no path, no trailing slash), else null. */
export function canonicalOrigin(value: unknown): string | null {
	return typeof value === "string" && originOf(value) === value ? value : null;
}
