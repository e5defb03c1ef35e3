// Rotate mode's exchange: one atomic consume-if-current in the store, and a verdict when the
// presented token was not the current one.
import type { ServiceContext } from "./context.js";
import { TokenError } from "./errors.js";
import { hashToken, newSecret, type RefreshTokenParts, sealSuccessor } from "./refresh-token.js";
import type { TokenSet } from "./types.js";
import { settleUnrotated } from "./verdict.js";

// A "current but not rotated" view is stale (see settleUnrotated); asking again converges at
// once in practice. Three tries bound a store that keeps answering that way.
const ROTATION_ATTEMPTS = 3;

/**
 * A v1 token of a session opened in reuse mode is refused in rotate mode too: v1 derived those
 * tokens from the signing key unless refresh.secret was set, so a service that only verifies HS256
 * access tokens could compute one from any access token's `sid`. One extra lookup, v1 tokens only.
 */
async function refuseV1ReuseSession(context: ServiceContext, sessionId: string): Promise<void> {
	const session = await context.storeCall("findSession", () => context.store.findSession(sessionId));
	if (session?.mode === "reuse") throw new TokenError("ERR_TOKEN_EXPIRED", "refresh token predates refresh.secret; log in again");
}

export async function exchangeRotating(context: ServiceContext, parts: RefreshTokenParts): Promise<TokenSet> {
	const { store, storeCall } = context;
	const presentedHash = context.hashOf(parts, context.keyOf(parts));
	if (parts.keyId === null) await refuseV1ReuseSession(context, parts.sessionId);
	// The successor is keyed by the first listed secret, whatever keyed the presented token: a
	// session moves to a new refresh.secret at its next rotation.
	const key = context.config.refreshKeys.current;
	for (let attempt = 1; ; attempt++) {
		const at = context.now();
		const successor: RefreshTokenParts = { ...parts, keyId: key.id, secret: newSecret() };
		const successorHash = hashToken(key, parts.familyProof, successor.secret);
		const result = await storeCall("rotateToken", () =>
			store.rotateToken({
				sessionId: parts.sessionId,
				presentedHash,
				successorHash,
				sealedSuccessor: sealSuccessor(key, successor.secret, parts.secret, successorHash),
				now: at,
				idleExpiresAt: context.idleExpiry(at),
			}),
		);
		if (result.rotated) {
			context.emit({ type: "refreshed", generation: result.session.generation }, result.session, at);
			return context.tokenSet(result.session, successor, at);
		}
		const outcome = await settleUnrotated(context, result.session, parts, presentedHash, at);
		if (outcome !== "stale") return outcome;
		if (attempt === ROTATION_ATTEMPTS) {
			throw new TokenError("ERR_STORE_UNAVAILABLE", "the store reports the token as current but would not rotate it");
		}
	}
}
