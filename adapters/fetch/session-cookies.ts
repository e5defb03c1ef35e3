// The two cookies of cookie mode as every writer sets and deletes them: the hub's routes and the
// Next.js proxy share this one definition of names, paths, domain and lifetimes, so a cookie the
// proxy sets is exactly the one the routes read, replace and clear.
import type { TokenSet } from "../../core/types.js";
import { type CookieAttributes, clearCookie, HOST_PREFIX, setCookie } from "./cookies.js";
import type { CookieOptions, HubResponse } from "./types.js";

/** Writes the refresh-token cookie and, when configured, the access-token cookie. */
export interface SessionCookies {
	readonly refreshName: string;
	readonly accessName: string | undefined;
	/** The Set-Cookie lines that store a new token set (and delete the stale variants). */
	issued(tokens: TokenSet): string[];
	/** The Set-Cookie lines that delete both cookies, in every variant. */
	cleared(): string[];
	/**
	 * The Set-Cookie lines that delete every variant of the two cookies other than the ones this
	 * configuration sets: what a refused duplicate may safely send (see {@link sessionCookies}).
	 */
	stale(): string[];
}

/**
 * The cookies of cookie mode for a normalized base path ("" for the root).
 *
 * A cookie is identified by its name, domain (or host-only) and path, so a changed `cookie.path`
 * or `cookie.domain` leaves browsers that logged in before with a second cookie of the same name
 * (a "variant"), and the duplicate refusal would then lock them out until it expired. Every
 * response that sets or clears the cookies therefore also deletes each variant this server may
 * have set before: the refresh cookie on the base path, on `/` and on `cookie.path`; both cookies
 * host-only, on `cookie.domain` and on `cookie.previousDomain`. That is a fixed list for one
 * configuration: one deleting line by default, at most eight for the refresh cookie and two for
 * the access cookie.
 *
 * A refused duplicate (two cookies of one name) deletes the stale variants only, never the
 * cookies where this configuration sets them. The second cookie may have been planted by a
 * sibling subdomain for the parent domain on a path of its choosing, which no deleting line of
 * ours can reach; deleting the victim's own cookie next to it would leave the attacker's alone,
 * and the next request would sign the victim into the attacker's session. Deleting only the
 * stale variants removes our own leftover after a configuration change (so the current cookie
 * works again on the next request) and never the current cookie, so a planted twin still meets
 * a refusal.
 */
export function sessionCookies(cookie: CookieOptions, basePath: string): SessionCookies {
	const defaultPath = basePath === "" ? "/" : basePath;
	// The refresh cookie on cookie.path when set, else on the base path.
	const refresh: CookieAttributes = { path: cookie.path === undefined ? defaultPath : cookiePath(cookie.path), domain: cookie.domain };
	const access: CookieAttributes = { path: "/", domain: cookie.domain };
	const domains = [undefined, cookie.domain, cookie.previousDomain];
	const accessName = cookie.accessTokenName;
	const staleLines = [...variants(cookie.name, refresh, [refresh.path, defaultPath, "/"], domains), ...(accessName === undefined ? [] : variants(accessName, access, ["/"], domains))];
	return {
		refreshName: cookie.name,
		accessName,
		issued(tokens: TokenSet): string[] {
			const lines = [setCookie(cookie.name, tokens.refreshToken, refresh, { expires: tokens.refreshTokenExpiresAt })];
			if (accessName !== undefined) lines.push(setCookie(accessName, tokens.accessToken, access, { maxAge: tokens.expiresIn }));
			// The deletions first: a client that keeps cookies by name only (not by name, domain
			// and path, as browsers do) then still ends with the new cookie.
			return [...staleLines, ...lines];
		},
		cleared(): string[] {
			const lines = [clearCookie(cookie.name, refresh)];
			if (accessName !== undefined) lines.push(clearCookie(accessName, access));
			return [...lines, ...staleLines];
		},
		stale(): string[] {
			return [...staleLines];
		},
	};
}

/**
 * The deleting lines for every combination of `paths` and `domains` (undefined: host-only)
 * except `current`, each once. Domains compare as browsers compare them: case-insensitive, a
 * leading dot ignored, so no line can ever delete the cookie set next to it.
 */
function variants(name: string, current: CookieAttributes, paths: readonly string[], domains: readonly (string | undefined)[]): string[] {
	// A `__Host-` cookie has no other variant to delete (a Domain on its deleting line would even get that line dropped).
	if (HOST_PREFIX.test(name)) return [];
	const seen = new Set([variantKey(current)]);
	const lines: string[] = [];
	for (const path of paths) {
		for (const domain of domains) {
			const variant = { path, domain };
			const key = variantKey(variant);
			if (seen.has(key)) continue;
			seen.add(key);
			lines.push(clearCookie(name, variant));
		}
	}
	return lines;
}

function variantKey(attributes: CookieAttributes): string {
	const domain = attributes.domain === undefined ? "" : attributes.domain.toLowerCase().replace(/^\./, "");
	return `${domain} ${attributes.path}`;
}

/**
 * A refusal of two cookies of one name, with the lines that delete this server's stale variants
 * (never the current cookies: see {@link sessionCookies}), so the next request gets through.
 */
export function withStaleCookiesDeleted(cookies: SessionCookies | null, response: HubResponse): HubResponse {
	const lines = cookies?.stale() ?? [];
	if (lines.length > 0) response.headers["set-cookie"] = lines;
	return response;
}

/** `cookie.path` as the Path attribute: no trailing slash, "/" for the root. */
function cookiePath(path: string): string {
	const trimmed = path.replace(/\/+$/, "");
	return trimmed === "" ? "/" : trimmed;
}
