// The access check behind `authorize`, `requireAuth` and `verifyRequest`: find the access token
// of a request (RFC 6750 §2.1 header, else the access-token cookie), verify it, and say what to
// answer when that fails (RFC 6750 §3). Verification only: never the store. Web platform only.
import type { AccessClaims } from "../../core/access-token.js";
import { isTokenError, TokenError, type TokenErrorCode } from "../../core/errors.js";
import { COOKIE_NAME, scanCookie } from "./cookies.js";
import { isAllowedOrigin, isUnsafeMethod, originOf, resolveAllowedOrigins } from "./origin.js";
import { problem, standardProblem, toFetchResponse } from "./responses.js";
import type { AccessRequest, AccessVerifier, AuthorizeOptions, AuthorizeResult, HeadersLike, HubResponse } from "./types.js";

/** What the check reads from a request, whatever the runtime; each adapter builds one. */
export interface AccessCheckRequest {
	headers: HeadersLike;
	/**
	 * The method and the origin the request was sent to, null where the caller did not give them
	 * (a Server Component passes only headers; a null method counts as a GET, a render). A
	 * cookie-authenticated unsafe method must come from an allowed origin, the request's own
	 * origin by default (docs/adapters.md).
	 */
	method: string | null;
	origin: string | null;
}

/** {@link AuthorizeOptions} checked once. */
export interface ResolvedAuthorizeOptions {
	realm: string;
	accessTokenName: string | undefined;
	allowedOrigins: ReadonlySet<string> | null;
}

/** Where the access token of a request was found, or why none could be taken. */
export interface PresentedAccessToken {
	token: string | null;
	from: "header" | "cookie" | null;
	/** A broken `Authorization: Bearer` header, or the access-token cookie sent more than once. */
	problem: "malformed-header" | "duplicate-cookie" | null;
}

// RFC 7235 quoted-string content we accept verbatim: printable ASCII without '"' and '\'.
const REALM = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
// RFC 6750 §2.1: "Bearer" 1*SP b64token.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const INVALID_TOKEN = "the access token is invalid or expired";

/**
 * Checks the access token of a request (`Authorization: Bearer`, else the access-token
 * cookie when `options.cookie.accessTokenName` is set) and returns its claims, or the
 * response to send: 401 with a bare `Bearer realm=…` challenge when no token was sent
 * (RFC 6750 §3.1), 401 `invalid_token` for a bad or expired one, 400 `invalid_request` for a
 * malformed `Authorization` header or an access-token cookie sent twice, 403 `access_denied`
 * for a cookie-authenticated unsafe request (POST, PUT, PATCH, DELETE) that is not same-origin
 * (the rule of the auth routes, against `options.allowedOrigins`, default the request's own
 * origin). Verification only: it never rotates and never touches the
 * store. The same function, with the same options, is exported by `refresh-kit/adapters/node`
 * (for an `IncomingMessage`) and `refresh-kit/adapters/next`.
 *
 * @example
 * ```ts
 * import { authorize } from "refresh-kit/adapters/fetch";
 *
 * const { claims, response } = await authorize(service, request, authOptions);
 * if (response) return response;
 * return Response.json({ hello: claims.sub });
 * ```
 */
export async function authorize(verifier: AccessVerifier, request: AccessRequest, options: AuthorizeOptions = {}): Promise<AuthorizeResult> {
	const resolved = resolveAuthorizeOptions(options);
	return toFetchAuthorizeResult(await checkAccess(verifier, accessCheckRequest(request, originOf(request.url)), resolved));
}

/** An {@link AccessRequest} as the check reads it, with the origin the adapter determined. */
export function accessCheckRequest(request: AccessRequest, origin: string | null): AccessCheckRequest {
	return { headers: request.headers, method: typeof request.method === "string" ? request.method : null, origin };
}

/** The check's result with the refusal as a fetch `Response`. */
export function toFetchAuthorizeResult(result: AuthorizeResult<HubResponse>): AuthorizeResult {
	return result.claims !== null ? result : { claims: null, response: toFetchResponse(result.response) };
}

/** The access check of every adapter, with the refusal as a {@link HubResponse}. */
export async function checkAccess(verifier: AccessVerifier, request: AccessCheckRequest, options: ResolvedAuthorizeOptions): Promise<AuthorizeResult<HubResponse>> {
	const checked = await inspectAccess(verifier, request, options);
	// The refusal without its reason: what authorize returns is exactly its public type.
	return checked.claims === null ? { claims: null, response: checked.response } : checked;
}

/** Why the access check refused a request, as the hub reports it to `onError`. */
export type AccessRefusalReason = "ERR_ACCESS_REFUSED" | "ERR_AUTHORIZATION_MALFORMED" | "ERR_COOKIE_DUPLICATE" | "ERR_ORIGIN" | TokenErrorCode;

/** {@link checkAccess} with the precise reason of a refusal, for routes that report to `onError` (the sessions routes). */
export type AccessCheckResult = { claims: AccessClaims; response: null } | { claims: null; response: HubResponse; reason: AccessRefusalReason };

/** {@link checkAccess}, saying why it refused. */
export async function inspectAccess(verifier: AccessVerifier, request: AccessCheckRequest, options: ResolvedAuthorizeOptions): Promise<AccessCheckResult> {
	const { token, from, problem: broken } = extractAccessToken(request.headers, options.accessTokenName);
	if (broken !== null) {
		const challenge = { "WWW-Authenticate": `Bearer realm="${options.realm}", error="invalid_request"` };
		const reason = broken === "duplicate-cookie" ? "ERR_COOKIE_DUPLICATE" : "ERR_AUTHORIZATION_MALFORMED";
		return refuse(standardProblem(reason, challenge), reason);
	}
	if (token === null) {
		// RFC 6750 §3.1: no error code in the challenge when the request carried no credentials.
		return refuse(standardProblem("ERR_ACCESS_REFUSED", { "WWW-Authenticate": `Bearer realm="${options.realm}"` }), "ERR_ACCESS_REFUSED");
	}
	// A browser attaches the cookie to requests any page starts, SameSite=Strict or not for a
	// sibling subdomain (same site, other origin): a state-changing request authenticated by it
	// must prove it comes from an allowed origin. A Bearer header cannot be forged cross-origin.
	if (from === "cookie" && request.method !== null && isUnsafeMethod(request.method) && !isAllowedOrigin(request.headers, request.origin, options.allowedOrigins)) {
		return refuse(standardProblem("ERR_ORIGIN"), "ERR_ORIGIN");
	}
	let claims: AccessClaims;
	try {
		claims = await verifier.verify(token);
	} catch (cause) {
		if (!isTokenError(cause)) throw cause;
		const challenge = `Bearer realm="${options.realm}", error="invalid_token", error_description="${INVALID_TOKEN}"`;
		return refuse(problem(401, "invalid_token", INVALID_TOKEN, { "WWW-Authenticate": challenge }), cause.code);
	}
	return { claims, response: null };
}

function refuse(response: HubResponse, reason: AccessRefusalReason): AccessCheckResult {
	return { claims: null, response, reason };
}

/** Checks the options once (throws `ERR_CONFIG_INVALID`); keys it does not know are ignored, so the handler's options fit. */
export function resolveAuthorizeOptions(options: AuthorizeOptions): ResolvedAuthorizeOptions {
	if (typeof options !== "object" || options === null) invalid("options must be an object");
	// The realm is quoted verbatim in the challenge header.
	const realm = options.realm ?? "api";
	if (typeof realm !== "string" || !REALM.test(realm)) invalid("realm must be printable ASCII without quotes or backslashes");
	const accessTokenName = options.cookie?.accessTokenName;
	if (accessTokenName !== undefined && (typeof accessTokenName !== "string" || !COOKIE_NAME.test(accessTokenName))) invalid("cookie.accessTokenName must be a valid cookie name");
	return { realm, accessTokenName, allowedOrigins: resolveAllowedOrigins(options.allowedOrigins, invalid) };
}

const NO_TOKEN: PresentedAccessToken = { token: null, from: null, problem: null };

/** The bearer token of `Authorization`, else the access-token cookie (refused when sent twice). */
export function extractAccessToken(headers: HeadersLike, cookieName: string | undefined): PresentedAccessToken {
	const authorization = headers.get("authorization");
	if (authorization !== null && /^bearer(?:\s|$)/i.test(authorization)) {
		const match = BEARER.exec(authorization);
		return match === null ? { token: null, from: null, problem: "malformed-header" } : { token: match[1] as string, from: "header", problem: null };
	}
	// Another scheme (Basic, …) carries no bearer token: the same as none.
	if (cookieName === undefined) return NO_TOKEN;
	const { value: token, count } = scanCookie(headers.get("cookie"), cookieName);
	if (count > 1) return { token: null, from: null, problem: "duplicate-cookie" };
	return token === null ? NO_TOKEN : { token, from: "cookie", problem: null };
}

function invalid(message: string): never {
	throw new TokenError("ERR_CONFIG_INVALID", `authorize: ${message}`);
}
