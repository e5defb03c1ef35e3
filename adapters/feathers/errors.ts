// TokenError -> Feathers error: the status a Feathers client branches on, the library's stable
// code in `data.code`, and a fixed message that never echoes the token.
import { BadRequest, type FeathersError, NotAuthenticated, Unavailable } from "@feathersjs/errors";
import { isTokenError, type TokenErrorCode } from "../../core/errors.js";

const MESSAGES: Record<Exclude<TokenErrorCode, "ERR_CONFIG_INVALID">, string> = {
	ERR_TOKEN_MALFORMED: "the refresh token is invalid, expired or revoked",
	ERR_TOKEN_UNKNOWN: "the refresh token is invalid, expired or revoked",
	ERR_TOKEN_EXPIRED: "the refresh token is invalid, expired or revoked",
	ERR_TOKEN_REVOKED: "the refresh token is invalid, expired or revoked",
	ERR_TOKEN_REUSED: "the refresh token is invalid, expired or revoked",
	ERR_ACCESS_TOKEN_INVALID: "the access token is invalid or expired",
	ERR_ACCESS_TOKEN_EXPIRED: "the access token is invalid or expired",
	ERR_STORE_UNAVAILABLE: "the service is temporarily unavailable, retry shortly",
	ERR_INPUT_INVALID: "the login could not be completed with this input",
};

/**
 * The Feathers error for a failure of the token service: `NotAuthenticated` (401) for every
 * refresh- and access-token verdict, `Unavailable` (503) when the store failed (retry with the
 * same token), `BadRequest` (400) when `issue` refused its input. The TokenError code is in
 * `data.code`; anything that is not a TokenError is returned unchanged.
 *
 * @example
 * ```ts
 * try {
 *   await tokens.exchange(refreshToken);
 * } catch (error) {
 *   throw toFeathersError(error); // NotAuthenticated { data: { code: "ERR_TOKEN_REUSED" } }
 * }
 * ```
 */
export function toFeathersError(error: unknown): unknown {
	if (!isTokenError(error)) return error;
	// ERR_CONFIG_INVALID is the application's mistake, not the client's: left as it is (a 500).
	return error.code === "ERR_CONFIG_INVALID" ? error : feathersErrorFor(error.code);
}

/** The Feathers error {@link toFeathersError} answers for a TokenError of `code`. */
export function feathersErrorFor(code: Exclude<TokenErrorCode, "ERR_CONFIG_INVALID">): FeathersError {
	const data = { code };
	switch (code) {
		case "ERR_STORE_UNAVAILABLE":
			return new Unavailable(MESSAGES[code], data);
		case "ERR_INPUT_INVALID":
			return new BadRequest(MESSAGES[code], data);
		default:
			return new NotAuthenticated(MESSAGES[code], data);
	}
}

/** Runs `work`, turning a TokenError it throws into the matching Feathers error. */
export async function feathersErrors<T>(work: () => Promise<T>): Promise<T> {
	try {
		return await work();
	} catch (error) {
		throw toFeathersError(error);
	}
}
