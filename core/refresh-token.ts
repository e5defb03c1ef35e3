// The refresh-token format and the successor seal. See docs/token-format.md for the why.
//
//   rk1_<base64url(session id 16 B || family proof 16 B || secret 32 B)>   (90 characters)
//
// Only SHA-256(secret) and SHA-256(family proof) are stored. The session id is public (it is
// the `sid` claim); the family proof lets the server tell a genuine old token of a session
// (reuse) from a forgery that merely names a known session id, without storing anything
// usable. The 256-bit secret is what makes the token a credential.
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import { concatBytes, constantTimeEqual, hmacSha256, randomBytes, sha256, utf8, xorBytes } from "./crypto.js";

const PREFIX = "rk1_";
const SESSION_ID_BYTES = 16;
const FAMILY_PROOF_BYTES = 16;
const SECRET_BYTES = 32;
const BODY_LENGTH = 86; // base64url, no padding, of 64 bytes
export const REFRESH_TOKEN_LENGTH = PREFIX.length + BODY_LENGTH;
const BODY_PATTERN = /^[A-Za-z0-9_-]{86}$/;

const SEAL_LABEL = utf8("refresh-kit/v1 successor seal");
const REUSE_FAMILY_LABEL = utf8("refresh-kit/v1 reuse-mode family proof");
const REUSE_SECRET_LABEL = utf8("refresh-kit/v1 reuse-mode secret");

export interface RefreshTokenParts {
	/** The session id as a UUID string (public: it is also the `sid` claim). */
	sessionId: string;
	familyProof: Uint8Array;
	secret: Uint8Array;
}

/** A new random session id (a UUID v4 string). */
export function newSessionId(): string {
	const bytes = randomBytes(SESSION_ID_BYTES);
	bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
	bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
	return uuidFromBytes(bytes);
}

export function newFamilyProof(): Uint8Array {
	return randomBytes(FAMILY_PROOF_BYTES);
}

export function newSecret(): Uint8Array {
	return randomBytes(SECRET_BYTES);
}

export function formatRefreshToken(parts: RefreshTokenParts): string {
	const body = concatBytes(uuidToBytes(parts.sessionId), parts.familyProof, parts.secret);
	return PREFIX + encodeBase64urlNoPadding(body);
}

/**
 * Parses a refresh token, or returns null for anything that is not exactly a version-1
 * token of this library. The version is never negotiated from input: an unknown prefix is
 * rejected, and a non-canonical encoding is rejected so that one token has one spelling.
 */
export function parseRefreshToken(token: unknown): RefreshTokenParts | null {
	if (typeof token !== "string" || token.length !== REFRESH_TOKEN_LENGTH || !token.startsWith(PREFIX)) {
		return null;
	}
	const body = token.slice(PREFIX.length);
	if (!BODY_PATTERN.test(body)) return null;
	let bytes: Uint8Array;
	try {
		bytes = decodeBase64urlIgnorePadding(body);
	} catch {
		// @oslojs/encoding throws on non-zero trailing bits: a non-canonical spelling.
		return null;
	}
	if (bytes.length !== SESSION_ID_BYTES + FAMILY_PROOF_BYTES + SECRET_BYTES) return null;
	if (encodeBase64urlNoPadding(bytes) !== body) return null;
	return {
		sessionId: uuidFromBytes(bytes.subarray(0, SESSION_ID_BYTES)),
		familyProof: bytes.slice(SESSION_ID_BYTES, SESSION_ID_BYTES + FAMILY_PROOF_BYTES),
		secret: bytes.slice(SESSION_ID_BYTES + FAMILY_PROOF_BYTES),
	};
}

/** SHA-256 of a family proof: what the store keeps as `familyHash`. */
export function hashSecret(secret: Uint8Array): Uint8Array {
	return sha256(secret);
}

/**
 * What the store keeps as `tokenHash`: SHA-256(family proof || secret). Hashing both parts
 * means a token with the right secret but an altered family proof matches nothing, so one
 * credential has exactly one spelling.
 */
export function hashToken(familyProof: Uint8Array, secret: Uint8Array): Uint8Array {
	return sha256(concatBytes(familyProof, secret));
}

/**
 * Seals the successor secret under a key only the presenter of the consumed token has.
 * The pad is HMAC-SHA256(presented secret, label || successor hash): a PRF output used once,
 * because a secret is consumed at most once and the successor hash differs per attempt. The
 * store holds the sealed value; without the consumed token it reveals nothing.
 */
export function sealSuccessor(successorSecret: Uint8Array, presentedSecret: Uint8Array, successorHash: Uint8Array): Uint8Array {
	return xorBytes(successorSecret, hmacSha256(presentedSecret, concatBytes(SEAL_LABEL, successorHash)));
}

/** Opens a sealed successor, or returns null when it does not hash to `successorHash`. */
export function unsealSuccessor(sealed: Uint8Array, presented: RefreshTokenParts, successorHash: Uint8Array): Uint8Array | null {
	if (sealed.length !== SECRET_BYTES) return null;
	const secret = xorBytes(sealed, hmacSha256(presented.secret, concatBytes(SEAL_LABEL, successorHash)));
	return constantTimeEqual(hashToken(presented.familyProof, secret), successorHash) ? secret : null;
}

/**
 * Reuse mode hands the same token back at every login, so the token must be recoverable
 * without storing it: it is derived from a server key the database never holds and the
 * (public, random) session id.
 */
export function deriveReusableToken(serverKey: Uint8Array, sessionId: string): RefreshTokenParts {
	const id = uuidToBytes(sessionId);
	return {
		sessionId,
		familyProof: hmacSha256(serverKey, concatBytes(REUSE_FAMILY_LABEL, id)).slice(0, FAMILY_PROOF_BYTES),
		secret: hmacSha256(serverKey, concatBytes(REUSE_SECRET_LABEL, id)),
	};
}

function uuidFromBytes(bytes: Uint8Array): string {
	const hex = encodeHexLowerCase(bytes);
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function uuidToBytes(uuid: string): Uint8Array {
	const hex = uuid.replaceAll("-", "");
	const bytes = new Uint8Array(SESSION_ID_BYTES);
	for (let i = 0; i < SESSION_ID_BYTES; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
	return bytes;
}
