// HTTP pieces shared by the hub and the adapters: error responses, bearer-token checks
// (RFC 6750), base paths and the cookie-mode origin check. Web platform only.
import { isTokenError, TokenError, type AccessClaims, type TokenService } from "../../core/index.js";
import { readCookie } from "./cookies.js";

export const JSON_TYPE = "application/json; charset=utf-8";

/** Request headers: a `Headers`, or anything with a compatible `get` (Next.js `headers()`). */
export interface HeadersLike {
	get(name: string): string | null;
}

/** Options of {@link authorize}. */
export interface AuthorizeOptions {
	/** The `realm` of the `WWW-Authenticate` challenge. Default `"api"`. */
	realm?: string;
	/** In cookie mode, pass the handler's `cookie` options to also accept the access-token cookie. */
	cookie?: { accessTokenName?: string };
}

/** The outcome of {@link authorize}: the claims, or the 400/401 response to send. */
export type AuthorizeResult = { claims: AccessClaims; response: null } | { claims: null; response: Response };

const REALM = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
// RFC 6750 §2.1: "Bearer" 1*SP b64token.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * A response as the hub produces it, before any adapter turns it into a fetch `Response` or
 * writes it to a socket. Header names are lower case, in the order `Headers` iterates them
 * (sorted), with `set-cookie` as a list.
 */
export interface HubResponse {
	status: number;
	headers: Record<string, string | string[]>;
	body: string | null;
}

/** An RFC 6749 §5.2 error response: JSON `{ error, error_description }`, never cached. */
export function errorResponse(status: number, error: string, description: string, headers?: Record<string, string>): Response {
	return toFetchResponse(problem(status, error, description, headers));
}

/** {@link errorResponse} as a {@link HubResponse}. */
export function problem(status: number, error: string, description: string, extra?: Record<string, string>): HubResponse {
	let headers: Record<string, string> = { "cache-control": "no-store", "content-type": JSON_TYPE, pragma: "no-cache" };
	if (extra !== undefined) {
		const merged: Record<string, string> = {};
		for (const name in extra) merged[name.toLowerCase()] = extra[name] as string;
		headers = Object.fromEntries(Object.entries({ ...merged, ...headers }).sort(([a], [b]) => (a < b ? -1 : 1)));
	}
	return { status, headers, body: JSON.stringify({ error, error_description: description }) };
}

export function toFetchResponse(response: HubResponse): Response {
	const headers = new Headers();
	for (const name in response.headers) {
		const value = response.headers[name] as string | string[];
		if (typeof value === "string") headers.set(name, value);
		else for (const line of value) headers.append(name, line);
	}
	return new Response(response.body, { status: response.status, headers });
}

/**
 * Checks the access token of a request (`Authorization: Bearer`, else the access-token
 * cookie when configured). Verification only: it never rotates and never touches the store.
 * On failure it returns the RFC 6750 §3 response: 401 with a bare `Bearer realm=…`
 * challenge when no token was sent, 401 `invalid_token` for a bad or expired one, 400
 * `invalid_request` for a malformed `Authorization` header.
 *
 * @example
 * ```ts
 * import { authorize } from "refresh-kit/adapters/fetch";
 *
 * const { claims, response } = await authorize(service, request);
 * if (response) return response;
 * return Response.json({ hello: claims.sub });
 * ```
 */
export async function authorize(service: Pick<TokenService, "verify">, request: { headers: HeadersLike }, options: AuthorizeOptions = {}): Promise<AuthorizeResult> {
	const result = await checkAccess(service, request.headers, options);
	return result.claims !== null ? { claims: result.claims, response: null } : { claims: null, response: toFetchResponse(result.problem) };
}

/** {@link authorize} with the refusal as a {@link HubResponse}. */
export async function checkAccess(service: Pick<TokenService, "verify">, headers: HeadersLike, options: AuthorizeOptions): Promise<{ claims: AccessClaims; problem: null } | { claims: null; problem: HubResponse }> {
	const realm = resolveRealm(options);
	const { token, malformed } = extractAccessToken(headers, options.cookie?.accessTokenName);
	if (malformed) {
		const challenge = `Bearer realm="${realm}", error="invalid_request"`;
		return { claims: null, problem: problem(400, "invalid_request", "the Authorization header is malformed", { "WWW-Authenticate": challenge }) };
	}
	if (token === null) {
		// RFC 6750 §3.1: no error code in the challenge when the request carried no credentials.
		return { claims: null, problem: problem(401, "unauthorized", "an access token is required", { "WWW-Authenticate": `Bearer realm="${realm}"` }) };
	}
	try {
		return { claims: await service.verify(token), problem: null };
	} catch (cause) {
		if (!isTokenError(cause)) throw cause;
		const description = "the access token is invalid or expired";
		const challenge = `Bearer realm="${realm}", error="invalid_token", error_description="${description}"`;
		return { claims: null, problem: problem(401, "invalid_token", description, { "WWW-Authenticate": challenge }) };
	}
}

/** The challenge realm, checked so it can be quoted verbatim (throws `ERR_CONFIG_INVALID`). */
export function resolveRealm(options: AuthorizeOptions): string {
	const realm = options.realm ?? "api";
	if (typeof realm !== "string" || !REALM.test(realm)) throw new TokenError("ERR_CONFIG_INVALID", "realm must be printable ASCII without quotes or backslashes");
	return realm;
}

export function extractAccessToken(headers: HeadersLike, cookieName: string | undefined): { token: string | null; malformed: boolean } {
	const authorization = headers.get("authorization");
	if (authorization !== null && /^bearer(?:\s|$)/i.test(authorization)) {
		const match = BEARER.exec(authorization);
		return match === null ? { token: null, malformed: true } : { token: match[1] as string, malformed: false };
	}
	// Another scheme (Basic, …) carries no bearer token: the same as none.
	if (cookieName === undefined) return { token: null, malformed: false };
	return { token: readCookie(headers.get("cookie"), cookieName), malformed: false };
}

/** `basePath` without trailing slashes ("" for the root). */
export function normalizeBasePath(basePath: string): string {
	return basePath.replace(/\/+$/, "");
}

/** True when `pathname` is `basePath` itself or below it: the paths the hub answers. */
export function isUnderBasePath(pathname: string, basePath: string): boolean {
	const base = normalizeBasePath(basePath);
	return base === "" || pathname === base || pathname.startsWith(base + "/");
}

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
