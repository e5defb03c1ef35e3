// The address the browser used, which Next.js does not put in `request.url`.
import type { HeadersLike } from "../fetch/types.js";

const HOST = /^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

/**
 * Next.js hands route handlers a `request.url` on the server's own address (`next start -H
 * 127.0.0.1` still gives `http://localhost:3000/…`), not the one the browser used, so the
 * cookie-mode default (Origin must equal the request's own origin) would refuse every browser.
 * Next sets `x-forwarded-host` and `x-forwarded-proto` on every request (from `Host` when no
 * proxy did) and checks Server Actions' Origin against them: take the origin from them the same
 * way. A cross-site page cannot set these headers on a browser request without a preflight.
 * Falls back to the origin of `url` (null without one) when they do not name a usable origin.
 */
export function publicOrigin(headers: HeadersLike, url: URL | null): string | null {
	const fallback = url === null ? null : url.origin;
	const host = firstValue(headers.get("x-forwarded-host")) ?? firstValue(headers.get("host"));
	if (host === null || !HOST.test(host)) return fallback;
	const proto = firstValue(headers.get("x-forwarded-proto"));
	const scheme = proto === "https" || proto === "http" ? proto : url === null ? null : url.protocol.slice(0, -1);
	if (scheme === null) return fallback;
	try {
		return new URL(`${scheme}://${host}`).origin;
	} catch {
		// The pattern still lets through what URL refuses (port 99999): that is no origin, not a 500.
		return fallback;
	}
}

/** `request.url` rebased on {@link publicOrigin}. */
export function publicURL(request: Request): URL {
	const url = new URL(request.url);
	const origin = publicOrigin(request.headers, url);
	// Concatenated, not resolved: as a relative URL a path starting with "//" would name a host.
	return origin === null || origin === url.origin ? url : new URL(`${origin}${url.pathname}${url.search}`);
}

function firstValue(header: string | null): string | null {
	const value = header?.split(",", 1)[0]?.trim();
	return value === undefined || value === "" ? null : value;
}
