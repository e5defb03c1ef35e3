// The access check for Next.js: `authorize` for route handlers, and `verifyRequest`, the same
// check reduced to the claims for Server Components, middleware and the Edge runtime.
import type { AccessClaims } from "../../core/access-token.js";
import { type AccessCheckRequest, accessCheckRequest, checkAccess, resolveAuthorizeOptions, toFetchAuthorizeResult } from "../fetch/access.js";
import type { AccessRequest, AccessVerifier, AuthorizeOptions, AuthorizeResult } from "../fetch/types.js";
import { publicOrigin } from "./url.js";

/**
 * Checks the access token of a request (`Authorization: Bearer`, else the access-token
 * cookie when `options.cookie.accessTokenName` is set): the claims, or the RFC 6750 refusal
 * as a `Response`. The same check, options and outcomes as `authorize` from
 * `refresh-kit/adapters/fetch`; the request's origin is the public one (`x-forwarded-host`),
 * as for the route handlers. Verification only: never the store.
 *
 * @example
 * ```ts
 * // app/api/me/route.ts
 * import { authorize } from "refresh-kit/adapters/next";
 *
 * export async function GET(request: Request): Promise<Response> {
 *   const { claims, response } = await authorize(service, request, authOptions);
 *   if (response) return response;
 *   return Response.json({ user: claims.sub });
 * }
 * ```
 */
export async function authorize(verifier: AccessVerifier, request: AccessRequest, options: AuthorizeOptions = {}): Promise<AuthorizeResult> {
	const resolved = resolveAuthorizeOptions(options);
	return toFetchAuthorizeResult(await checkAccess(verifier, toAccessCheckRequest(request), resolved));
}

/**
 * {@link authorize} reduced to the claims, or null, with the same options. It never rotates
 * and never touches the store, so it is safe where cookies cannot be written (a Server
 * Component) and where no database is reachable (middleware, the Edge runtime).
 *
 * In a route handler pass the `Request` itself: a `{ headers }` object without a method counts
 * as a GET, so a POST handler that passes only the headers skips the same-origin check.
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
export async function verifyRequest(verifier: AccessVerifier, request: AccessRequest, options: AuthorizeOptions = {}): Promise<AccessClaims | null> {
	const resolved = resolveAuthorizeOptions(options);
	return (await checkAccess(verifier, toAccessCheckRequest(request), resolved)).claims;
}

/**
 * The request as the check reads it; its origin is the public one, from Next's forwarded headers.
 * Without a method it is a Server Component render (a GET), unless Next marked it as a Server
 * Action (`Next-Action`), which is a POST: a cookie-authenticated action then gets the same
 * origin check as a route handler, on top of the one Next.js does itself.
 */
export function toAccessCheckRequest(request: AccessRequest): AccessCheckRequest {
	let url: URL | null = null;
	try {
		url = request.url === undefined ? null : new URL(request.url);
	} catch {
		url = null;
	}
	const checked = accessCheckRequest(request, publicOrigin(request.headers, url));
	if (checked.method === null && request.headers.get("next-action") !== null) checked.method = "POST";
	return checked;
}
