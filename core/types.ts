// The public types of the token service: what it takes and what it returns.
import type { AccessClaims } from "./access-token.js";
import type { Duration } from "./clock.js";
import type { JSONWebKeySet } from "./keys.js";

/** What `issue` and `exchange` return. */
export interface TokenSet {
	accessToken: string;
	tokenType: "Bearer";
	/** Access-token lifetime in seconds from now. */
	expiresIn: number;
	refreshToken: string;
	/** When the refresh token stops working unless used (idle) or at the latest (absolute); null = never. */
	refreshTokenExpiresAt: Date | null;
	sessionId: string;
}

/** The input of `issue`. */
export interface IssueInput {
	/** Who the tokens are for: the `sub` claim. */
	subject: string;
	/** Extra access-token claims, kept across rotation. Registered claims (`iss`, `sub`, `exp`, …) are refused. */
	claims?: Record<string, unknown>;
	/** A label for the device or client; with `subject`, the key reuse mode hands the same token back for. Undefined: none. */
	device?: string | undefined;
}

/** A live session, as `listSessions` shows it. */
export interface SessionInfo {
	id: string;
	device: string | null;
	createdAt: Date;
	lastUsedAt: Date;
	expiresAt: Date | null;
}

/** `listSessions` answers at most this many sessions unless asked for another `limit`. */
export const DEFAULT_LIST_LIMIT = 100;
/** The largest `limit` `listSessions` accepts: a listing is one bounded read. */
export const MAX_LIST_LIMIT = 1000;

/** Options of `listSessions`. */
export interface ListSessionsOptions {
	/** The most sessions to return, oldest first. Default 100, at most 1000. */
	limit?: number;
}

/**
 * Options of `getSession`.
 *
 * @example Is the session of this request's access token still live? (An access token outlives a revocation.)
 * ```ts
 * const session = await service.getSession(claims.sid, { subject: claims.sub }); // null once it has ended
 * ```
 */
export interface GetSessionOptions {
	/**
	 * Answer only a session of this subject: someone else's session is null, exactly as an unknown
	 * or ended one, so a caller cannot tell someone else's session from none.
	 */
	subject?: string;
}

/**
 * Options of `revokeSession`.
 *
 * @example A "your devices" page: the signed-in user ends one of their own sessions
 * ```ts
 * const ended = await service.revokeSession(idFromTheForm, { subject: claims.sub }); // false for anyone else's
 * ```
 */
export interface RevokeSessionOptions {
	/**
	 * Revoke the session only if it is a live session of this subject: a user ending one of their
	 * own sessions. For anyone else's session, an unknown id or one already ended, nothing changes
	 * and the answer is `false`, so a caller cannot tell someone else's session from none.
	 */
	subject?: string;
}

/**
 * Options of `revokeSubject`.
 *
 * @example After a password change, sign out everywhere but the browser that made it
 * ```ts
 * await users.setPasswordHash(user.id, await hash(newPassword)); // first: no new login with the old one
 * const revoked = await service.revokeSubject(user.id, { except: claims.sid }); // claims: this request's access token
 * ```
 */
export interface RevokeSubjectOptions {
	/**
	 * A session to keep: "sign out everywhere except here" (after a password change, pass the
	 * `sid` claim of the request's access token). Must be a session id.
	 */
	except?: string;
}

/** Options of `prune`. */
export interface PruneOptions {
	/** Keep revoked and expired sessions this long (replays then report REVOKED/EXPIRED instead of UNKNOWN). Default `"7d"`. */
	retention?: Duration;
	/** Sessions deleted per store call. Default 1000. */
	batchSize?: number;
}

/** The token service: see {@link createTokenService}. */
export interface TokenService {
	issue(input: IssueInput): Promise<TokenSet>;
	exchange(refreshToken: string): Promise<TokenSet>;
	verify(accessToken: string): Promise<AccessClaims>;
	revoke(refreshToken: string): Promise<void>;
	revokeSession(sessionId: string, options?: RevokeSessionOptions): Promise<boolean>;
	revokeSubject(subject: string, options?: RevokeSubjectOptions): Promise<number>;
	listSessions(subject: string, options?: ListSessionsOptions): Promise<SessionInfo[]>;
	/**
	 * One live session by id (the `sid` claim), or null when it is unknown, revoked, expired, or
	 * (with `subject`) someone else's. One store lookup, whatever the subject's session count.
	 */
	getSession(sessionId: string, options?: GetSessionOptions): Promise<SessionInfo | null>;
	jwks(): Promise<JSONWebKeySet>;
	prune(options?: PruneOptions): Promise<number>;
}
