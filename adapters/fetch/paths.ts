// Base paths: where the hub's routes live, and which request paths are the hub's.

// A path of RFC 3986 segments, without a trailing slash ("" for the root).
const BASE_PATH = /^(\/[A-Za-z0-9._~!$&'()*+,;=:@-]+)*$/;

/** `basePath` without trailing slashes ("" for the root). */
export function normalizeBasePath(basePath: string): string {
	return basePath.replace(/\/+$/, "");
}

/** True when a normalized base path is a plain path such as `/auth` (no spaces, no query). */
export function isValidBasePath(normalized: string): boolean {
	return BASE_PATH.test(normalized);
}

/** True when `pathname` is `basePath` itself or below it: the paths the hub answers. */
export function isUnderBasePath(pathname: string, basePath: string): boolean {
	const base = normalizeBasePath(basePath);
	return base === "" || pathname === base || pathname.startsWith(base + "/");
}

/** The part of `pathname` below a normalized base path (`/auth/token` → `/token`), or null when it is not below it. */
export function pathBelow(pathname: string, normalizedBase: string): string | null {
	if (normalizedBase === "") return pathname;
	return pathname.startsWith(normalizedBase + "/") ? pathname.slice(normalizedBase.length) : null;
}
