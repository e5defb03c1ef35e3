// Ending sessions: by refresh token (logout, RFC 7009), by id, or every session of a subject.
import type { ServiceContext } from "./context.js";
import { constantTimeEqual } from "./crypto.js";
import { TokenError } from "./errors.js";
import type { RevocationReason } from "./events.js";
import { parseRefreshToken } from "./refresh-token.js";
import { isSessionId, isUnexpiredAt } from "./session.js";
import { findLiveSession, subjectOption } from "./session-lookup.js";
import { MAX_LIST_LIMIT, type RevokeSessionOptions, type RevokeSubjectOptions } from "./types.js";
import { validateSubject } from "./validate.js";
import { isGracePredecessor, respondToReuse } from "./verdict.js";

/**
 * Logout with a refresh token. The session's current token (or its predecessor inside the grace
 * window: a client that logs out while a concurrent refresh lands) ends the session. Any other
 * genuine token of a live session is a retired one: that is reuse, and `refresh.onReuse`
 * decides, exactly as for an exchange; under "report-only" a retired token ends nothing.
 * RFC 7009 §2.2: an invalid or unknown token is not an error.
 */
export async function revokeByToken(context: ServiceContext, refreshToken: string): Promise<void> {
	const parts = parseRefreshToken(refreshToken);
	if (parts === null) return;
	// A v1 token of a rotate-mode session is accepted here in either mode (unless acceptV1Tokens is
	// false), so that a logout still works for it; one of a reuse-mode session never is: v1 derived
	// those from the signing key, which verifiers may hold, and they must not end sessions with it.
	const key = parts.keyId === null ? (context.config.acceptV1Tokens ? null : undefined) : context.config.refreshKeys.byId.get(parts.keyId);
	if (key === undefined) return;
	const session = await context.storeCall("findSession", () => context.store.findSession(parts.sessionId));
	if (session === null || session.revokedAt !== null || !context.isGenuine(session, parts)) return;
	if (key === null && session.mode === "reuse") return;
	const at = context.now();
	const presentedHash = context.hashOf(parts, key);
	if (constantTimeEqual(presentedHash, session.tokenHash) || isGracePredecessor(context, session, presentedHash, at)) {
		await revokeById(context, session.id, "logout");
		return;
	}
	// A retired token of a session that has expired anyway changes nothing.
	if (isUnexpiredAt(session, at)) await respondToReuse(context, session, at);
}

/**
 * `revokeSession(id, { subject? })`. With `subject`, only a live session of that subject is
 * revoked (a user ending one of their own sessions): someone else's session, an unknown id and an
 * ended session all answer false after the same one store lookup. A session's subject never
 * changes, so the check cannot go stale before the revocation it guards.
 */
export async function revokeSessionById(context: ServiceContext, sessionId: string, options: RevokeSessionOptions = {}): Promise<boolean> {
	if (typeof sessionId !== "string" || sessionId.length === 0) throw new TokenError("ERR_INPUT_INVALID", "sessionId must be a non-empty string");
	const owner = subjectOption("revokeSession", options);
	if (!isSessionId(sessionId)) return false;
	const id = sessionId.toLowerCase();
	if (owner !== undefined && (await findLiveSession(context, id, owner)) === null) return false;
	return revokeById(context, id, "admin");
}

/** `revokeSubject(subject, { except? })` -> the number of sessions this call revoked. */
export async function revokeAllOfSubject(context: ServiceContext, subject: string, options: RevokeSubjectOptions = {}): Promise<number> {
	validateSubject(subject);
	const keep = keptSessionOf(options);
	if (keep !== undefined) return revokeAllBut(context, subject, keep);
	const at = context.now();
	const ids = await context.storeCall("revokeSubject", () => context.store.revokeSubject(subject, at));
	for (const id of ids) context.emit({ type: "revoked", reason: "subject" }, { subject, id }, at);
	return ids.length;
}

/**
 * "Sign out everywhere except here", over the port's listSessions and revokeSession rather than a
 * new verb, so every store has it. Correct under concurrency: a session's id and subject never
 * change, and the store's revokeSession is atomic and hands the session only to the call that
 * revoked it, so the kept session is never written, no session is counted or announced twice
 * (not even against a concurrent revokeSubject), and a login that lands while this runs is in the
 * position of one that lands just after a single statement would have run. Not all-or-nothing: a
 * store failure midway throws ERR_STORE_UNAVAILABLE with some sessions revoked; calling again
 * finishes the job. Pages of MAX_LIST_LIMIT: revoked sessions leave the live list, so each page
 * is new ones; a page where this call revoked nothing ends it (no progress to make).
 */
async function revokeAllBut(context: ServiceContext, subject: string, keep: string): Promise<number> {
	let total = 0;
	for (;;) {
		const at = context.now();
		const live = await context.storeCall("listSessions", () => context.store.listSessions(subject, at, MAX_LIST_LIMIT));
		let revoked = 0;
		for (const session of live) {
			if (session.id !== keep && (await revokeById(context, session.id, "subject"))) revoked++;
		}
		total += revoked;
		if (live.length < MAX_LIST_LIMIT || revoked === 0) return total;
	}
}

function keptSessionOf(options: RevokeSubjectOptions): string | undefined {
	if (typeof options !== "object" || options === null) throw new TokenError("ERR_INPUT_INVALID", "revokeSubject: options must be { except? }");
	const { except } = options;
	if (except === undefined) return undefined;
	// Anything but a session id would exclude nothing and silently sign the caller out too.
	if (!isSessionId(except)) throw new TokenError("ERR_INPUT_INVALID", "revokeSubject: except must be a session id (the sid claim)");
	return except.toLowerCase();
}

async function revokeById(context: ServiceContext, sessionId: string, reason: RevocationReason): Promise<boolean> {
	const at = context.now();
	const revoked = await context.storeCall("revokeSession", () => context.store.revokeSession(sessionId, at));
	if (revoked === null) return false;
	context.emit({ type: "revoked", reason }, revoked, at);
	return true;
}
