// A fast path for verifying the HS256 access tokens this service signed itself: the signature by
// one synchronous HMAC instead of jose's Web Crypto call (a thread-pool job per verification on
// Node), and jose's claim checks (jwt_claims_set.js) for the claims it is given. It only ever
// accepts: anything it does not accept, for whatever reason, goes to jose, which then gives the
// verdict and the error exactly as before. So it must never accept what jose would refuse: each
// check below is jose's own, or stricter (canonical base64url, the exact protected header).
import type { AccessClaims, VerifySettings } from "./access-token.js";
import { constantTimeEqual, decodeBase64url, type MacKey, mac, utf8 } from "./crypto.js";

const REQUIRED = ["sub", "exp", "iat", "jti", "sid", "aud", "iss"] as const;
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The claims of `token` when it carries one of `keys`' exact protected headers (so alg HS256, its
 * kid and typ at+jwt), its HMAC matches and every claim check passes at `settings.now()`; null
 * otherwise (the caller then asks jose).
 */
export function verifyOwnHs256(token: string, keys: ReadonlyMap<string, MacKey>, settings: VerifySettings): AccessClaims | null {
	const headerEnd = token.indexOf(".");
	const payloadEnd = token.indexOf(".", headerEnd + 1);
	if (headerEnd < 0 || payloadEnd < 0 || token.indexOf(".", payloadEnd + 1) >= 0) return null;
	const key = keys.get(token.slice(0, headerEnd));
	if (key === undefined) return null;
	// RFC 7515 §5.2: the MAC over the JWS signing input, compared in constant time. The decoder
	// accepts only the canonical encoding, so equal bytes mean the one spelling jose would accept.
	const presented = decodeBase64url(token, payloadEnd + 1);
	if (presented === null || !constantTimeEqual(presented, mac(key, utf8(token.slice(0, payloadEnd))))) return null;
	const bytes = decodeBase64url(token.slice(headerEnd + 1, payloadEnd));
	if (bytes === null) return null;
	let claims: unknown;
	try {
		claims = JSON.parse(STRICT_UTF8.decode(bytes));
	} catch {
		return null;
	}
	return acceptable(claims, settings) ? (claims as AccessClaims) : null;
}

/** jose's validateClaimsSet with the options verifyAccessToken gives it, plus its own type checks of sub, sid and jti. */
function acceptable(claims: unknown, settings: VerifySettings): boolean {
	if (typeof claims !== "object" || claims === null || Array.isArray(claims) || Object.getPrototypeOf(claims) !== Object.prototype) return false;
	const set = claims as Record<string, unknown>;
	for (const name of REQUIRED) if (!Object.hasOwn(set, name)) return false;
	if (set.iss !== settings.issuer) return false;
	const audiences = typeof settings.audience === "string" ? [settings.audience] : settings.audience;
	const aud = set.aud;
	if (!(typeof aud === "string" ? audiences.includes(aud) : Array.isArray(aud) && audiences.some((audience) => aud.includes(audience)))) return false;
	if (typeof set.sub !== "string" || typeof set.sid !== "string" || typeof set.jti !== "string") return false;
	if (typeof set.iat !== "number" || typeof set.exp !== "number") return false;
	if (set.nbf !== undefined && typeof set.nbf !== "number") return false;
	const now = Math.floor(settings.now().getTime() / 1000);
	if (!Number.isFinite(now)) return false;
	const tolerance = settings.clockTolerance;
	if (typeof set.nbf === "number" && set.nbf > now + tolerance) return false;
	return set.exp > now - tolerance;
}
