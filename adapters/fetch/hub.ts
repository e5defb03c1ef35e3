// The hub: every route of refresh-kit over a minimal request and response, so that the fetch,
// Node and Next.js adapters share all HTTP logic without paying for a fetch Request, a body
// stream and a Response per call. Web platform only, like core/.
import { isTokenError, TokenError, type TokenSet } from "../../core/index.js";
import { declaresTooLarge, parseParams, readBody, type BodyProblem, type Params } from "./body.js";
import { clearCookie, COOKIE_NAME, readCookie, setCookie, type CookieAttributes } from "./cookies.js";
import { extractAccessToken, isAllowedOrigin, JSON_TYPE, normalizeBasePath, problem, type HeadersLike, type HubResponse } from "./http.js";
import type { CookieOptions, FetchHandlerOptions, HttpErrorEvent, HttpErrorReason, HubService, LoginResult } from "./index.js";

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

export type Hub = (request: HubRequest) => Promise<HubResponse>;

/** A fetch `Request` as the hub reads it; `url` overrides `request.url` (the Next.js adapter's public URL). */
export function fromFetchRequest(request: Request, url: URL = new URL(request.url)): HubRequest {
	return {
		method: request.method,
		pathname: url.pathname,
		origin: url.origin,
		headers: request.headers,
		body: (limit) => readBody(request.body, limit),
		toRequest: (body) => new Request(url, { method: "POST", headers: request.headers, body: body.byteLength > 0 ? new Uint8Array(body) : null }),
	};
}

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
const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" } as const;

/** The hub behind every adapter. Throws `ERR_CONFIG_INVALID` on bad options. */
export function createHub(service: HubService, options: FetchHandlerOptions): Hub {
	const config = resolveHttpOptions(options);
	const cookie = config.cookie;
	const refreshCookie: CookieAttributes = { path: config.basePath === "" ? "/" : config.basePath, domain: cookie?.domain };
	const accessCookie: CookieAttributes = { path: "/", domain: cookie?.domain };

	function fail(route: RouteName | null, reason: keyof typeof PROBLEMS, code: HttpErrorEvent["reason"] = reason as HttpErrorReason, extra: { cause?: unknown; headers?: Record<string, string> } = {}): HubResponse {
		const [status, error, description] = PROBLEMS[reason];
		if (config.onError !== undefined) {
			try {
				config.onError({ status, error, reason: code, route, ...(extra.cause === undefined ? {} : { cause: extra.cause }) });
			} catch {
				// A broken log hook must not change what the client gets.
			}
		}
		return problem(status, error, description, extra.headers);
	}

	function failFromException(route: RouteName | null, cause: unknown): HubResponse {
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

	function tokenResponse(tokens: TokenSet): HubResponse {
		const body: Record<string, unknown> = { access_token: tokens.accessToken, token_type: "Bearer", expires_in: tokens.expiresIn };
		const headers: HubResponse["headers"] = { "cache-control": "no-store", "content-type": JSON_TYPE, pragma: "no-cache" };
		if (cookie === undefined) {
			body.refresh_token = tokens.refreshToken;
		} else {
			const lines = [setCookie(cookie.name, tokens.refreshToken, refreshCookie, { expires: tokens.refreshTokenExpiresAt })];
			if (cookie.accessTokenName !== undefined) lines.push(setCookie(cookie.accessTokenName, tokens.accessToken, accessCookie, { maxAge: tokens.expiresIn }));
			headers["set-cookie"] = lines;
		}
		return { status: 200, headers, body: JSON.stringify(body) };
	}

	/** Cookie mode reads the refresh token from the cookie only; otherwise from `refresh_token`. */
	function presentedRefreshToken(request: HubRequest, params: Params): string | null | "conflict" {
		if (cookie === undefined) return params.refresh_token || null;
		if ("refresh_token" in params) return "conflict";
		return readCookie(request.headers.get("cookie"), cookie.name);
	}

	async function login(request: HubRequest, bytes: Uint8Array, params: Params): Promise<HubResponse> {
		const authenticate = config.authenticate as NonNullable<FetchHandlerOptions["authenticate"]>;
		const replay = request.toRequest(bytes);
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

	async function token(request: HubRequest, params: Params): Promise<HubResponse> {
		if (params.grant_type === undefined) return fail("token", "ERR_PARAM_MISSING");
		if (params.grant_type !== "refresh_token") return fail("token", "ERR_GRANT_TYPE");
		const refreshToken = presentedRefreshToken(request, params);
		if (refreshToken === "conflict") return fail("token", "ERR_PARAM_UNEXPECTED");
		if (refreshToken === null) return fail("token", "ERR_PARAM_MISSING");
		return tokenResponse(await service.exchange(refreshToken));
	}

	async function revoke(params: Params): Promise<HubResponse> {
		if (!params.token) return fail("revoke", "ERR_PARAM_MISSING");
		// RFC 7009 §2.2: 200 whether or not the token was known; token_type_hint may be ignored.
		await service.revoke(params.token);
		return { status: 200, headers: { ...NO_STORE }, body: null };
	}

	async function logout(request: HubRequest, params: Params): Promise<HubResponse> {
		const refreshToken = presentedRefreshToken(request, params);
		if (refreshToken === "conflict") return fail("logout", "ERR_PARAM_UNEXPECTED");
		if (refreshToken !== null) {
			await service.revoke(refreshToken);
		} else {
			const { token: accessToken } = extractAccessToken(request.headers, cookie?.accessTokenName);
			const claims = accessToken === null ? null : await service.verify(accessToken).catch(() => null);
			if (claims !== null) await service.revokeSession(claims.sid);
		}
		const headers: HubResponse["headers"] = { "cache-control": "no-store" };
		if (cookie !== undefined) {
			headers["set-cookie"] = [clearCookie(cookie.name, refreshCookie)];
			if (cookie.accessTokenName !== undefined) headers["set-cookie"].push(clearCookie(cookie.accessTokenName, accessCookie));
		}
		return { status: 204, headers, body: null };
	}

	async function dispatch(request: HubRequest): Promise<HubResponse> {
		const pathname = request.pathname;
		const route = config.basePath === "" ? ROUTES[pathname] : pathname.startsWith(config.basePath + "/") ? ROUTES[pathname.slice(config.basePath.length)] : undefined;
		if (route === undefined || (route.name === "login" && config.authenticate === undefined)) return fail(null, "ERR_NOT_FOUND");
		if (!route.methods.includes(request.method)) return fail(route.name, "ERR_METHOD", "ERR_METHOD", { headers: { Allow: route.methods.join(", ") } });
		if (route.name === "jwks") {
			return { status: 200, headers: { "cache-control": "public, max-age=300", "content-type": JSON_TYPE }, body: JSON.stringify(await service.jwks()) };
		}
		if (cookie !== undefined && !isAllowedOrigin(request.headers, request.origin, config.allowedOrigins)) return fail(route.name, "ERR_ORIGIN");
		if (declaresTooLarge(request.headers.get("content-length"), config.maxBodyBytes)) return fail(route.name, "ERR_BODY_TOO_LARGE");
		// A failing body means the client went away or sent broken chunking.
		const bytes = await request.body(config.maxBodyBytes).catch(() => undefined);
		if (bytes === undefined) return fail(route.name, "ERR_BODY_MALFORMED");
		if (bytes === null) return fail(route.name, "ERR_BODY_TOO_LARGE");
		const { params, problem } = parseParams(request.headers.get("content-type"), bytes);
		if (params === null) return fail(route.name, BODY_PROBLEMS[problem ?? "malformed"]);
		try {
			if (route.name === "login") return await login(request, bytes, params);
			if (route.name === "token") return await token(request, params);
			if (route.name === "revoke") return await revoke(params);
			return await logout(request, params);
		} catch (cause) {
			return failFromException(route.name, cause);
		}
	}

	return async function hub(request: HubRequest): Promise<HubResponse> {
		let response: HubResponse;
		try {
			response = await dispatch(request);
		} catch (cause) {
			response = failFromException(null, cause);
		}
		return request.method === "HEAD" ? { status: response.status, headers: response.headers, body: null } : response;
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
