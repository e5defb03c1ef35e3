// Error responses (RFC 6749 §5.2 bodies with fixed texts, each reported to onError) and the
// translation of the hub's response into a fetch Response. Web platform only.
import { isTokenError } from "../../core/errors.js";
import type { FetchHandlerOptions, HttpErrorEvent, HttpErrorReason, HubResponse } from "./types.js";

export const JSON_TYPE = "application/json; charset=utf-8";
export const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" } as const;
const RETRY_AFTER_SECONDS = "2";

type ProblemName = HttpErrorReason | "invalid_grant" | "invalid_input" | "invalid_token" | "unavailable";

// Every error the hub sends: status, RFC 6749 §5.2 code, and a fixed text that never echoes input.
const PROBLEMS: Record<ProblemName, [number, string, string]> = {
	ERR_NOT_FOUND: [404, "not_found", "no such endpoint"],
	ERR_SESSION_NOT_FOUND: [404, "not_found", "no such session"],
	// The same words as invalid_token: a revoked session's access token reads as an expired one.
	ERR_SESSION_ENDED: [401, "invalid_token", "the access token is invalid or expired"],
	// No access token: reported with the response the access check built (forward()), a 401 with a bare challenge.
	ERR_ACCESS_REFUSED: [401, "unauthorized", "an access token is required"],
	ERR_AUTHORIZATION_MALFORMED: [400, "invalid_request", "the Authorization header is malformed"],
	ERR_METHOD: [405, "invalid_request", "method not allowed"],
	ERR_ORIGIN: [403, "access_denied", "cross-origin request refused"],
	ERR_REQUEST_UNREADABLE: [400, "invalid_request", "the request could not be read"],
	ERR_BODY_TOO_LARGE: [413, "invalid_request", "request body is too large"],
	ERR_CONTENT_TYPE: [415, "invalid_request", "send application/x-www-form-urlencoded or application/json"],
	ERR_BODY_MALFORMED: [400, "invalid_request", "request body is malformed"],
	ERR_PARAM_DUPLICATE: [400, "invalid_request", "a parameter was sent more than once"],
	ERR_PARAM_MISSING: [400, "invalid_request", "a required parameter is missing"],
	ERR_PARAM_UNEXPECTED: [400, "invalid_request", "in cookie mode the refresh token is read from the cookie only"],
	ERR_COOKIE_DUPLICATE: [400, "invalid_request", "a cookie of this service was sent more than once"],
	ERR_GRANT_TYPE: [400, "unsupported_grant_type", "only grant_type=refresh_token is supported"],
	ERR_LOGIN_REJECTED: [401, "invalid_grant", "the credentials were not accepted"],
	ERR_AUTHENTICATE_FAILED: [500, "server_error", "the server could not complete the request"],
	ERR_INTERNAL: [500, "server_error", "the server could not complete the request"],
	invalid_grant: [400, "invalid_grant", "the refresh token is invalid, expired or revoked"],
	invalid_input: [400, "invalid_request", "the login could not be completed with this input"],
	invalid_token: [401, "invalid_token", "the access token is invalid or expired"],
	unavailable: [503, "temporarily_unavailable", "the service is temporarily unavailable, retry shortly"],
};

/** The hub's error answers; each one is reported to `onError` before it is returned. */
export interface ErrorResponder {
	/** The response for a hub reason; `extra.reason` reports a more precise TokenError code instead. */
	fail(route: string | null, problem: ProblemName, extra?: { reason?: HttpErrorEvent["reason"]; cause?: unknown; headers?: Record<string, string> }): HubResponse;
	/** The response for an exception: a TokenError by its code, anything else a 500. */
	failFromException(route: string | null, cause: unknown): HubResponse;
	/** Reports an error response built elsewhere (the access check's RFC 6750 refusals) and returns it unchanged. */
	forward(route: string | null, response: HubResponse, reason: HttpErrorEvent["reason"]): HubResponse;
}

export function createErrorResponder(onError: FetchHandlerOptions["onError"]): ErrorResponder {
	function report(event: HttpErrorEvent): void {
		if (onError === undefined) return;
		try {
			onError(event);
		} catch {
			// A broken log hook must not change what the client gets.
		}
	}

	function fail(route: string | null, name: ProblemName, extra: { reason?: HttpErrorEvent["reason"]; cause?: unknown; headers?: Record<string, string> } = {}): HubResponse {
		const [status, error] = PROBLEMS[name];
		const reason = extra.reason ?? (name as HttpErrorReason);
		report({ status, error, reason, route, ...(extra.cause === undefined ? {} : { cause: extra.cause }) });
		return standardProblem(name, extra.headers);
	}

	function forward(route: string | null, response: HubResponse, reason: HttpErrorEvent["reason"]): HubResponse {
		// The body is a problem() body: JSON whose `error` is a fixed string, never input.
		const { error } = JSON.parse(response.body ?? "{}") as { error?: unknown };
		report({ status: response.status, error: typeof error === "string" ? error : "", reason, route });
		return response;
	}

	function failFromException(route: string | null, cause: unknown): HubResponse {
		if (!isTokenError(cause)) return fail(route, "ERR_INTERNAL", { cause });
		const reason = cause.code;
		switch (reason) {
			case "ERR_TOKEN_MALFORMED":
			case "ERR_TOKEN_UNKNOWN":
			case "ERR_TOKEN_EXPIRED":
			case "ERR_TOKEN_REVOKED":
			case "ERR_TOKEN_REUSED":
				return fail(route, "invalid_grant", { reason });
			case "ERR_ACCESS_TOKEN_INVALID":
			case "ERR_ACCESS_TOKEN_EXPIRED":
				return fail(route, "invalid_token", { reason, headers: { "WWW-Authenticate": 'Bearer error="invalid_token"' } });
			case "ERR_INPUT_INVALID":
				// issue() refused what authenticate returned (a subject, device or claim too long or
				// reserved). Often that came from the client, so it must not be a 500; onError tells
				// the developer.
				return fail(route, "invalid_input", { reason, cause });
			case "ERR_STORE_UNAVAILABLE":
				return fail(route, "unavailable", { reason, cause, headers: { "Retry-After": RETRY_AFTER_SECONDS } });
			default:
				return fail(route, "ERR_INTERNAL", { reason, cause });
		}
	}

	return { fail, failFromException, forward };
}

/**
 * An RFC 6749 §5.2 error response: JSON `{ error, error_description }`, never cached.
 *
 * @example
 * ```ts
 * import { errorResponse } from "refresh-kit/adapters/fetch";
 *
 * return errorResponse(403, "insufficient_scope", "the admin role is required");
 * ```
 */
export function errorResponse(status: number, error: string, description: string, headers?: Record<string, string>): Response {
	return toFetchResponse(problem(status, error, description, headers));
}

/** The fixed answer for one of the hub's problems, not reported to `onError` (for the access check, which has no hook). */
export function standardProblem(name: ProblemName, headers?: Record<string, string>): HubResponse {
	const [status, error, description] = PROBLEMS[name];
	return problem(status, error, description, headers);
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

/** A {@link HubResponse} as a fetch `Response` (`set-cookie` lines appended one by one). */
export function toFetchResponse(response: HubResponse): Response {
	const headers = new Headers();
	for (const name in response.headers) {
		const value = response.headers[name] as string | string[];
		if (typeof value === "string") headers.set(name, value);
		else for (const line of value) headers.append(name, line);
	}
	return new Response(response.body, { status: response.status, headers });
}
