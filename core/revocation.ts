// Ending sessions: by refresh token (logout, RFC 7009), by id, or every session of a subject.
import type { ServiceContext } from "./context.js";
import type { RevocationReason } from "./events.js";
import { parseRefreshToken } from "./refresh-token.js";
import { isSessionId } from "./session.js";
import { validateSubject } from "./validate.js";
import { TokenError } from "./errors.js";

export async function revokeByToken(context: ServiceContext, refreshToken: string): Promise<void> {
	// RFC 7009 §2.2: an invalid or unknown token is not an error.
	const parts = parseRefreshToken(refreshToken);
	if (parts === null) return;
	const session = await context.storeCall("findSession", () => context.store.findSession(parts.sessionId));
	if (session === null || !context.isGenuine(session, parts)) return;
	await revokeById(context, session.id, "logout");
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
