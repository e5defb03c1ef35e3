// The hub: every route of refresh-kit over a minimal request and response, so that the fetch,
// Node and Next.js adapters share all HTTP logic without paying for a fetch Request, a body
// stream and a Response per call. Web platform only, like core/.
import { isTokenError } from "../../core/errors.js";
import type { TokenSet } from "../../core/types.js";
import { extractAccessToken } from "./access.js";
import { type BodyProblem, declaresTooLarge, parseParams } from "./body.js";
import { countCookies, readCookie } from "./cookies.js";
import { resolveHttpOptions } from "./options.js";
import { isAllowedOrigin } from "./origin.js";
import { pathBelow } from "./paths.js";
import { createErrorResponder, JSON_TYPE, NO_STORE } from "./responses.js";
import { sessionCookies, withStaleCookiesDeleted } from "./session-cookies.js";
import { createSessionRoutes } from "./sessions.js";
import type { FetchHandlerOptions, HttpErrorReason, Hub, HubRequest, HubResponse, HubService, LoginResult, Params } from "./types.js";

type RouteName = "login" | "token" | "revoke" | "logout" | "jwks";

const ROUTES: Readonly<Record<string, { name: RouteName; methods: readonly string[] }>> = {
	"/login": { name: "login", methods: ["POST"] },
	"/token": { name: "token", methods: ["POST"] },
	"/revoke": { name: "revoke", methods: ["POST"] },
	"/logout": { name: "logout", methods: ["POST"] },
	"/jwks": { name: "jwks", methods: ["GET", "HEAD"] },
};
// The routes that read the refresh cookie (/login revokes the session it replaces). Two cookies
// of its name are refused there before anything is rotated, revoked or set.
const READS_REFRESH_COOKIE: ReadonlySet<RouteName> = new Set(["login", "token", "logout"]);
const BODY_PROBLEMS: Record<BodyProblem, HttpErrorReason> = {
	"too-large": "ERR_BODY_TOO_LARGE",
	"unsupported-type": "ERR_CONTENT_TYPE",
	malformed: "ERR_BODY_MALFORMED",
	duplicate: "ERR_PARAM_DUPLICATE",
};

/** The hub behind every adapter. Throws `ERR_CONFIG_INVALID` on bad options. */
export function createHub(service: HubService, options: FetchHandlerOptions): Hub {
	const config = resolveHttpOptions(options);
	const cookie = config.cookie;
	const cookies = cookie === undefined ? null : sessionCookies(cookie, config.basePath);

	const responder = createErrorResponder(config.onError);
	const { fail, failFromException } = responder;
	const sessionRoutes = createSessionRoutes(service, options, config, responder, cookies);

	function tokenResponse(tokens: TokenSet): HubResponse {
		const body: Record<string, unknown> = { access_token: tokens.accessToken, token_type: "Bearer", expires_in: tokens.expiresIn };
		const headers: HubResponse["headers"] = { "cache-control": "no-store", "content-type": JSON_TYPE, pragma: "no-cache" };
		if (cookies === null) body.refresh_token = tokens.refreshToken;
		else headers["set-cookie"] = cookies.issued(tokens);
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
			return fail("login", "ERR_AUTHENTICATE_FAILED", { cause });
		}
		if (result === null || result === undefined) return fail("login", "ERR_LOGIN_REJECTED");
		if (typeof result !== "object" || typeof result.subject !== "string") {
			return fail("login", "ERR_AUTHENTICATE_FAILED", { cause: new TypeError("authenticate must return { subject, claims?, device? } or null") });
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
			const { token: accessToken, problem } = extractAccessToken(request.headers, cookie?.accessTokenName);
			if (problem === "duplicate-cookie") return withStaleCookiesDeleted(cookies, fail("logout", "ERR_COOKIE_DUPLICATE"));
			const claims = accessToken === null ? null : await service.verify(accessToken).catch(() => null);
			if (claims !== null) await service.revokeSession(claims.sid);
		}
		const headers: HubResponse["headers"] = { "cache-control": "no-store" };
		if (cookies !== null) headers["set-cookie"] = cookies.cleared();
		return { status: 204, headers, body: null };
	}

	async function dispatch(request: HubRequest): Promise<HubResponse> {
		const below = pathBelow(request.pathname, config.basePath);
		// Before the cookie-mode origin check below: the sessions routes apply the origin rule of
		// access-token requests (cookie-authenticated unsafe methods only) themselves.
		const answered = below === null || sessionRoutes === null ? null : await sessionRoutes.handle(request, below);
		if (answered !== null) return answered;
		const route = below === null ? undefined : ROUTES[below];
		if (route === undefined || (route.name === "login" && config.authenticate === undefined)) return fail(null, "ERR_NOT_FOUND");
		if (!route.methods.includes(request.method)) return fail(route.name, "ERR_METHOD", { headers: { Allow: route.methods.join(", ") } });
		if (route.name === "jwks") {
			return { status: 200, headers: { "cache-control": "public, max-age=300", "content-type": JSON_TYPE }, body: JSON.stringify(await service.jwks()) };
		}
		if (cookie !== undefined && !isAllowedOrigin(request.headers, request.origin, config.allowedOrigins)) return fail(route.name, "ERR_ORIGIN");
		if (cookie !== undefined && READS_REFRESH_COOKIE.has(route.name) && countCookies(request.headers.get("cookie"), cookie.name) > 1) {
			return withStaleCookiesDeleted(cookies, fail(route.name, "ERR_COOKIE_DUPLICATE"));
		}
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

	return {
		async handle(request: HubRequest): Promise<HubResponse> {
			let response: HubResponse;
			try {
				response = await dispatch(request);
			} catch (cause) {
				response = failFromException(null, cause);
			}
			return request.method === "HEAD" ? { status: response.status, headers: response.headers, body: null } : response;
		},
		unreadable(): HubResponse {
			return fail(null, "ERR_REQUEST_UNREADABLE");
		},
	};
}
