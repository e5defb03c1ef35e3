/**
 * The fetch hub: every HTTP route of refresh-kit as one `(request: Request) => Promise<Response>`.
 * On Deno, Bun, Cloudflare Workers or any other fetch-style runtime it is used as is. The Node
 * and Next.js adapters share its logic (`hub.ts`) and only translate requests and responses.
 *
 * Routes under `basePath` (default `/auth`): `POST /login`, `POST /token` (RFC 6749 §6),
 * `POST /revoke` (RFC 7009), `POST /logout`, `GET /jwks`. Errors follow RFC 6749 §5.2:
 * JSON `{ error, error_description }`, with generic descriptions that never echo input.
 *
 * @module
 */
import type { TokenErrorCode, TokenService } from "../../core/index.js";
import type { Params } from "./body.js";
import { toFetchResponse } from "./http.js";
import { createHub, fromFetchRequest } from "./hub.js";

export { authorize, errorResponse } from "./http.js";
export type { AuthorizeOptions, AuthorizeResult, HeadersLike } from "./http.js";
export type { Params } from "./body.js";

/** What `authenticate` returns for an accepted login: the input of `service.issue`. */
export interface LoginResult {
	subject: string;
	claims?: Record<string, unknown>;
	device?: string;
}

/** Cookie mode: the refresh token travels only in an HttpOnly cookie, never in JSON. */
export interface CookieOptions {
	/** Name of the refresh-token cookie (`HttpOnly; Secure; SameSite=Strict; Path={basePath}`), e.g. `"__Secure-rk"`. */
	name: string;
	/**
	 * Also sets the access token in an HttpOnly cookie of this name (`Path=/`, lifetime
	 * `expires_in`), so that code which cannot rotate (a Next.js Server Component, middleware)
	 * can verify it with `verifyRequest`. Off unless set.
	 */
	accessTokenName?: string;
	/** The `Domain` attribute. Default: none, so the cookies are host-only (the safest choice). */
	domain?: string;
}

/** The hub's own reasons for an error response, next to the service's {@link TokenErrorCode}s. */
export type HttpErrorReason =
	| "ERR_NOT_FOUND"
	| "ERR_METHOD"
	| "ERR_ORIGIN"
	| "ERR_BODY_TOO_LARGE"
	| "ERR_CONTENT_TYPE"
	| "ERR_BODY_MALFORMED"
	| "ERR_PARAM_DUPLICATE"
	| "ERR_PARAM_MISSING"
	| "ERR_PARAM_UNEXPECTED"
	| "ERR_GRANT_TYPE"
	| "ERR_LOGIN_REJECTED"
	| "ERR_AUTHENTICATE_FAILED"
	| "ERR_INTERNAL";

/** Passed to `onError` for every error response. Never carries token material. */
export interface HttpErrorEvent {
	status: number;
	/** The RFC 6749 `error` sent to the client. */
	error: string;
	/** The precise reason: a {@link TokenErrorCode}, or one of the hub's {@link HttpErrorReason}s. */
	reason: TokenErrorCode | HttpErrorReason;
	/** `"login"`, `"token"`, `"revoke"`, `"logout"`, `"jwks"`, or null when no route matched. */
	route: string | null;
	/** The underlying exception, when there is one (a store error, an exception from `authenticate`). */
	cause?: unknown;
}

/** Options of {@link createFetchHandler}. */
export interface FetchHandlerOptions {
	/** Where the routes live. Default `"/auth"`. */
	basePath?: string;
	/**
	 * Checks a login. Gets the request (a plain `Request` whose body can be read again) and
	 * its parsed form or flat-JSON parameters; returns `{ subject, claims?, device? }`, or null
	 * for a 401. Without it `/login` is not served. An exception becomes a 500 `server_error`
	 * with a generic description (and the exception goes to `onError`).
	 */
	authenticate?: (request: Request, params: Params) => LoginResult | null | Promise<LoginResult | null>;
	/** Turns on cookie mode. */
	cookie?: CookieOptions;
	/**
	 * Origins (`https://app.example.com`) allowed to call the state-changing routes in cookie
	 * mode. Default: the origin of the request URL itself. Set it behind a proxy that
	 * terminates TLS or rewrites `Host`.
	 */
	allowedOrigins?: string[];
	/** Larger request bodies get 413. Default 16384. */
	maxBodyBytes?: number;
	/** Sees every error response with its precise reason (for logs and metrics). Exceptions it throws are ignored. */
	onError?: (event: HttpErrorEvent) => void;
}

/** A fetch-style handler. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** The service methods the hub uses; a `TokenService` has them all. */
export type HubService = Pick<TokenService, "issue" | "exchange" | "revoke" | "revokeSession" | "verify" | "jwks">;

/**
 * Creates the HTTP handler of refresh-kit. Throws `ERR_CONFIG_INVALID` on bad options.
 *
 * @example
 * ```ts
 * import { createFetchHandler } from "refresh-kit/adapters/fetch";
 *
 * const auth = createFetchHandler(service, {
 *   authenticate: async (request, { username, password }) =>
 *     (await checkPassword(username, password)) ? { subject: username } : null,
 * });
 * Deno.serve((request) => auth(request)); // or Bun.serve({ fetch: auth }), or export default { fetch: auth }
 * ```
 */
export function createFetchHandler(service: HubService, options: FetchHandlerOptions = {}): FetchHandler {
	const hub = createHub(service, options);
	return async function handleAuthRequest(request: Request): Promise<Response> {
		return toFetchResponse(await hub(fromFetchRequest(request)));
	};
}

