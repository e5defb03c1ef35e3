/**
 * The one table of error codes: when each is thrown and what the HTTP adapters answer. The
 * README and docs/adapters.md show this table; a test keeps them in sync with it.
 */
export const ERROR_CODES = {
	ERR_TOKEN_MALFORMED: { when: "not a refresh token of this library", http: "400 `invalid_grant`" },
	ERR_TOKEN_UNKNOWN: { when: "well-formed, but not found or wrong secret", http: "400 `invalid_grant`" },
	ERR_TOKEN_EXPIRED: { when: "idle or absolute lifetime passed, or the token is keyed by a `refresh.secret` no longer listed (or is a v1 token in reuse mode)", http: "400 `invalid_grant`" },
	ERR_TOKEN_REVOKED: { when: "the session was revoked", http: "400 `invalid_grant`" },
	ERR_TOKEN_REUSED: { when: "a used token presented outside the grace window (or inside it when its successor can no longer be unsealed: then nothing is revoked)", http: "400 `invalid_grant`" },
	ERR_ACCESS_TOKEN_INVALID: { when: "bad signature, alg, typ, iss, aud or format", http: "401 `invalid_token`" },
	ERR_ACCESS_TOKEN_EXPIRED: { when: "past `exp` plus the clock tolerance (`clockTolerance`, default 5 s)", http: "401 `invalid_token`" },
	ERR_STORE_UNAVAILABLE: {
		when: "the store failed or exceeded `storeTimeout` (default 5 s); the call may or may not have taken effect: retry with the same token (a rotation that did commit gives a retry inside the grace window the same successor)",
		http: "503 `temporarily_unavailable`",
	},
	ERR_CONFIG_INVALID: { when: "bad options, thrown when a service, store, handler or verifier is created", http: "—" },
	ERR_INPUT_INVALID: { when: "bad arguments from the application (a reserved claim, NUL, too large)", http: "400 `invalid_request`" },
} as const satisfies Record<string, { when: string; http: string }>;

/**
 * Every failure refresh-kit reports is a {@link TokenError}. Branch on `code`, never on
 * the message: codes are stable, messages may be reworded. The codes and what they mean:
 * {@link ERROR_CODES}.
 */
export type TokenErrorCode = keyof typeof ERROR_CODES;

/**
 * The one error class of refresh-kit's server side. Messages never contain token material;
 * `cause` is forwarded.
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
