/**
 * The fetch hub: every HTTP route of refresh-kit as one `(request: Request) => Promise<Response>`.
 * The Node and Next.js adapters only translate to and from it; on Deno, Bun, Cloudflare
 * Workers or any other fetch-style runtime it is used as is.
 *
 * Routes under `basePath` (default `/auth`): `POST /login`, `POST /token` (RFC 6749 §6),
 * `POST /revoke` (RFC 7009), `POST /logout`, `GET /jwks`. Errors follow RFC 6749 §5.2:
 * JSON `{ error, error_description }`, with generic descriptions that never echo input.
 *
 * @module
 */
import { isTokenError, TokenError, type TokenErrorCode, type TokenService, type TokenSet } from "../../core/index.js";
import { parseParams, readBody, type BodyProblem, type Params } from "./body.js";
import { clearCookie, COOKIE_NAME, readCookie, setCookie, type CookieAttributes } from "./cookies.js";
import { errorResponse, extractAccessToken, isAllowedOrigin, JSON_TYPE, normalizeBasePath } from "./http.js";

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

type RouteName = "login" | "token" | "revoke" | "logout" | "jwks";

const ROUTES: Readonly<Record<string, { name: RouteName; methods: readonly string[] }>> = {
	"/login": { name: "login", methods: ["POST"] },
	"/token": { name: "token", methods: ["POST"] },
	"/revoke": { name: "revoke", methods: ["POST"] },
	"/logout": { name: "logout", methods: ["POST"] },
	"/jwks": { name: "jwks", methods: ["GET", "HEAD"] },
};

// Every error the hub sends: status, RFC 6749 §5.2 code, and a fixed text that never echoes input.
const PROBLEMS: Record<HttpErrorReason | "invalid_grant" | "invalid_input" | "invalid_token" | "unavailable", [number, string, string]> = {
	ERR_NOT_FOUND: [404, "not_found", "no such endpoint"],
	ERR_METHOD: [405, "invalid_request", "method not allowed"],
	ERR_ORIGIN: [403, "access_denied", "cross-origin request refused"],
	ERR_BODY_TOO_LARGE: [413, "invalid_request", "request body is too large"],
	ERR_CONTENT_TYPE: [415, "invalid_request", "send application/x-www-form-urlencoded or application/json"],
	ERR_BODY_MALFORMED: [400, "invalid_request", "request body is malformed"],
	ERR_PARAM_DUPLICATE: [400, "invalid_request", "a parameter was sent more than once"],
	ERR_PARAM_MISSING: [400, "invalid_request", "a required parameter is missing"],
	ERR_PARAM_UNEXPECTED: [400, "invalid_request", "in cookie mode the refresh token is read from the cookie only"],
	ERR_GRANT_TYPE: [400, "unsupported_grant_type", "only grant_type=refresh_token is supported"],
	ERR_LOGIN_REJECTED: [401, "invalid_grant", "the credentials were not accepted"],
	ERR_AUTHENTICATE_FAILED: [500, "server_error", "the server could not complete the request"],
	ERR_INTERNAL: [500, "server_error", "the server could not complete the request"],
	invalid_grant: [400, "invalid_grant", "the refresh token is invalid, expired or revoked"],
	invalid_input: [400, "invalid_request", "the login could not be completed with this input"],
	invalid_token: [401, "invalid_token", "the access token is invalid or expired"],
	unavailable: [503, "temporarily_unavailable", "the service is temporarily unavailable, retry shortly"],
};
const BODY_PROBLEMS: Record<BodyProblem, HttpErrorReason> = {
	"too-large": "ERR_BODY_TOO_LARGE",
	"unsupported-type": "ERR_CONTENT_TYPE",
	malformed: "ERR_BODY_MALFORMED",
	duplicate: "ERR_PARAM_DUPLICATE",
};
const OPTION_NAMES = new Set(["basePath", "authenticate", "cookie", "allowedOrigins", "maxBodyBytes", "onError"]);
const COOKIE_OPTION_NAMES = new Set(["name", "accessTokenName", "domain"]);
const BASE_PATH = /^(\/[A-Za-z0-9._~!$&'()*+,;=:@-]+)*$/;
const RETRY_AFTER_SECONDS = "2";

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
	const config = resolveHttpOptions(options);
	const cookie = config.cookie;
	const refreshCookie: CookieAttributes = { path: config.basePath === "" ? "/" : config.basePath, domain: cookie?.domain };
	const accessCookie: CookieAttributes = { path: "/", domain: cookie?.domain };

	function fail(route: RouteName | null, reason: keyof typeof PROBLEMS, code: HttpErrorEvent["reason"] = reason as HttpErrorReason, extra: { cause?: unknown; headers?: Record<string, string> } = {}): Response {
		const [status, error, description] = PROBLEMS[reason];
		if (config.onError !== undefined) {
			try {
				config.onError({ status, error, reason: code, route, ...(extra.cause === undefined ? {} : { cause: extra.cause }) });
			} catch {
				// A broken log hook must not change what the client gets.
			}
		}
		return errorResponse(status, error, description, extra.headers);
	}

	function failFromException(route: RouteName | null, cause: unknown): Response {
		if (!isTokenError(cause)) return fail(route, "ERR_INTERNAL", "ERR_INTERNAL", { cause });
		const code = (cause as TokenError).code;
		switch (code) {
			case "ERR_TOKEN_MALFORMED":
			case "ERR_TOKEN_UNKNOWN":
			case "ERR_TOKEN_EXPIRED":
			case "ERR_TOKEN_REVOKED":
			case "ERR_TOKEN_REUSED":
				return fail(route, "invalid_grant", code);
			case "ERR_ACCESS_TOKEN_INVALID":
			case "ERR_ACCESS_TOKEN_EXPIRED":
				return fail(route, "invalid_token", code, { headers: { "WWW-Authenticate": 'Bearer error="invalid_token"' } });
			case "ERR_INPUT_INVALID":
				// issue() refused what authenticate returned (a subject, device or claim too long or
				// reserved). Often that came from the client, so it must not be a 500; onError tells
				// the developer.
				return fail(route, "invalid_input", code, { cause });
			case "ERR_STORE_UNAVAILABLE":
				return fail(route, "unavailable", code, { cause, headers: { "Retry-After": RETRY_AFTER_SECONDS } });
			default:
				return fail(route, "ERR_INTERNAL", code, { cause });
		}
	}

	function tokenResponse(tokens: TokenSet): Response {
		const body: Record<string, unknown> = { access_token: tokens.accessToken, token_type: "Bearer", expires_in: tokens.expiresIn };
		const headers = new Headers({ "Content-Type": JSON_TYPE, "Cache-Control": "no-store", Pragma: "no-cache" });
		if (cookie === undefined) {
			body.refresh_token = tokens.refreshToken;
		} else {
			headers.append("Set-Cookie", setCookie(cookie.name, tokens.refreshToken, refreshCookie, { expires: tokens.refreshTokenExpiresAt }));
			if (cookie.accessTokenName !== undefined) {
				headers.append("Set-Cookie", setCookie(cookie.accessTokenName, tokens.accessToken, accessCookie, { maxAge: tokens.expiresIn }));
			}
		}
		return new Response(JSON.stringify(body), { status: 200, headers });
	}

	/** Cookie mode reads the refresh token from the cookie only; otherwise from `refresh_token`. */
	function presentedRefreshToken(request: Request, params: Params): string | null | "conflict" {
		if (cookie === undefined) return params.refresh_token || null;
		if ("refresh_token" in params) return "conflict";
		return readCookie(request.headers.get("cookie"), cookie.name);
	}

	async function login(request: Request, bytes: Uint8Array<ArrayBuffer>, params: Params): Promise<Response> {
		const authenticate = config.authenticate as NonNullable<FetchHandlerOptions["authenticate"]>;
		const replay = new Request(request.url, { method: "POST", headers: request.headers, body: bytes.byteLength > 0 ? bytes : null });
		let result: LoginResult | null;
		try {
			result = await authenticate(replay, params);
		} catch (cause) {
			if (isTokenError(cause, "ERR_STORE_UNAVAILABLE")) return failFromException("login", cause);
			return fail("login", "ERR_AUTHENTICATE_FAILED", "ERR_AUTHENTICATE_FAILED", { cause });
		}
		if (result === null || result === undefined) return fail("login", "ERR_LOGIN_REJECTED");
		if (typeof result !== "object" || typeof result.subject !== "string") {
			return fail("login", "ERR_AUTHENTICATE_FAILED", "ERR_AUTHENTICATE_FAILED", { cause: new TypeError("authenticate must return { subject, claims?, device? } or null") });
		}
		const input: LoginResult = { subject: result.subject };
		if (result.claims !== undefined) input.claims = result.claims;
		if (result.device !== undefined) input.device = result.device;
		const tokens = await service.issue(input);
		const previous = cookie === undefined ? null : readCookie(request.headers.get("cookie"), cookie.name);
		if (previous !== null && previous !== tokens.refreshToken) {
			// The browser's old session is about to lose its cookie: end it instead of leaving it to idle out.
			await service.revoke(previous).catch(() => undefined);
		}
		return tokenResponse(tokens);
	}

	async function token(request: Request, params: Params): Promise<Response> {
		if (params.grant_type === undefined) return fail("token", "ERR_PARAM_MISSING");
		if (params.grant_type !== "refresh_token") return fail("token", "ERR_GRANT_TYPE");
		const refreshToken = presentedRefreshToken(request, params);
		if (refreshToken === "conflict") return fail("token", "ERR_PARAM_UNEXPECTED");
		if (refreshToken === null) return fail("token", "ERR_PARAM_MISSING");
		return tokenResponse(await service.exchange(refreshToken));
	}

	async function revoke(params: Params): Promise<Response> {
		if (!params.token) return fail("revoke", "ERR_PARAM_MISSING");
		// RFC 7009 §2.2: 200 whether or not the token was known; token_type_hint may be ignored.
		await service.revoke(params.token);
		return new Response(null, { status: 200, headers: { "Cache-Control": "no-store", Pragma: "no-cache" } });
	}

	async function logout(request: Request, params: Params): Promise<Response> {
		const refreshToken = presentedRefreshToken(request, params);
		if (refreshToken === "conflict") return fail("logout", "ERR_PARAM_UNEXPECTED");
		if (refreshToken !== null) {
			await service.revoke(refreshToken);
		} else {
			const { token: accessToken } = extractAccessToken(request.headers, cookie?.accessTokenName);
			const claims = accessToken === null ? null : await service.verify(accessToken).catch(() => null);
			if (claims !== null) await service.revokeSession(claims.sid);
		}
		const headers = new Headers({ "Cache-Control": "no-store" });
		if (cookie !== undefined) {
			headers.append("Set-Cookie", clearCookie(cookie.name, refreshCookie));
			if (cookie.accessTokenName !== undefined) headers.append("Set-Cookie", clearCookie(cookie.accessTokenName, accessCookie));
		}
		return new Response(null, { status: 204, headers });
	}

	async function dispatch(request: Request): Promise<Response> {
		const pathname = new URL(request.url).pathname;
		const route = config.basePath === "" ? ROUTES[pathname] : pathname.startsWith(config.basePath + "/") ? ROUTES[pathname.slice(config.basePath.length)] : undefined;
		if (route === undefined || (route.name === "login" && config.authenticate === undefined)) return fail(null, "ERR_NOT_FOUND");
		if (!route.methods.includes(request.method)) return fail(route.name, "ERR_METHOD", "ERR_METHOD", { headers: { Allow: route.methods.join(", ") } });
		if (route.name === "jwks") {
			return new Response(JSON.stringify(await service.jwks()), { headers: { "Content-Type": JSON_TYPE, "Cache-Control": "public, max-age=300" } });
		}
		if (cookie !== undefined && !isAllowedOrigin(request, config.allowedOrigins)) return fail(route.name, "ERR_ORIGIN");
		// A failing body stream means the client went away or sent broken chunking.
		const body = await readBody(request, config.maxBodyBytes).catch(() => null);
		if (body === null) return fail(route.name, "ERR_BODY_MALFORMED");
		if (body.tooLarge) return fail(route.name, "ERR_BODY_TOO_LARGE");
		const { params, problem } = parseParams(request.headers.get("content-type"), body.bytes);
		if (params === null) return fail(route.name, BODY_PROBLEMS[problem ?? "malformed"]);
		try {
			if (route.name === "login") return await login(request, body.bytes, params);
			if (route.name === "token") return await token(request, params);
			if (route.name === "revoke") return await revoke(params);
			return await logout(request, params);
		} catch (cause) {
			return failFromException(route.name, cause);
		}
	}

	return async function handleAuthRequest(request: Request): Promise<Response> {
		let response: Response;
		try {
			response = await dispatch(request);
		} catch (cause) {
			response = failFromException(null, cause);
		}
		return request.method === "HEAD" ? new Response(null, { status: response.status, headers: response.headers }) : response;
	};
}

interface ResolvedHttpOptions {
	basePath: string;
	authenticate: FetchHandlerOptions["authenticate"];
	cookie: CookieOptions | undefined;
	allowedOrigins: ReadonlySet<string> | null;
	maxBodyBytes: number;
	onError: FetchHandlerOptions["onError"];
}

function resolveHttpOptions(options: FetchHandlerOptions): ResolvedHttpOptions {
	if (typeof options !== "object" || options === null) invalid("options must be an object");
	for (const key of Object.keys(options)) if (!OPTION_NAMES.has(key)) invalid(`unknown option ${key}; expected one of ${[...OPTION_NAMES].join(", ")}`);
	const basePath = options.basePath ?? "/auth";
	if (typeof basePath !== "string" || !BASE_PATH.test(normalizeBasePath(basePath))) invalid('basePath must be a path such as "/auth"');
	const maxBodyBytes = options.maxBodyBytes ?? 16_384;
	if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) invalid("maxBodyBytes must be a positive integer");
	if (options.authenticate !== undefined && typeof options.authenticate !== "function") invalid("authenticate must be a function");
	if (options.onError !== undefined && typeof options.onError !== "function") invalid("onError must be a function");
	const cookie = options.cookie;
	if (cookie !== undefined) {
		if (typeof cookie !== "object" || cookie === null) invalid("cookie must be { name, accessTokenName?, domain? }");
		for (const key of Object.keys(cookie)) if (!COOKIE_OPTION_NAMES.has(key)) invalid(`unknown option cookie.${key}`);
		if (typeof cookie.name !== "string" || !COOKIE_NAME.test(cookie.name)) invalid("cookie.name must be a valid cookie name");
		if (cookie.accessTokenName !== undefined && (typeof cookie.accessTokenName !== "string" || !COOKIE_NAME.test(cookie.accessTokenName) || cookie.accessTokenName === cookie.name)) {
			invalid("cookie.accessTokenName must be a valid cookie name, different from cookie.name");
		}
		if (cookie.domain !== undefined && (typeof cookie.domain !== "string" || !/^\.?[A-Za-z0-9.-]+$/.test(cookie.domain))) invalid("cookie.domain must be a host name");
	}
	let allowedOrigins: Set<string> | null = null;
	if (options.allowedOrigins !== undefined) {
		if (!Array.isArray(options.allowedOrigins)) invalid("allowedOrigins must be a list of origins");
		allowedOrigins = new Set(options.allowedOrigins.map(canonicalOrigin));
	}
	return { basePath: normalizeBasePath(basePath), authenticate: options.authenticate, cookie, allowedOrigins, maxBodyBytes, onError: options.onError };
}

function canonicalOrigin(value: unknown): string {
	let origin: string | null = null;
	try {
		origin = typeof value === "string" ? new URL(value).origin : null;
	} catch {
		origin = null;
	}
	if (origin === null || origin === "null" || origin !== value) invalid(`allowedOrigins: ${JSON.stringify(value)} is not an origin such as "https://app.example.com"`);
	return origin;
}

function invalid(message: string): never {
	throw new TokenError("ERR_CONFIG_INVALID", `createFetchHandler: ${message}`);
}
