// A fast path for verifying the HS256 access tokens this service signed itself: the signature by
// one synchronous HMAC instead of jose's Web Crypto call (a thread-pool job per verification on
// Node), and jose's claim checks (jwt_claims_set.js) for the claims it is given. It only ever
// accepts: anything it does not accept, for whatever reason, goes to jose, which then gives the
// verdict and the error exactly as before. So it must never accept what jose would refuse: each
// check below is jose's own, or stricter (canonical base64url, the exact protected header).
import { constantTimeEqual } from "@oslojs/crypto/subtle";
import type { AccessClaims, VerifySettings } from "./access-token.js";
import { encodeBase64url, mac, type MacKey } from "./crypto.js";

const REQUIRED = ["sub", "exp", "iat", "jti", "sid", "aud", "iss"] as const;
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

const SEXTET = new Int8Array(128).fill(-1);
for (const [index, char] of [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"].entries()) SEXTET[char.charCodeAt(0)] = index;

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
	// RFC 7515 §5.2: the MAC over the JWS signing input; comparing the canonical encodings is
	// comparing the bytes (there is one encoding of 32 bytes), in constant time.
	const expected = encoder.encode(encodeBase64url(mac(key, encoder.encode(token.slice(0, payloadEnd)))));
	const presented = encoder.encode(token.slice(payloadEnd + 1));
	if (presented.length !== expected.length || !constantTimeEqual(presented, expected)) return null;
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

/** Canonical base64url without padding, or null. */
function decodeBase64url(text: string): Uint8Array | null {
	const rest = text.length % 4;
	if (rest === 1) return null;
	const bytes = new Uint8Array(Math.floor(text.length / 4) * 3 + (rest === 0 ? 0 : rest - 1));
	let o = 0;
	let i = 0;
	for (; i + 4 <= text.length; i += 4) {
		const n = (sextet(text, i) << 18) | (sextet(text, i + 1) << 12) | (sextet(text, i + 2) << 6) | sextet(text, i + 3);
		if (n < 0) return null;
		bytes[o++] = n >> 16;
		bytes[o++] = (n >> 8) & 255;
		bytes[o++] = n & 255;
	}
	if (rest === 2) {
		const a = sextet(text, i);
		const b = sextet(text, i + 1);
		if ((a | b) < 0 || (b & 15) !== 0) return null;
		bytes[o] = (a << 2) | (b >> 4);
	} else if (rest === 3) {
		const a = sextet(text, i);
		const b = sextet(text, i + 1);
		const c = sextet(text, i + 2);
		if ((a | b | c) < 0 || (c & 3) !== 0) return null;
		const n = (a << 10) | (b << 4) | (c >> 2);
		bytes[o] = n >> 8;
		bytes[o + 1] = n & 255;
	}
	return bytes;
}

/** A character's 6 bits, or a negative number that makes any combination negative. */
function sextet(text: string, index: number): number {
	const code = text.charCodeAt(index);
	return code < 128 ? (SEXTET[code] as number) : -1;
}
