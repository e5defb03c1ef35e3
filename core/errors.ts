/**
 * Every failure refresh-kit reports is a {@link TokenError}. Branch on `code`, never on
 * the message: codes are stable, messages may be reworded.
 *
 * | code | when | HTTP (fetch adapter) |
 * | --- | --- | --- |
 * | `ERR_TOKEN_MALFORMED` | not a refresh token of this library | 400 `invalid_grant` |
 * | `ERR_TOKEN_UNKNOWN` | well-formed, but not found or wrong secret | 400 `invalid_grant` |
 * | `ERR_TOKEN_EXPIRED` | idle or absolute lifetime passed | 400 `invalid_grant` |
 * | `ERR_TOKEN_REVOKED` | the session was revoked | 400 `invalid_grant` |
 * | `ERR_TOKEN_REUSED` | a used token presented outside the grace window | 400 `invalid_grant` |
 * | `ERR_ACCESS_TOKEN_INVALID` | bad signature, alg, typ, iss, aud or format | 401 `invalid_token` |
 * | `ERR_ACCESS_TOKEN_EXPIRED` | past `exp` plus the clock tolerance | 401 `invalid_token` |
 * | `ERR_STORE_UNAVAILABLE` | the store failed or timed out. The call may or may not have taken effect (a lost answer, a late commit): retry with the same token; a rotation that did commit hands a retry inside the grace window the same successor | 503 `temporarily_unavailable` |
 * | `ERR_CONFIG_INVALID` | bad options, thrown by `createTokenService` | — |
 * | `ERR_INPUT_INVALID` | bad arguments from the application (e.g. a reserved claim passed to `issue`) | — |
 * | `ERR_HTTP_UNEXPECTED` | `refresh-kit/client` only: the auth server answered with an unexpected status or body | — |
 *
 * Messages never contain token material; `cause` is forwarded.
 *
 * @example
 * ```ts
 * try {
 *   return await service.exchange(token);
 * } catch (error) {
 *   if (error instanceof TokenError && error.code === "ERR_TOKEN_REUSED") alertSecurityTeam();
 *   throw error;
 * }
 * ```
 */
export type TokenErrorCode =
	| "ERR_TOKEN_MALFORMED"
	| "ERR_TOKEN_UNKNOWN"
	| "ERR_TOKEN_EXPIRED"
	| "ERR_TOKEN_REVOKED"
	| "ERR_TOKEN_REUSED"
	| "ERR_ACCESS_TOKEN_INVALID"
	| "ERR_ACCESS_TOKEN_EXPIRED"
	| "ERR_STORE_UNAVAILABLE"
	| "ERR_CONFIG_INVALID"
	| "ERR_INPUT_INVALID"
	| "ERR_HTTP_UNEXPECTED";

export class TokenError extends Error {
	override name = "TokenError";
	readonly code: TokenErrorCode;

	constructor(code: TokenErrorCode, message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.code = code;
	}
}

/** True when `value` is a TokenError, optionally with the given code (works across package copies). */
export function isTokenError(value: unknown, code?: TokenErrorCode): value is TokenError {
	if (typeof value !== "object" || value === null) return false;
	const candidate = value as { name?: unknown; code?: unknown };
	if (!(value instanceof TokenError) && candidate.name !== "TokenError") return false;
	return code === undefined || candidate.code === code;
}
