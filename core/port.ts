/**
 * The storage port: what refresh-kit needs from a database, in domain words.
 *
 * One row per session. The session row holds the hash of the session's one current refresh
 * token, the hash of the token it replaced (for the grace window and reuse detection), the
 * successor sealed under the server's refresh secret together with that previous token, and the lifetimes. Because rotation updates
 * the row instead of adding one, the row doubles as the per-session tombstone: reuse
 * detection needs nothing that pruning removes.
 *
 * The core defines the port; stores implement it and import it from here (never the reverse).
 * Implementations: `memoryStore()` (the reference) and `drizzleStore(db)` (PostgreSQL).
 * Every implementation passes the contract suite shipped as `refresh-kit/testing`
 * (`testTokenStore(name, open)`); a third-party store passes it to be trusted.
 *
 * All times are the `now` the caller passes (the service's injected clock); a store never
 * reads its own clock.
 *
 * @module
 */

/** One login: a chain of refresh tokens, of which at most one is current. */
export interface SessionRecord {
	/** UUID; public (it is the `sid` claim of access tokens). */
	id: string;
	subject: string;
	/** Free-form device label given at issue; the reuse-mode key together with `subject`. */
	device: string | null;
	/** The caller's extra access-token claims, kept across rotation. */
	claims: Record<string, unknown> | null;
	mode: "rotate" | "reuse";
	/** Hash of the session's family proof: proves a presented old token is genuine. */
	familyHash: Uint8Array;
	/** Hash of the current token's family proof and secret together (see docs/token-format.md). */
	tokenHash: Uint8Array;
	/** `tokenHash` of the token the current one replaced, or null before the first rotation. */
	previousHash: Uint8Array | null;
	/** The current secret sealed under the server's refresh secret and the previous token (docs/token-format.md), or null. Opaque bytes: store them as given (36 bytes today). */
	sealedSuccessor: Uint8Array | null;
	/** When the previous token was consumed, or null before the first rotation. */
	rotatedAt: Date | null;
	/** Number of rotations so far. */
	generation: number;
	createdAt: Date;
	lastUsedAt: Date;
	/** When the current token stops working: the sooner of the idle and absolute expiry; null = never. */
	expiresAt: Date | null;
	/** The hard cap set at issue; rotation never moves it. Null = never. */
	absoluteExpiresAt: Date | null;
	revokedAt: Date | null;
}

/** The input of {@link TokenStore.rotateToken}. Only hashes and a sealed value: never a token. */
export interface TokenRotation {
	sessionId: string;
	/** The hash of the presented token, computed as `tokenHash` is. */
	presentedHash: Uint8Array;
	/** The hash of the successor token; becomes `tokenHash`. */
	successorHash: Uint8Array;
	/** The successor's secret sealed under the server's refresh secret and the presented token; becomes `sealedSuccessor`. */
	sealedSuccessor: Uint8Array;
	now: Date;
	/** `now + idleTtl`, or null when there is no idle limit. The store caps it at `absoluteExpiresAt`. */
	idleExpiresAt: Date | null;
}

/**
 * The outcome of a rotation attempt. When the token was not current, `session` is the
 * session as the store saw it (or null when unknown), so the service can tell grace, reuse,
 * expiry and revocation apart without another round trip. That view may be a moment stale
 * under concurrency; the service re-checks before acting on it.
 */
export type RotationResult = { rotated: true; session: SessionRecord } | { rotated: false; session: SessionRecord | null };

/** The input of {@link TokenStore.touchSession}. */
export interface SessionTouch {
	sessionId: string;
	now: Date;
	idleExpiresAt: Date | null;
}

/** The input of {@link TokenStore.prune}. */
export interface PruneBatch {
	/** Sessions revoked, or expired, at or before this instant may be deleted. */
	before: Date;
	/** The most sessions to delete in this call. */
	limit: number;
}

/**
 * A refresh-token store. Every method is atomic on its own; `rotateToken` is the one that
 * carries the security guarantee.
 */
export interface TokenStore {
	/**
	 * A store declares the guarantee of {@link TokenStore.rotateToken} here. The service
	 * refuses a store without it rather than degrade to a check-then-write race.
	 */
	readonly guarantees: { readonly atomicRotation: true };

	/** Stores a new session. Its id is fresh and random; a duplicate id is an error. */
	createSession(session: SessionRecord): Promise<void>;

	/**
	 * Reuse mode login. Returns the live session (`mode: "reuse"`, not revoked, `expiresAt`
	 * null or after `session.createdAt`) of `session.subject` + `session.device` if there is
	 * one; otherwise stores `session` and returns it. Concurrent calls for the same subject
	 * and device open at most one live session.
	 */
	openReusableSession(session: SessionRecord): Promise<SessionRecord>;

	/**
	 * **Atomic consume-if-current.** In one indivisible step: if the session exists, is not
	 * revoked, has not expired at `now`, and its `tokenHash` equals `presentedHash`, then set
	 * `previousHash` to the old `tokenHash`, `tokenHash` to `successorHash`,
	 * `sealedSuccessor`, `rotatedAt = lastUsedAt = now`, `expiresAt` to the sooner of
	 * `idleExpiresAt` and `absoluteExpiresAt`, increment `generation`, and return
	 * `{ rotated: true }` with the updated session. Otherwise change nothing and return
	 * `{ rotated: false }`.
	 *
	 * Of any number of concurrent calls presenting the same hash, across processes and
	 * machines, at most one rotates. A call that fails or is interrupted either rotated
	 * completely or changed nothing.
	 */
	rotateToken(rotation: TokenRotation): Promise<RotationResult>;

	findSession(sessionId: string): Promise<SessionRecord | null>;

	/**
	 * Reuse mode's sliding idle expiry: if the session is live at `now`, sets `lastUsedAt`
	 * and `expiresAt` (capped at `absoluteExpiresAt`). Does nothing otherwise.
	 */
	touchSession(touch: SessionTouch): Promise<void>;

	/** Revokes one session. Returns the session if this call revoked it, null if it was unknown or already revoked. */
	revokeSession(sessionId: string, now: Date): Promise<SessionRecord | null>;

	/** Revokes every live session of a subject; returns the ids it revoked. */
	revokeSubject(subject: string, now: Date): Promise<string[]>;

	/** The live sessions of a subject at `now`, oldest first (by `createdAt`, then `id`), at most `limit` of them. */
	listSessions(subject: string, now: Date, limit: number): Promise<SessionRecord[]>;

	/**
	 * Deletes up to `limit` sessions that were revoked or expired at or before `before`,
	 * and returns how many it deleted. Safe to run concurrently with traffic and with other
	 * prune calls. Never touches a live session, so reuse detection is unaffected.
	 */
	prune(batch: PruneBatch): Promise<number>;
}

/** Every verb of {@link TokenStore}, once: what the service checks a store for, and what wrappers forward. */
export const TOKEN_STORE_VERBS = ["createSession", "openReusableSession", "rotateToken", "findSession", "touchSession", "revokeSession", "revokeSubject", "listSessions", "prune"] as const satisfies readonly (keyof TokenStore)[];

/** One verb of the port. */
export type TokenStoreVerb = (typeof TOKEN_STORE_VERBS)[number];

/** @internal */
// Compile-time proof that the list above names every method of the port: adding a verb to
// TokenStore without listing it here fails the build.
type Unlisted = Exclude<keyof TokenStore, TokenStoreVerb | "guarantees">;
export const EVERY_VERB_LISTED: [Unlisted] extends [never] ? true : Unlisted = true;
