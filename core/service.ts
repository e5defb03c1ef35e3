// createTokenService: the public face of the core. Each verb lives in its own module
// (rotation, reuse mode, verdicts, revocation); this file wires them to one context.
import { createAccessTokenVerifier } from "./access-token.js";
import { parseDuration } from "./clock.js";
import { createContext, type ServiceContext } from "./context.js";
import { isTokenError, TokenError } from "./errors.js";
import { type JSONWebKeySet, publicKeySet } from "./keys.js";
import { resolveOptions, type TokenServiceOptions } from "./options.js";
import { newFamilyProof, newSecret, newSessionId, parseRefreshToken } from "./refresh-token.js";
import { exchangeReusable, issueReusable } from "./reuse-mode.js";
import { revokeAllOfSubject, revokeByToken, revokeSessionById } from "./revocation.js";
import { exchangeRotating } from "./rotation.js";
import { plusSeconds } from "./session.js";
import { getSessionById, toSessionInfo } from "./session-lookup.js";
import {
	DEFAULT_LIST_LIMIT,
	type GetSessionOptions,
	type IssueInput,
	type ListSessionsOptions,
	MAX_LIST_LIMIT,
	type PruneOptions,
	type RevokeSessionOptions,
	type RevokeSubjectOptions,
	type SessionInfo,
	type TokenService,
	type TokenSet,
} from "./types.js";
import { normalizeIssueInput, validateSubject } from "./validate.js";

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
	const context = createContext(config);
	const verify = createAccessTokenVerifier(config.ring, {
		issuer: config.issuer,
		audience: config.audience,
		clockTolerance: config.clockTolerance,
		now: () => context.now(),
	});
	return {
		issue: (input: IssueInput) => issue(context, input),
		exchange: (refreshToken: string) => exchange(context, refreshToken),
		verify,
		revoke: (refreshToken: string) => revokeByToken(context, refreshToken),
		revokeSession: (sessionId: string, options?: RevokeSessionOptions) => revokeSessionById(context, sessionId, options),
		revokeSubject: (subject: string, options?: RevokeSubjectOptions) => revokeAllOfSubject(context, subject, options),
		listSessions: (subject: string, options?: ListSessionsOptions) => listSessions(context, subject, options),
		getSession: (sessionId: string, options?: GetSessionOptions) => getSessionById(context, sessionId, options),
		jwks: async function jwks(): Promise<JSONWebKeySet> {
			return publicKeySet(config.ring);
		},
		prune: (pruneOptions?: PruneOptions) => prune(context, pruneOptions),
	};
}

async function issue(context: ServiceContext, rawInput: IssueInput): Promise<TokenSet> {
	const input = normalizeIssueInput(rawInput);
	const at = context.now();
	const tokens = context.config.mode === "reuse" ? await issueReusable(context, input, at) : await issueRotating(context, input, at);
	if (context.config.maxSessionsPerSubject !== null) await enforceSessionLimit(context, input.subject, tokens.sessionId, context.config.maxSessionsPerSubject);
	return tokens;
}

async function issueRotating(context: ServiceContext, input: IssueInput, at: Date): Promise<TokenSet> {
	const parts = { sessionId: newSessionId(), keyId: context.config.refreshKeys.current.id, familyProof: newFamilyProof(), secret: newSecret() };
	const session = context.newSession(input, at, parts);
	// Sign first: a key that cannot sign must fail before a session nobody can hold is stored.
	const tokens = await context.tokenSet(session, parts, at);
	await context.storeCall("createSession", () => context.store.createSession(session));
	context.emit({ type: "issued", reused: false }, session, at);
	return tokens;
}

/**
 * `refresh.maxSessionsPerSubject`: after a login, the subject's oldest live sessions beyond the
 * limit are revoked. Concurrent logins converge (the last to look trims what the others left);
 * a store failure here does not undo the login that already succeeded, and the next login trims.
 */
async function enforceSessionLimit(context: ServiceContext, subject: string, keep: string, limit: number): Promise<void> {
	const { store, storeCall } = context;
	try {
		const at = context.now();
		const live = await storeCall("listSessions", () => store.listSessions(subject, at, MAX_LIST_LIMIT));
		const excess = live.filter((session) => session.id !== keep).slice(0, Math.max(0, live.length - limit));
		for (const session of excess) {
			const revoked = await storeCall("revokeSession", () => store.revokeSession(session.id, at));
			if (revoked !== null) context.emit({ type: "revoked", reason: "session-limit" }, revoked, at);
		}
	} catch (error) {
		if (!isTokenError(error, "ERR_STORE_UNAVAILABLE")) throw error;
	}
}

async function exchange(context: ServiceContext, refreshToken: string): Promise<TokenSet> {
	const parts = parseRefreshToken(refreshToken);
	if (parts === null) throw new TokenError("ERR_TOKEN_MALFORMED", "not a refresh token issued by refresh-kit");
	return context.config.mode === "reuse" ? exchangeReusable(context, parts) : exchangeRotating(context, parts);
}

async function listSessions(context: ServiceContext, subject: string, options: ListSessionsOptions = {}): Promise<SessionInfo[]> {
	validateSubject(subject);
	const limit = options.limit ?? DEFAULT_LIST_LIMIT;
	if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
		throw new TokenError("ERR_INPUT_INVALID", `listSessions: limit must be an integer from 1 to ${MAX_LIST_LIMIT}`);
	}
	const sessions = await context.storeCall("listSessions", () => context.store.listSessions(subject, context.now(), limit));
	return sessions.map(toSessionInfo);
}

async function prune(context: ServiceContext, options: PruneOptions = {}): Promise<number> {
	const retention = parseDuration(options.retention ?? "7d");
	const limit = options.batchSize ?? 1000;
	if (retention === null) throw new TokenError("ERR_INPUT_INVALID", "prune: retention must be a duration");
	if (!Number.isSafeInteger(limit) || limit < 1) throw new TokenError("ERR_INPUT_INVALID", "prune: batchSize must be a positive integer");
	const before = plusSeconds(context.now(), -retention);
	let total = 0;
	for (;;) {
		const deleted = await context.storeCall("prune", () => context.store.prune({ before, limit }));
		total += deleted;
		if (deleted < limit) return total;
	}
}
