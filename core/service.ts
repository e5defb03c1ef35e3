import type { SessionRecord, TokenStore } from "../storage/port.js";
import { createAccessTokenVerifier, RESERVED_CLAIMS, signAccessToken, type AccessClaims } from "./access-token.js";
import { constantTimeEqual } from "./crypto.js";
import { TokenError } from "./errors.js";
import type { RevocationReason, TokenEvent } from "./events.js";
import { publicKeySet, type JSONWebKeySet } from "./keys.js";
import { resolveOptions, type ResolvedOptions, type TokenServiceOptions } from "./options.js";
import {
	deriveReusableToken,
	formatRefreshToken,
	hashSecret,
	hashToken,
	newFamilyProof,
	newSecret,
	newSessionId,
	parseRefreshToken,
	sealSuccessor,
	unsealSuccessor,
	type RefreshTokenParts,
} from "./refresh-token.js";
import { parseDuration, type Duration } from "./clock.js";

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
	/** A label for the device or client; with `subject`, the key reuse mode hands the same token back for. */
	device?: string;
}

/** A live session, as `listSessions` shows it. */
export interface SessionInfo {
	id: string;
	device: string | null;
	createdAt: Date;
	lastUsedAt: Date;
	expiresAt: Date | null;
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
	revokeSession(sessionId: string): Promise<boolean>;
	revokeSubject(subject: string): Promise<number>;
	listSessions(subject: string): Promise<SessionInfo[]>;
	jwks(): Promise<JSONWebKeySet>;
	prune(options?: PruneOptions): Promise<number>;
}

const MAX_SUBJECT_LENGTH = 1024;
const MAX_DEVICE_LENGTH = 256;
const MAX_CLAIMS_BYTES = 8192;
const ROTATION_ATTEMPTS = 3;

/**
 * Creates the token service: issue, exchange (rotate or reuse), verify and revoke.
 * Validates every option up front and throws `ERR_CONFIG_INVALID` on the first problem.
 *
 * @example
 * ```ts
 * import { createTokenService } from "refresh-kit";
 * import { memoryStore } from "refresh-kit/storage/memory";
 *
 * const service = createTokenService({
 *   store: memoryStore(),
 *   keys: { secret: process.env.AUTH_SECRET! }, // ≥ 32 bytes
 *   issuer: "https://auth.example.com",
 *   audience: "https://api.example.com",
 * });
 * const tokens = await service.issue({ subject: "user-1" });
 * const next = await service.exchange(tokens.refreshToken);   // rotates
 * const claims = await service.verify(next.accessToken);      // { sub: "user-1", sid, … }
 * ```
 */
export function createTokenService(options: TokenServiceOptions): TokenService {
	const config = resolveOptions(options);
	const { store, clock } = config;
	const verifyAccessToken = createAccessTokenVerifier(config.ring, {
		issuer: config.issuer,
		audience: config.audience,
		clockTolerance: config.clockTolerance,
		now: () => clock.now(),
	});
	const storeCall = createStoreCaller(config.storeTimeoutMs);

	function now(): Date {
		const date = clock.now();
		if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new TokenError("ERR_CONFIG_INVALID", "clock.now() must return a valid Date");
		return date;
	}

	function emit(type: TokenEvent["type"], session: { subject: string; id: string }, at: Date, extra?: Partial<TokenEvent>): void {
		if (config.onEvent === null) return;
		try {
			config.onEvent({ type, subject: session.subject, sessionId: session.id, at, ...extra });
		} catch {
			// A broken listener must not turn a successful rotation into a failure the client retries.
		}
	}

	async function tokenSet(session: SessionRecord, parts: RefreshTokenParts, at: Date): Promise<TokenSet> {
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
	}

	function newSession(input: IssueInput, at: Date, id: string, familyProof: Uint8Array, secret: Uint8Array): SessionRecord {
		const absoluteExpiresAt = config.absoluteTtl === null ? null : plusSeconds(at, config.absoluteTtl);
		return {
			id,
			subject: input.subject,
			device: input.device ?? null,
			claims: input.claims === undefined ? null : { ...input.claims },
			mode: config.mode,
			familyHash: hashSecret(familyProof),
			tokenHash: hashToken(familyProof, secret),
			previousHash: null,
			sealedSuccessor: null,
			rotatedAt: null,
			generation: 0,
			createdAt: at,
			lastUsedAt: at,
			expiresAt: sooner(config.idleTtl === null ? null : plusSeconds(at, config.idleTtl), absoluteExpiresAt),
			absoluteExpiresAt,
			revokedAt: null,
		};
	}

	async function issue(input: IssueInput): Promise<TokenSet> {
		validateIssueInput(input);
		const at = now();
		if (config.mode === "reuse") return issueReusable(input, at);
		const parts = { sessionId: newSessionId(), familyProof: newFamilyProof(), secret: newSecret() };
		const session = newSession(input, at, parts.sessionId, parts.familyProof, parts.secret);
		// Sign first: a key that cannot sign must fail before a session nobody can hold is stored.
		const tokens = await tokenSet(session, parts, at);
		await storeCall("createSession", () => store.createSession(session));
		emit("issued", session, at);
		return tokens;
	}

	async function issueReusable(input: IssueInput, at: Date): Promise<TokenSet> {
		for (let attempt = 0; attempt < 2; attempt++) {
			const fresh = deriveReusableToken(config.reuseKey, newSessionId());
			const candidate = newSession(input, at, fresh.sessionId, fresh.familyProof, fresh.secret);
			const session = await storeCall("openReusableSession", () => store.openReusableSession(candidate));
			if (session.id === candidate.id) {
				emit("issued", session, at, { reused: false });
				return tokenSet(session, fresh, at);
			}
			const parts = deriveReusableToken(config.reuseKey, session.id);
			if (isCurrentToken(session, parts)) {
				const touched = await slideIdleExpiry(session, at);
				emit("issued", touched, at, { reused: true });
				return tokenSet(touched, parts, at);
			}
			// The live session's token is not the one this key derives (the key changed, or the
			// session was rotated while the service ran in rotate mode): nobody can be handed it,
			// so retire it rather than keep a session no login can reach.
			if ((await storeCall("revokeSession", () => store.revokeSession(session.id, at))) !== null) {
				emit("revoked", session, at, { reason: "admin" });
			}
		}
		throw new TokenError("ERR_STORE_UNAVAILABLE", "could not open a reuse-mode session: the store keeps returning one this service cannot hand back");
	}

	async function slideIdleExpiry(session: SessionRecord, at: Date): Promise<SessionRecord> {
		if (at.getTime() - session.lastUsedAt.getTime() < config.touchInterval * 1000) return session;
		const idleExpiresAt = config.idleTtl === null ? null : plusSeconds(at, config.idleTtl);
		await storeCall("touchSession", () => store.touchSession({ sessionId: session.id, now: at, idleExpiresAt }));
		return { ...session, lastUsedAt: at, expiresAt: sooner(idleExpiresAt, session.absoluteExpiresAt) };
	}

	async function exchange(refreshToken: string): Promise<TokenSet> {
		const parts = parseRefreshToken(refreshToken);
		if (parts === null) throw new TokenError("ERR_TOKEN_MALFORMED", "not a refresh token issued by refresh-kit");
		return config.mode === "reuse" ? exchangeReusable(parts) : exchangeRotating(parts);
	}

	async function exchangeRotating(parts: RefreshTokenParts): Promise<TokenSet> {
		const presentedHash = hashToken(parts.familyProof, parts.secret);
		for (let attempt = 1; ; attempt++) {
			const at = now();
			const successor = newSecret();
			const successorHash = hashToken(parts.familyProof, successor);
			const result = await storeCall("rotateToken", () =>
				store.rotateToken({
					sessionId: parts.sessionId,
					presentedHash,
					successorHash,
					sealedSuccessor: sealSuccessor(successor, parts.secret, successorHash),
					now: at,
					idleExpiresAt: config.idleTtl === null ? null : plusSeconds(at, config.idleTtl),
				}),
			);
			if (result.rotated) {
				emit("refreshed", result.session, at, { generation: result.session.generation });
				return tokenSet(result.session, { ...parts, secret: successor }, at);
			}
			const outcome = await settleUnrotated(result.session, parts, presentedHash, at);
			if (outcome !== "stale") return outcome;
			if (attempt === ROTATION_ATTEMPTS) {
				throw new TokenError("ERR_STORE_UNAVAILABLE", "the store reports the token as current but would not rotate it");
			}
		}
	}

	async function exchangeReusable(parts: RefreshTokenParts): Promise<TokenSet> {
		const at = now();
		const session = await storeCall("findSession", () => store.findSession(parts.sessionId));
		const presentedHash = hashToken(parts.familyProof, parts.secret);
		if (session !== null && session.revokedAt === null && isLiveAt(session, at) && isGenuine(session, parts) && constantTimeEqual(presentedHash, session.tokenHash)) {
			return tokenSet(await slideIdleExpiry(session, at), parts, at);
		}
		const outcome = await settleUnrotated(session, parts, presentedHash, at);
		// A current token of a live session was handled above, so "stale" cannot happen here.
		if (outcome === "stale") throw new TokenError("ERR_STORE_UNAVAILABLE", "inconsistent session state");
		return outcome;
	}

	/**
	 * Decides what a token that was not (or could not be) rotated means: unknown, revoked,
	 * expired, a grace replay of the current successor, or reuse. "stale" means the store's
	 * view predates a concurrent change and the caller should ask again.
	 */
	async function settleUnrotated(session: SessionRecord | null, parts: RefreshTokenParts, presentedHash: Uint8Array, at: Date): Promise<TokenSet | "stale"> {
		if (session === null || !isGenuine(session, parts)) {
			throw new TokenError("ERR_TOKEN_UNKNOWN", "refresh token is not recognised");
		}
		if (session.revokedAt !== null) throw new TokenError("ERR_TOKEN_REVOKED", "the session of this refresh token was revoked");
		if (!isLiveAt(session, at)) {
			emit("expired", session, at);
			throw new TokenError("ERR_TOKEN_EXPIRED", "refresh token has expired");
		}
		if (constantTimeEqual(presentedHash, session.tokenHash)) return "stale";
		const isPrevious = session.previousHash !== null && constantTimeEqual(presentedHash, session.previousHash);
		if (isPrevious && session.rotatedAt !== null && session.sealedSuccessor !== null && at.getTime() - session.rotatedAt.getTime() < config.reuseGrace * 1000) {
			const successor = unsealSuccessor(session.sealedSuccessor, parts, session.tokenHash);
			if (successor !== null) {
				emit("grace-replayed", session, at, { generation: session.generation });
				return tokenSet(session, { ...parts, secret: successor }, at);
			}
		}
		await respondToReuse(session, at);
		throw new TokenError("ERR_TOKEN_REUSED", "refresh token was already used; reuse detected");
	}

	async function respondToReuse(session: SessionRecord, at: Date): Promise<void> {
		emit("reuse-detected", session, at, { action: config.onReuse });
		// RFC 9700 §4.14.2: a replayed refresh token revokes the active one.
		if (config.onReuse === "revoke-session") {
			const revoked = await storeCall("revokeSession", () => store.revokeSession(session.id, at));
			if (revoked !== null) emit("revoked", revoked, at, { reason: "reuse" });
		} else if (config.onReuse === "revoke-subject") {
			const ids = await storeCall("revokeSubject", () => store.revokeSubject(session.subject, at));
			for (const id of ids) emit("revoked", { subject: session.subject, id }, at, { reason: "reuse" });
		}
	}

	/** The family proof shows the token was really issued for this session (not a forgery naming its id). */
	function isGenuine(session: SessionRecord, parts: RefreshTokenParts): boolean {
		return constantTimeEqual(hashSecret(parts.familyProof), session.familyHash);
	}

	function isCurrentToken(session: SessionRecord, parts: RefreshTokenParts): boolean {
		return isGenuine(session, parts) && constantTimeEqual(hashToken(parts.familyProof, parts.secret), session.tokenHash);
	}

	async function revoke(refreshToken: string): Promise<void> {
		// RFC 7009 §2.2: an invalid or unknown token is not an error.
		const parts = parseRefreshToken(refreshToken);
		if (parts === null) return;
		const session = await storeCall("findSession", () => store.findSession(parts.sessionId));
		if (session === null || !isGenuine(session, parts)) return;
		await revokeById(session.id, "logout");
	}

	async function revokeById(sessionId: string, reason: RevocationReason): Promise<boolean> {
		const at = now();
		const revoked = await storeCall("revokeSession", () => store.revokeSession(sessionId, at));
		if (revoked === null) return false;
		emit("revoked", revoked, at, { reason });
		return true;
	}

	async function revokeSession(sessionId: string): Promise<boolean> {
		if (typeof sessionId !== "string" || sessionId.length === 0) throw new TokenError("ERR_INPUT_INVALID", "sessionId must be a non-empty string");
		if (!UUID_PATTERN.test(sessionId)) return false;
		return revokeById(sessionId.toLowerCase(), "admin");
	}

	async function revokeSubject(subject: string): Promise<number> {
		validateSubject(subject);
		const at = now();
		const ids = await storeCall("revokeSubject", () => store.revokeSubject(subject, at));
		for (const id of ids) emit("revoked", { subject, id }, at, { reason: "subject" });
		return ids.length;
	}

	async function listSessions(subject: string): Promise<SessionInfo[]> {
		validateSubject(subject);
		const sessions = await storeCall("listSessions", () => store.listSessions(subject, now()));
		return sessions.map((session) => ({
			id: session.id,
			device: session.device,
			createdAt: session.createdAt,
			lastUsedAt: session.lastUsedAt,
			expiresAt: session.expiresAt,
		}));
	}

	async function prune(pruneOptions: PruneOptions = {}): Promise<number> {
		const retention = parseDuration(pruneOptions.retention ?? "7d");
		const limit = pruneOptions.batchSize ?? 1000;
		if (retention === null) throw new TokenError("ERR_INPUT_INVALID", "prune: retention must be a duration");
		if (!Number.isSafeInteger(limit) || limit < 1) throw new TokenError("ERR_INPUT_INVALID", "prune: batchSize must be a positive integer");
		const before = plusSeconds(now(), -retention);
		let total = 0;
		for (;;) {
			const deleted = await storeCall("prune", () => store.prune({ before, limit }));
			total += deleted;
			if (deleted < limit) return total;
		}
	}

	return {
		issue,
		exchange,
		verify: verifyAccessToken,
		revoke,
		revokeSession,
		revokeSubject,
		listSessions,
		jwks: async function jwks(): Promise<JSONWebKeySet> {
			return publicKeySet(config.ring);
		},
		prune,
	};
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Wraps store calls: any failure, and a call slower than the timeout, becomes ERR_STORE_UNAVAILABLE. */
function createStoreCaller(timeoutMs: number): <T>(operation: string, run: () => Promise<T>) => Promise<T> {
	return function storeCall<T>(operation: string, run: () => Promise<T>): Promise<T> {
		return new Promise<T>((resolve, reject) => {
			const timer = setTimeout(() => reject(new TokenError("ERR_STORE_UNAVAILABLE", `token store did not answer ${operation} within ${timeoutMs} ms`)), timeoutMs);
			function fail(cause: unknown): void {
				clearTimeout(timer);
				reject(cause instanceof TokenError && cause.code === "ERR_STORE_UNAVAILABLE" ? cause : new TokenError("ERR_STORE_UNAVAILABLE", `token store failed during ${operation}`, { cause }));
			}
			let pending: Promise<T>;
			try {
				pending = run();
			} catch (cause) {
				return fail(cause);
			}
			pending.then(function settle(value: T): void {
				clearTimeout(timer);
				resolve(value);
			}, fail);
		});
	};
}

// PostgreSQL text and jsonb cannot hold U+0000; refusing it here keeps every store's answer the same.
const NUL = "\u0000";

function validateSubject(subject: unknown): asserts subject is string {
	if (typeof subject !== "string" || subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH || subject.includes(NUL)) {
		throw new TokenError("ERR_INPUT_INVALID", `subject must be a non-empty string of at most ${MAX_SUBJECT_LENGTH} characters, without NUL`);
	}
}

function validateIssueInput(input: IssueInput): void {
	if (typeof input !== "object" || input === null) throw new TokenError("ERR_INPUT_INVALID", "issue needs { subject, claims?, device? }");
	validateSubject(input.subject);
	if (input.device !== undefined && (typeof input.device !== "string" || input.device.length > MAX_DEVICE_LENGTH || input.device.includes(NUL))) {
		throw new TokenError("ERR_INPUT_INVALID", `device must be a string of at most ${MAX_DEVICE_LENGTH} characters, without NUL`);
	}
	if (input.claims === undefined) return;
	const claims = input.claims as unknown;
	if (typeof claims !== "object" || claims === null || Array.isArray(claims) || Object.getPrototypeOf(claims) !== Object.prototype) {
		throw new TokenError("ERR_INPUT_INVALID", "claims must be a plain object");
	}
	for (const name of Object.keys(claims)) {
		if (RESERVED_CLAIMS.has(name)) throw new TokenError("ERR_INPUT_INVALID", `claims may not set the registered claim "${name}"`);
	}
	let serialized: string;
	try {
		serialized = JSON.stringify(claims);
	} catch (cause) {
		throw new TokenError("ERR_INPUT_INVALID", "claims must be JSON-serializable", { cause });
	}
	if (serialized.length > MAX_CLAIMS_BYTES) throw new TokenError("ERR_INPUT_INVALID", `claims must serialize to at most ${MAX_CLAIMS_BYTES} bytes`);
	if (serialized.includes("\\u0000")) throw new TokenError("ERR_INPUT_INVALID", "claims must not contain NUL characters");
}

function isLiveAt(session: SessionRecord, at: Date): boolean {
	return session.expiresAt === null || session.expiresAt > at;
}

function plusSeconds(date: Date, seconds: number): Date {
	return new Date(date.getTime() + seconds * 1000);
}

function sooner(a: Date | null, b: Date | null): Date | null {
	if (a === null) return b;
	if (b === null) return a;
	return a < b ? a : b;
}
