// What a presented refresh token that was not (or could not be) rotated means: unknown,
// revoked, expired, a grace replay of the current successor, or reuse (RFC 9700 §4.14).
import type { ServiceContext } from "./context.js";
import { constantTimeEqual } from "./crypto.js";
import { TokenError } from "./errors.js";
import type { SessionRecord } from "./port.js";
import { type RefreshTokenParts, unsealSuccessor } from "./refresh-token.js";
import { isUnexpiredAt } from "./session.js";
import type { TokenSet } from "./types.js";

/**
 * The verdict on `parts` given the session as the store saw it. "stale" means the store's
 * view shows the token as current although it did not rotate it: the view predates a
 * concurrent change, and the caller should ask again.
 */
export async function settleUnrotated(context: ServiceContext, session: SessionRecord | null, parts: RefreshTokenParts, presentedHash: Uint8Array, at: Date): Promise<TokenSet | "stale"> {
	if (session === null || !context.isGenuine(session, parts)) {
		throw new TokenError("ERR_TOKEN_UNKNOWN", "refresh token is not recognised");
	}
	if (session.revokedAt !== null) throw new TokenError("ERR_TOKEN_REVOKED", "the session of this refresh token was revoked");
	if (!isUnexpiredAt(session, at)) {
		context.emit({ type: "expired" }, session, at);
		throw new TokenError("ERR_TOKEN_EXPIRED", "refresh token has expired");
	}
	if (constantTimeEqual(presentedHash, session.tokenHash)) return "stale";
	if (isGracePredecessor(context, session, presentedHash, at)) {
		const successor = session.sealedSuccessor === null ? null : unsealSuccessor(context.config.refreshKeys, session.sealedSuccessor, parts, session.tokenHash);
		if (successor !== null) {
			context.emit({ type: "grace-replayed", generation: session.generation }, session, at);
			return context.tokenSet(session, successor, at);
		}
		// The presenter holds the genuine predecessor inside the window, as a concurrent client
		// does, but the successor cannot be reopened: it was sealed before the upgrade to sealed
		// v2 seals, or under a refresh.secret removed since. Refuse it without treating it as theft.
		throw new TokenError("ERR_TOKEN_REUSED", "refresh token was already rotated and its successor can no longer be handed out; use the newest token");
	}
	await respondToReuse(context, session, at);
	throw new TokenError("ERR_TOKEN_REUSED", "refresh token was already used; reuse detected");
}

/** The presented hash is the token the current one replaced, and that rotation is younger than `reuseGrace`. */
export function isGracePredecessor(context: ServiceContext, session: SessionRecord, presentedHash: Uint8Array, at: Date): boolean {
	return session.previousHash !== null && session.rotatedAt !== null && constantTimeEqual(presentedHash, session.previousHash) && at.getTime() - session.rotatedAt.getTime() < context.config.reuseGrace * 1000;
}

/** Applies `refresh.onReuse` to a session whose retired token was presented. */
export async function respondToReuse(context: ServiceContext, session: SessionRecord, at: Date): Promise<void> {
	const { config, store, storeCall } = context;
	context.emit({ type: "reuse-detected", action: config.onReuse }, session, at);
	// RFC 9700 §4.14.2: a replayed refresh token revokes the active one.
	if (config.onReuse === "revoke-session") {
		const revoked = await storeCall("revokeSession", () => store.revokeSession(session.id, at));
		if (revoked !== null) context.emit({ type: "revoked", reason: "reuse" }, revoked, at);
	} else if (config.onReuse === "revoke-subject") {
		const ids = await storeCall("revokeSubject", () => store.revokeSubject(session.subject, at));
		for (const id of ids) context.emit({ type: "revoked", reason: "reuse" }, { subject: session.subject, id }, at);
	}
}
