/**
 * refresh-kit: the refresh-token lifecycle (issue, reuse, rotate with reuse detection and a
 * grace window, revoke) with RFC 9068 JWT access tokens, over a storage port.
 *
 * @module
 */
export { createTokenService } from "./service.js";
export type { TokenService, TokenSet, IssueInput, SessionInfo, ListSessionsOptions, PruneOptions, RevokeSessionOptions, RevokeSubjectOptions } from "./types.js";
export { ERROR_CODES, TokenError, isTokenError } from "./errors.js";
export type { TokenErrorCode } from "./errors.js";
export { generateSigningKeys } from "./keys.js";
export type { KeysOption, SigningAlgorithm, JSONWebKeySet } from "./keys.js";
export { createVerifier } from "./verifier.js";
export type { VerifierOptions, Verifier } from "./verifier.js";
export type { AccessClaims } from "./access-token.js";
export type { TokenServiceOptions, RefreshOptions } from "./options.js";
export type { TokenEvent, TokenEventType, RevocationReason, ReuseAction } from "./events.js";
export { systemClock } from "./clock.js";
export type { Clock, Duration } from "./clock.js";
export { TOKEN_STORE_VERBS } from "./port.js";
export type { TokenStore, TokenStoreVerb, SessionRecord, TokenRotation, RotationResult, SessionTouch, PruneBatch } from "./port.js";
