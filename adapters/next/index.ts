/**
 * Next.js App Router adapter: route handlers for a catch-all auth route, and a read-only
 * verifier for Server Components, middleware and the Edge runtime. Imports nothing from
 * `next`: route handlers are fetch handlers.
 *
 * @module
 */
import type { AccessClaims, TokenService } from "../../core/index.js";
import type { CookieOptions, FetchHandlerOptions, HubService } from "../fetch/index.js";
import { authorize, toFetchResponse, type HeadersLike } from "../fetch/http.js";
import { createHub, fromFetchRequest } from "../fetch/hub.js";

export type { FetchHandlerOptions as NextHandlerOptions, HeadersLike } from "../fetch/index.js";

/** The route handlers to export from `app/auth/[...path]/route.ts`. */
export interface NextHandlers {
	GET(request: Request): Promise<Response>;
	POST(request: Request): Promise<Response>;
}

/**
 * Route handlers for every auth route. Put them in a catch-all route whose location matches
 * `basePath` (default `/auth` → `app/auth/[...path]/route.ts`).
 *
 * @example
 * ```ts
 * // app/auth/[...path]/route.ts
 * import { createNextHandlers } from "refresh-kit/adapters/next";
 * import { service, authOptions } from "@/lib/auth";
 *
 * export const { GET, POST } = createNextHandlers(service, authOptions);
 * ```
 */
export function createNextHandlers(service: HubService, options: FetchHandlerOptions = {}): NextHandlers {
	const hub = createHub(service, options);
	async function handle(request: Request): Promise<Response> {
		return toFetchResponse(await hub(fromFetchRequest(request, publicURL(request))));
	}
	return {
		GET: function GET(request: Request): Promise<Response> {
			return handle(request);
		},
		POST: function POST(request: Request): Promise<Response> {
			return handle(request);
		},
	};
}

const HOST = /^[A-Za-z0-9.\-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

function firstValue(header: string | null): string | null {
	const value = header?.split(",", 1)[0]?.trim();
	return value === undefined || value === "" ? null : value;
}

/**
 * Next.js hands route handlers a `request.url` on the server's own address (`next start -H
 * 127.0.0.1` still gives `http://localhost:3000/…`), not the one the browser used, so the
 * cookie-mode default (Origin must equal the request URL's origin) would refuse every browser.
 * Next sets `x-forwarded-host` and `x-forwarded-proto` on every request (from `Host` when no
 * proxy did) and checks Server Actions' Origin against them: rebase the URL on them the same
 * way. A cross-site page cannot set these headers on a browser request without a preflight.
 */
function publicURL(request: Request): URL {
	const url = new URL(request.url);
	const host = firstValue(request.headers.get("x-forwarded-host")) ?? firstValue(request.headers.get("host"));
	if (host === null || !HOST.test(host)) return url;
	const proto = firstValue(request.headers.get("x-forwarded-proto"));
	const scheme = proto === "https" || proto === "http" ? proto : url.protocol.slice(0, -1);
	// Concatenated, not resolved: as a relative URL a path starting with "//" would name a host.
	return new URL(`${scheme}://${host}${url.pathname}${url.search}`);
}

/**
 * The claims of the request's access token, or null. Reads `Authorization: Bearer`, else
 * the access-token cookie (`options.cookie.accessTokenName`). Verification only: it never
 * rotates and never touches the store, so it is safe where cookies cannot be written (a
 * Server Component) and where no database is reachable (middleware, the Edge runtime).
 *
 * @example
 * ```ts
 * // app/dashboard/page.tsx (a Server Component)
 * import { headers } from "next/headers";
 * import { redirect } from "next/navigation";
 * import { verifyRequest } from "refresh-kit/adapters/next";
 *
 * const claims = await verifyRequest(service, { headers: await headers() }, authOptions);
 * if (claims === null) redirect("/login"); // a client component refreshes, then reloads
 * ```
 */
export async function verifyRequest(
	service: Pick<TokenService, "verify">,
	request: { headers: HeadersLike },
	options: { cookie?: Pick<CookieOptions, "accessTokenName"> } = {},
): Promise<AccessClaims | null> {
	const cookie = options.cookie?.accessTokenName === undefined ? {} : { cookie: { accessTokenName: options.cookie.accessTokenName } };
	return (await authorize(service, request, cookie)).claims;
}
