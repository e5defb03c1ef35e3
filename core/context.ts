// What every verb of the service shares: the resolved options, the clock, events, the store
// under its timeout, and the two things made the same way everywhere: a new session record
// and the token set handed to the client.
import { signAccessToken } from "./access-token.js";
import { constantTimeEqual } from "./crypto.js";
import { TokenError } from "./errors.js";
import type { TokenEvent } from "./events.js";
import type { ResolvedOptions } from "./options.js";
import type { SessionRecord, TokenStore } from "./port.js";
import type { RefreshKey } from "./refresh-keys.js";
import { formatRefreshToken, hashFamilyProof, hashToken, type RefreshTokenParts } from "./refresh-token.js";
import { plusSeconds, sooner } from "./session.js";
import { createStoreCaller, type StoreCaller } from "./store-call.js";
import type { IssueInput, TokenSet } from "./types.js";

/** An event as a verb emits it: the session's subject and id are filled in from the session. */
type EventDetail<E = TokenEvent> = E extends TokenEvent ? Omit<E, "subject" | "sessionId" | "at"> : never;

export interface ServiceContext {
	readonly config: Readonly<ResolvedOptions>;
	readonly store: TokenStore;
	readonly storeCall: StoreCaller;
	/** The injected clock's time, checked to be a valid Date. */
	now(): Date;
	/** Sends an event to `onEvent`; a listener that throws changes nothing. */
	emit(detail: EventDetail, session: { subject: string; id: string }, at: Date): void;
	/** The record of a session opened at `at` whose first token is `parts`. */
	newSession(input: IssueInput, at: Date, parts: RefreshTokenParts): SessionRecord;
	/** Signs an access token for `session` and pairs it with the refresh token `parts`. */
	tokenSet(session: SessionRecord, parts: RefreshTokenParts, at: Date): Promise<TokenSet>;
	/** `now + idleTtl`, or null without an idle limit. */
	idleExpiry(at: Date): Date | null;
	/**
	 * The refresh key a presented token's hash is keyed with (null: a v1 token, accepted in rotate
	 * mode until its next rotation unless `refresh.acceptV1Tokens` is false). A token keyed by a
	 * secret no longer listed, and a v1 token in reuse mode (derived before refresh.secret existed),
	 * is `ERR_TOKEN_EXPIRED`.
	 */
	keyOf(parts: RefreshTokenParts): RefreshKey | null;
	/** `tokenHash` of a token whose key {@link keyOf} resolved. */
	hashOf(parts: RefreshTokenParts, key: RefreshKey | null): Uint8Array;
	/** The family proof shows the token was really issued for this session (not a forgery naming its id). */
	isGenuine(session: SessionRecord, parts: RefreshTokenParts): boolean;
	/** Genuine, and the session's current token (`parts` keyed by `key`). */
	isCurrentToken(session: SessionRecord, parts: RefreshTokenParts, key: RefreshKey | null): boolean;
}

export function createContext(config: Readonly<ResolvedOptions>): ServiceContext {
	const { clock } = config;

	function idleExpiry(at: Date): Date | null {
		return config.idleTtl === null ? null : plusSeconds(at, config.idleTtl);
	}

	function keyOf(parts: RefreshTokenParts): RefreshKey | null {
		if (parts.keyId === null) {
			if (config.mode === "rotate" && config.acceptV1Tokens) return null;
			throw new TokenError("ERR_TOKEN_EXPIRED", "refresh token predates refresh.secret; log in again");
		}
		const key = config.refreshKeys.byId.get(parts.keyId);
		if (key === undefined) throw new TokenError("ERR_TOKEN_EXPIRED", "refresh token was issued under a refresh.secret that is no longer configured");
		return key;
	}

	function isGenuine(session: SessionRecord, parts: RefreshTokenParts): boolean {
		return constantTimeEqual(hashFamilyProof(parts.familyProof), session.familyHash);
	}

	return {
		config,
		store: config.store,
		storeCall: createStoreCaller(config.storeTimeoutMs),
		now(): Date {
			const date = clock.now();
			if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new TokenError("ERR_CONFIG_INVALID", "clock.now() must return a valid Date");
			return date;
		},
		emit(detail: EventDetail, session: { subject: string; id: string }, at: Date): void {
			if (config.onEvent === null) return;
			try {
				config.onEvent({ ...detail, subject: session.subject, sessionId: session.id, at } as TokenEvent);
			} catch {
				// A broken listener must not turn a successful rotation into a failure the client retries.
			}
		},
		newSession(input: IssueInput, at: Date, parts: RefreshTokenParts): SessionRecord {
			const absoluteExpiresAt = config.absoluteTtl === null ? null : plusSeconds(at, config.absoluteTtl);
			return {
				id: parts.sessionId,
				subject: input.subject,
				device: input.device ?? null,
				// Already a private copy of plain JSON data (normalizeIssueInput).
				claims: input.claims ?? null,
				mode: config.mode,
				familyHash: hashFamilyProof(parts.familyProof),
				tokenHash: hashToken(keyOf(parts), parts.familyProof, parts.secret),
				previousHash: null,
				sealedSuccessor: null,
				rotatedAt: null,
				generation: 0,
				createdAt: at,
				lastUsedAt: at,
				// An absolute lifetime shorter than the idle one caps the very first expiry too.
				expiresAt: sooner(idleExpiry(at), absoluteExpiresAt),
				absoluteExpiresAt,
				revokedAt: null,
			};
		},
		async tokenSet(session: SessionRecord, parts: RefreshTokenParts, at: Date): Promise<TokenSet> {
			const issuedAt = Math.floor(at.getTime() / 1000);
			let expiresAt = issuedAt + config.accessTokenTtl;
			// An access token never outlives the session that minted it.
			if (session.expiresAt !== null) expiresAt = Math.max(issuedAt + 1, Math.min(expiresAt, Math.ceil(session.expiresAt.getTime() / 1000)));
			const accessToken = await signAccessToken(config.ring, config, {
				subject: session.subject,
				sessionId: session.id,
				claims: session.claims,
				issuedAt,
				expiresAt,
			});
			return {
				accessToken,
				tokenType: "Bearer",
				expiresIn: expiresAt - issuedAt,
				refreshToken: formatRefreshToken(parts),
				refreshTokenExpiresAt: session.expiresAt,
				sessionId: session.id,
			};
		},
		idleExpiry,
		keyOf,
		hashOf(parts: RefreshTokenParts, key: RefreshKey | null): Uint8Array {
			return hashToken(key, parts.familyProof, parts.secret);
		},
		isGenuine,
		isCurrentToken(session: SessionRecord, parts: RefreshTokenParts, key: RefreshKey | null): boolean {
			return isGenuine(session, parts) && constantTimeEqual(hashToken(key, parts.familyProof, parts.secret), session.tokenHash);
		},
	};
}
