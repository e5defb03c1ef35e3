// The public option and result types of the HTTP adapters, and the hub's minimal request and
// response. Types only: every module of adapters/ may import this one, and it imports no
// module of adapters/, so it can never close an import cycle.
import type { AccessClaims } from "../../core/access-token.js";
import type { TokenErrorCode } from "../../core/errors.js";
import type { TokenService } from "../../core/types.js";
import type { Verifier } from "../../core/verifier.js";

/** Request headers: a `Headers`, or anything with a compatible `get` (Next.js `headers()`). */
export interface HeadersLike {
	get(name: string): string | null;
}

/** Parameters of a request body. A null-prototype record: keys like `__proto__` are plain data. */
export type Params = Readonly<Record<string, string>>;

/** What `authenticate` returns for an accepted login: the input of `service.issue`. */
export interface LoginResult {
	subject: string;
	claims?: Record<string, unknown>;
	/** A label for the device, e.g. `deviceLabel(request)`; undefined stores none. */
	device?: string | undefined;
}

/** Cookie mode: the refresh token travels only in an HttpOnly cookie, never in JSON. */
export interface CookieOptions {
	/**
	 * Name of the refresh-token cookie (`HttpOnly; Secure; SameSite=Strict; Path={basePath}` unless `path` says otherwise), e.g.
	 * `"__Secure-rk"`. A request carrying two cookies of this name (a sibling subdomain can plant
	 * one for the parent domain) is refused with 400 `invalid_request` on `/login`, `/token` and
	 * `/logout`, before anything is rotated, revoked or set (docs/adapters.md, "Cookie shadowing and the `__Host-` prefix").
	 */
	name: string;
	/**
	 * Also sets the access token in an HttpOnly cookie of this name (`Path=/`, lifetime
	 * `expires_in`), so that code which cannot rotate (a Next.js Server Component, middleware)
	 * can verify it with `authorize` / `verifyRequest`. Off unless set. Use a `__Host-` name.
	 * Any route that accepts this cookie is open to cross-site request forgery, so `authorize`,
	 * `requireAuth` and `verifyRequest` refuse (403 `access_denied`) an unsafe request (POST, PUT,
	 * PATCH, DELETE) authenticated by it unless it comes from `allowedOrigins` (default: the
	 * request's own origin), and refuse two cookies of this name (400 `invalid_request`).
	 */
	accessTokenName?: string;
	/** The `Domain` attribute. Default: none, so the cookies are host-only (the safest choice). */
	domain?: string;
	/**
	 * The `Domain` the cookies had before `domain` was removed or changed. Browsers hold a cookie
	 * per name, domain and path, so the old ones would stay next to the new ones, and a request
	 * carrying two is refused. Every response that sets or clears the cookies deletes them
	 * host-only, on `domain`, on this domain, on `basePath` and on `/` (no option needed for a
	 * changed `path`, or for a `domain` added). Keep it until the sessions of that time have
	 * expired (`refresh.absoluteTtl`).
	 */
	previousDomain?: string;
	/**
	 * The `Path` of the refresh-token cookie; it must contain `basePath`. Default `basePath`, so
	 * only the auth routes ever receive the refresh token. `createNextProxy` needs it on the pages
	 * it guards (usually `"/"`); docs/nextjs.md says what widening it costs. The handlers and the
	 * proxy must be given the same value.
	 */
	path?: string;
}

/** The hub's own reasons for an error response, next to the service's {@link TokenErrorCode}s. */
export type HttpErrorReason =
	| "ERR_NOT_FOUND"
	| "ERR_SESSION_NOT_FOUND"
	| "ERR_SESSION_ENDED"
	| "ERR_ACCESS_REFUSED"
	| "ERR_AUTHORIZATION_MALFORMED"
	| "ERR_METHOD"
	| "ERR_ORIGIN"
	| "ERR_REQUEST_UNREADABLE"
	| "ERR_BODY_TOO_LARGE"
	| "ERR_CONTENT_TYPE"
	| "ERR_BODY_MALFORMED"
	| "ERR_PARAM_DUPLICATE"
	| "ERR_PARAM_MISSING"
	| "ERR_PARAM_UNEXPECTED"
	| "ERR_COOKIE_DUPLICATE"
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
	/**
	 * `"login"`, `"token"`, `"revoke"`, `"logout"`, `"jwks"`, `"sessions"`, `"proxy"` (a refresh by
	 * `createNextProxy`, reported with the status the token route would have answered), or null
	 * when no route matched (or the request could not be read).
	 */
	route: string | null;
	/** The underlying exception, when there is one (a store error, an exception from `authenticate`). */
	cause?: unknown;
}

/** Options of `createFetchHandler`, `createNodeHandler` and `createNextHandlers`. */
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
	 * mode, and to send cookie-authenticated unsafe requests to the routes `authorize` guards.
	 * Default: the origin of the request URL itself. Set it behind a proxy that terminates TLS or
	 * rewrites `Host`.
	 */
	allowedOrigins?: string[];
	/** Larger request bodies get 413. Default 16384. */
	maxBodyBytes?: number;
	/** Sees every error response with its precise reason (for logs and metrics). Exceptions it throws are ignored. */
	onError?: (event: HttpErrorEvent) => void;
	/**
	 * Serves the caller's own sessions (a "your devices" page): `GET {basePath}/sessions`,
	 * `DELETE {basePath}/sessions/{id}` and `DELETE {basePath}/sessions` (all but the current
	 * one), authenticated by the access token (`Authorization: Bearer`, else the
	 * `cookie.accessTokenName` cookie). Default false: the routes answer 404.
	 */
	sessions?: boolean;
}

/** A fetch-style handler. */
export type FetchHandler = (request: Request) => Promise<Response>;

/**
 * The service methods the hub uses; a `TokenService` has them all. `listSessions`,
 * `getSession` and `revokeSubject` are needed only with `sessions: true` (checked when the
 * handler is created).
 */
export type HubService = Pick<TokenService, "issue" | "exchange" | "revoke" | "revokeSession" | "verify" | "jwks"> & Partial<Pick<TokenService, "listSessions" | "getSession" | "revokeSubject">>;

/** What `authorize` verifies with: a `TokenService`, or a `createVerifier(...)` that holds only public keys. */
export type AccessVerifier = Pick<Verifier, "verify">;

/**
 * What `authorize` reads from a request in the fetch and Next.js adapters: a fetch `Request`,
 * or anything with its `headers` (Next.js `headers()` in a Server Component). Pass the whole
 * request where you have it: `method` and `url` tell a cookie-authenticated unsafe request
 * (POST, PUT, PATCH, DELETE) and where it came from.
 */
export interface AccessRequest {
	headers: HeadersLike;
	method?: string;
	/** The absolute request URL. */
	url?: string;
}

/**
 * Options of `authorize` (and of `requireAuth` and `verifyRequest`, which wrap it). A subset
 * of the handler options: the options object given to the handler can be passed as is, and
 * what is not listed here is ignored.
 */
export interface AuthorizeOptions {
	/** The `realm` of the `WWW-Authenticate` challenge. Default `"api"`. */
	realm?: string;
	/** In cookie mode, pass the handler's `cookie` options to also accept the access-token cookie. */
	cookie?: Pick<CookieOptions, "accessTokenName">;
	/**
	 * Origins allowed to send an unsafe request (POST, PUT, PATCH, DELETE) authenticated by the
	 * access-token cookie; the handler's option of the same name. Default: the request's own
	 * origin. Requests authenticated by `Authorization: Bearer` are not checked.
	 */
	allowedOrigins?: string[];
}

/**
 * The outcome of `authorize`: the claims of the access token, or the refusal to send (RFC 6750
 * §3). The refusal is a fetch `Response` in the fetch and Next.js adapters and a
 * {@link HubResponse} (written with `writeResponse`) in the Node adapter.
 */
export type AuthorizeResult<Refusal = Response> = { claims: AccessClaims; response: null } | { claims: null; response: Refusal };

/** A request as the hub needs it; each adapter builds one from what its runtime hands it. */
export interface HubRequest {
	method: string;
	/** The path of the request URL, as `new URL()` normalizes it. */
	pathname: string;
	/** The origin of the request URL: what the cookie-mode check compares `Origin` with by default. */
	origin: string;
	/** Header names are asked for in lower case. */
	headers: HeadersLike;
	/** At most `limit` bytes of the body, read as they arrive; null when there are more. Rejects when the body cannot be read. */
	body(limit: number): Promise<Uint8Array | null>;
	/** The request as a fetch `Request` carrying the body already read, for `authenticate` (only built on /login). */
	toRequest(body: Uint8Array): Request;
}

/**
 * A response as the hub produces it, before an adapter turns it into a fetch `Response` or
 * writes it to a socket. Header names are lower case, in the order `Headers` iterates them
 * (sorted), with `set-cookie` as a list.
 */
export interface HubResponse {
	status: number;
	headers: Record<string, string | string[]>;
	body: string | null;
}

/** The hub behind every adapter: the routes, and the answer to a request an adapter could not read. */
export interface Hub {
	handle(request: HubRequest): Promise<HubResponse>;
	/** A 400 `invalid_request` for a request the adapter could not turn into a {@link HubRequest}, reported to `onError`. */
	unreadable(): HubResponse;
}
