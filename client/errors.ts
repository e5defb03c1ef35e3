/**
 * The client's own error codes. The client speaks only the wire format, so it reports what
 * the auth server answered, not the server's internal codes (those are `TokenError`'s).
 */
export const AUTH_CLIENT_ERROR_CODES = {
	ERR_SERVER_UNAVAILABLE: "the auth server answered 503 temporarily_unavailable: retry shortly",
	ERR_HTTP_UNEXPECTED: "the auth server answered with an unexpected status or body",
	ERR_CONFIG_INVALID: "bad options passed to createAuthClient",
} as const;

export type AuthClientErrorCode = keyof typeof AUTH_CLIENT_ERROR_CODES;

/**
 * What `refresh-kit/client` throws. Branch on `code`. A rejected refresh token is not an
 * error: the client ends the session and calls `onSessionEnd("rejected")`.
 *
 * @example
 * ```ts
 * try {
 *   await auth.fetch("/api/orders");
 * } catch (error) {
 *   if (isAuthClientError(error, "ERR_SERVER_UNAVAILABLE")) showBanner("Reconnecting…");
 * }
 * ```
 */
export class AuthClientError extends Error {
	override name = "AuthClientError";
	readonly code: AuthClientErrorCode;
	/** The HTTP status the server answered with, when there was one. */
	readonly status: number | null;

	constructor(code: AuthClientErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
		super(message, options.cause === undefined ? undefined : { cause: options.cause });
		this.code = code;
		this.status = options.status ?? null;
	}
}

/** True when `value` is an AuthClientError, optionally with the given code (works across package copies). */
export function isAuthClientError(value: unknown, code?: AuthClientErrorCode): value is AuthClientError {
	if (typeof value !== "object" || value === null) return false;
	const candidate = value as { name?: unknown; code?: unknown };
	if (!(value instanceof AuthClientError) && candidate.name !== "AuthClientError") return false;
	return code === undefined || candidate.code === code;
}
