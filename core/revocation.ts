// Ending sessions: by refresh token (logout, RFC 7009), by id, or every session of a subject.
import type { ServiceContext } from "./context.js";
import { constantTimeEqual } from "./crypto.js";
import { TokenError } from "./errors.js";
import type { RevocationReason } from "./events.js";
import { parseRefreshToken } from "./refresh-token.js";
import { isSessionId, isUnexpiredAt } from "./session.js";
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
	// A v1 token is accepted here in either mode, so that a logout still works for it.
	const key = parts.keyId === null ? null : context.config.refreshKeys.byId.get(parts.keyId);
	if (key === undefined) return;
	const session = await context.storeCall("findSession", () => context.store.findSession(parts.sessionId));
	if (session === null || session.revokedAt !== null || !context.isGenuine(session, parts)) return;
	const at = context.now();
	const presentedHash = context.hashOf(parts, key);
	if (constantTimeEqual(presentedHash, session.tokenHash) || isGracePredecessor(context, session, presentedHash, at)) {
		await revokeById(context, session.id, "logout");
		return;
	}
	// A retired token of a session that has expired anyway changes nothing.
	if (isUnexpiredAt(session, at)) await respondToReuse(context, session, at);
}

export async function revokeSessionById(context: ServiceContext, sessionId: string): Promise<boolean> {
	if (typeof sessionId !== "string" || sessionId.length === 0) throw new TokenError("ERR_INPUT_INVALID", "sessionId must be a non-empty string");
	if (!isSessionId(sessionId)) return false;
	return revokeById(context, sessionId.toLowerCase(), "admin");
}

export async function revokeAllOfSubject(context: ServiceContext, subject: string): Promise<number> {
	validateSubject(subject);
	const at = context.now();
	const ids = await context.storeCall("revokeSubject", () => context.store.revokeSubject(subject, at));
	for (const id of ids) context.emit({ type: "revoked", reason: "subject" }, { subject, id }, at);
	return ids.length;
}

async function revokeById(context: ServiceContext, sessionId: string, reason: RevocationReason): Promise<boolean> {
	const at = context.now();
	const revoked = await context.storeCall("revokeSession", () => context.store.revokeSession(sessionId, at));
	if (revoked === null) return false;
	context.emit({ type: "revoked", reason }, revoked, at);
	return true;
}
