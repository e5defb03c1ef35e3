/**
 * refresh-kit: the refresh-token lifecycle (issue, reuse, rotate with reuse detection and a
 * grace window, revoke) with RFC 9068 JWT access tokens, over a storage port.
 *
 * @module
 */

export type { AccessClaims } from "./access-token.js";
export type { Clock, Duration } from "./clock.js";
export { systemClock } from "./clock.js";
export type { TokenErrorCode } from "./errors.js";
export { ERROR_CODES, isTokenError, TokenError } from "./errors.js";
export type { ReuseAction, RevocationReason, TokenEvent, TokenEventType } from "./events.js";
export type { JSONWebKeySet, KeysOption, SigningAlgorithm } from "./keys.js";
export { generateSigningKeys } from "./keys.js";
export type { RefreshOptions, TokenServiceOptions } from "./options.js";
export type { PruneBatch, RotationResult, SessionRecord, SessionTouch, TokenRotation, TokenStore, TokenStoreVerb } from "./port.js";
export { TOKEN_STORE_VERBS } from "./port.js";
export { createTokenService } from "./service.js";
export type { GetSessionOptions, IssueInput, ListSessionsOptions, PruneOptions, RevokeSessionOptions, RevokeSubjectOptions, SessionInfo, TokenService, TokenSet } from "./types.js";
export type { Verifier, VerifierOptions } from "./verifier.js";
export { createVerifier } from "./verifier.js";
