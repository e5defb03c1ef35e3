// Which requests get the access token: the client's own origin and an explicit list, nothing else.
import { canonicalOrigin, originOf } from "../core/origin.js";
import { AuthClientError } from "./errors.js";

interface PageLocation {
	origin?: string;
	href?: string;
}

/**
 * Decides which URLs `auth.fetch` may attach `Authorization: Bearer` to (and refresh after a 401
 * from). A bearer token is usable by whoever receives it (RFC 6750 §5.2): sent to a third-party
 * API, it lets that API call ours, and end the session through `/logout`.
 */
export interface OriginPolicy {
	/** True when `input` (resolved against the page, else against an absolute `baseUrl`) is on a trusted origin. */
	trusts(input: string | URL | Request): boolean;
}

/**
 * The trusted origins: the client's own (`location.origin` in a browser; in Node, the origin of
 * `baseUrl` when it is absolute) plus `trustedOrigins`, each of which must be an origin exactly as
 * browsers write it (`https://api.example.com`: scheme, host, port when not the default; no path).
 */
export function createOriginPolicy(baseUrl: string, trustedOrigins: unknown): OriginPolicy {
	const location = (globalThis as { location?: PageLocation }).location;
	const pageHref = typeof location?.href === "string" ? location.href : undefined;
	// Relative URLs resolve against the page; without one (Node), against an absolute baseUrl.
	const base = pageHref ?? (originOf(baseUrl) === null ? undefined : baseUrl);
	const trusted = new Set<string>();
	const own = pageHref === undefined ? originOf(baseUrl) : originOf(pageHref);
	if (own !== null) trusted.add(own);
	if (trustedOrigins !== undefined) {
		if (!Array.isArray(trustedOrigins)) throw new AuthClientError("ERR_CONFIG_INVALID", "trustedOrigins must be a list of origins");
		for (const entry of trustedOrigins as unknown[]) {
			if (canonicalOrigin(entry) === null) {
				throw new AuthClientError("ERR_CONFIG_INVALID", `trustedOrigins: ${JSON.stringify(entry)} is not an origin such as "https://api.example.com"`);
			}
			trusted.add(entry as string);
		}
	}
	return {
		trusts(input: string | URL | Request): boolean {
			const href = input instanceof Request ? input.url : String(input);
			let origin: string | null;
			try {
				origin = originOf(new URL(href, base).href);
			} catch {
				origin = null;
			}
			return origin !== null && trusted.has(origin);
		},
	};
}
