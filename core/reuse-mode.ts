// Reuse mode: the tutorial's long-lived token, handed back at every login of the same subject
// and device and on every exchange. The token is derived from a server key and the session
// id, so it can be handed back without being stored.
import type { ServiceContext } from "./context.js";
import { constantTimeEqual } from "./crypto.js";
import { TokenError } from "./errors.js";
import type { SessionRecord } from "./port.js";
import { deriveReusableToken, newSessionId, type RefreshTokenParts } from "./refresh-token.js";
import { isLiveAt, sooner } from "./session.js";
import type { IssueInput, TokenSet } from "./types.js";
import { settleUnrotated } from "./verdict.js";

export async function issueReusable(context: ServiceContext, input: IssueInput, at: Date): Promise<TokenSet> {
	const { config, store, storeCall } = context;
	const key = config.refreshKeys.current;
	for (let attempt = 0; attempt < 2; attempt++) {
		const fresh = deriveReusableToken(key, newSessionId());
		const candidate = context.newSession(input, at, fresh);
		const session = await storeCall("openReusableSession", () => store.openReusableSession(candidate));
		if (session.id === candidate.id) {
			context.emit({ type: "issued", reused: false }, session, at);
			return context.tokenSet(session, fresh, at);
		}
		const parts = deriveReusableToken(key, session.id);
		if (context.isCurrentToken(session, parts, key)) {
			const touched = await slideIdleExpiry(context, session, at);
			context.emit({ type: "issued", reused: true }, touched, at);
			return context.tokenSet(touched, parts, at);
		}
		// The live session's token is not the one the current secret derives (it was derived from
		// an older refresh.secret, or before refresh.secret existed, or the session was rotated
		// while the service ran in rotate mode): retire it and open one under the current secret,
		// so a login during a secret rotation moves the device to the new secret.
		if ((await storeCall("revokeSession", () => store.revokeSession(session.id, at))) !== null) {
			context.emit({ type: "revoked", reason: "admin" }, session, at);
		}
	}
	throw new TokenError("ERR_STORE_UNAVAILABLE", "could not open a reuse-mode session: the store keeps returning one this service cannot hand back");
}

export async function exchangeReusable(context: ServiceContext, parts: RefreshTokenParts): Promise<TokenSet> {
	const { store, storeCall } = context;
	const at = context.now();
	const presentedHash = context.hashOf(parts, context.keyOf(parts));
	const session = await storeCall("findSession", () => store.findSession(parts.sessionId));
	if (session !== null && isLiveAt(session, at) && context.isGenuine(session, parts) && constantTimeEqual(presentedHash, session.tokenHash)) {
		return context.tokenSet(await slideIdleExpiry(context, session, at), parts, at);
	}
	const outcome = await settleUnrotated(context, session, parts, presentedHash, at);
	// A current token of a live session was handled above, so "stale" cannot happen here.
	if (outcome === "stale") throw new TokenError("ERR_STORE_UNAVAILABLE", "inconsistent session state");
	return outcome;
}

/** The sliding idle expiry, written at most once per `touchInterval` rather than on every use. */
async function slideIdleExpiry(context: ServiceContext, session: SessionRecord, at: Date): Promise<SessionRecord> {
	const { config, store, storeCall } = context;
	if (at.getTime() - session.lastUsedAt.getTime() < config.touchInterval * 1000) return session;
	const idleExpiresAt = context.idleExpiry(at);
	await storeCall("touchSession", () => store.touchSession({ sessionId: session.id, now: at, idleExpiresAt }));
	return { ...session, lastUsedAt: at, expiresAt: sooner(idleExpiresAt, session.absoluteExpiresAt) };
}
