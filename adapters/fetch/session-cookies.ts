// The two cookies of cookie mode as every writer sets and deletes them: the hub's routes and the
// Next.js proxy share this one definition of names, paths, domain and lifetimes, so a cookie the
// proxy sets is exactly the one the routes read, replace and clear.
import type { TokenSet } from "../../core/types.js";
import { type CookieAttributes, clearCookie, setCookie } from "./cookies.js";
import type { CookieOptions } from "./types.js";

/** Writes the refresh-token cookie and, when configured, the access-token cookie. */
export interface SessionCookies {
	readonly refreshName: string;
	readonly accessName: string | undefined;
	/** The Set-Cookie lines that store a new token set. */
	issued(tokens: TokenSet): string[];
	/** The Set-Cookie lines that delete both cookies. */
	cleared(): string[];
}

/** The cookies of cookie mode for a normalized base path ("" for the root). */
export function sessionCookies(cookie: CookieOptions, basePath: string): SessionCookies {
	const defaultPath = basePath === "" ? "/" : basePath;
	// The refresh cookie on cookie.path when set, else on the base path.
	const refresh: CookieAttributes = { path: cookie.path === undefined ? defaultPath : cookiePath(cookie.path), domain: cookie.domain };
	const access: CookieAttributes = { path: "/", domain: cookie.domain };
	// A refresh cookie moved off the base path (for the Next.js proxy) leaves the browsers that
	// logged in before with a second cookie of the same name on the base path. Browsers send the
	// longer path first (RFC 6265 §5.4), so after one rotation {base}/token would read the retired
	// token and see reuse. Deleting the old one with every new one retires it.
	const legacy: CookieAttributes | null = refresh.path === defaultPath ? null : { path: defaultPath, domain: cookie.domain };
	const accessName = cookie.accessTokenName;
	return {
		refreshName: cookie.name,
		accessName,
		issued(tokens: TokenSet): string[] {
			const lines = [setCookie(cookie.name, tokens.refreshToken, refresh, { expires: tokens.refreshTokenExpiresAt })];
			if (accessName !== undefined) lines.push(setCookie(accessName, tokens.accessToken, access, { maxAge: tokens.expiresIn }));
			if (legacy !== null) lines.push(clearCookie(cookie.name, legacy));
			return lines;
		},
		cleared(): string[] {
			const lines = [clearCookie(cookie.name, refresh)];
			if (accessName !== undefined) lines.push(clearCookie(accessName, access));
			if (legacy !== null) lines.push(clearCookie(cookie.name, legacy));
			return lines;
		},
	};
}

/** `cookie.path` as the Path attribute: no trailing slash, "/" for the root. */
function cookiePath(path: string): string {
	const trimmed = path.replace(/\/+$/, "");
	return trimmed === "" ? "/" : trimmed;
}
