// The refresh-token format and the successor seal. See docs/token-format.md for the why.
//
//   rk1_<base64url(session id 16 B || family proof 16 B || secret 32 B)>   (90 characters)
//
// Only SHA-256(secret) and SHA-256(family proof) are stored. The session id is public (it is
// the `sid` claim); the family proof lets the server tell a genuine old token of a session
// (reuse) from a forgery that merely names a known session id, without storing anything
// usable. The 256-bit secret is what makes the token a credential.
import { concatBytes, constantTimeEqual, hmacSha256, randomBytes, sha256, utf8, xorBytes } from "./crypto.js";

const PREFIX = "rk1_";
const SESSION_ID_BYTES = 16;
const FAMILY_PROOF_BYTES = 16;
const SECRET_BYTES = 32;
const TOKEN_BYTES = SESSION_ID_BYTES + FAMILY_PROOF_BYTES + SECRET_BYTES; // 64
const BODY_LENGTH = 86; // base64url, no padding, of 64 bytes
export const REFRESH_TOKEN_LENGTH = PREFIX.length + BODY_LENGTH;

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const SEXTET = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) SEXTET[ALPHABET.charCodeAt(i)] = i;
const HEX_PAIRS = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

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
	return PREFIX + encodeBody(concatBytes(uuidToBytes(parts.sessionId), parts.familyProof, parts.secret));
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
	const bytes = decodeBody(token);
	if (bytes === null) return null;
	return {
		sessionId: uuidFromBytes(bytes.subarray(0, SESSION_ID_BYTES)),
		familyProof: bytes.slice(SESSION_ID_BYTES, SESSION_ID_BYTES + FAMILY_PROOF_BYTES),
		secret: bytes.slice(SESSION_ID_BYTES + FAMILY_PROOF_BYTES),
	};
}

/** SHA-256 of a family proof: what the store keeps as `familyHash`. */
export function hashFamilyProof(familyProof: Uint8Array): Uint8Array {
	return sha256(familyProof);
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

// Fixed-length base64url (RFC 4648 §5, no padding) for the 64-byte body: 21 groups of four
// characters, then two characters carrying one byte. Decoding rejects any character outside
// the alphabet and non-zero trailing bits in one pass, so every token has one spelling.
function encodeBody(bytes: Uint8Array): string {
	let out = "";
	let i = 0;
	for (; i + 3 <= TOKEN_BYTES; i += 3) {
		const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
		out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
	}
	const last = bytes[i] as number;
	return out + ALPHABET[last >> 2]! + ALPHABET[(last & 3) << 4]!;
}

function decodeBody(token: string): Uint8Array | null {
	const bytes = new Uint8Array(TOKEN_BYTES);
	let o = 0;
	let i = PREFIX.length;
	for (; o + 3 <= TOKEN_BYTES; i += 4) {
		const a = sextet(token, i), b = sextet(token, i + 1), c = sextet(token, i + 2), d = sextet(token, i + 3);
		if ((a | b | c | d) < 0) return null;
		const n = (a << 18) | (b << 12) | (c << 6) | d;
		bytes[o++] = n >> 16;
		bytes[o++] = (n >> 8) & 255;
		bytes[o++] = n & 255;
	}
	const a = sextet(token, i), b = sextet(token, i + 1);
	if ((a | b) < 0 || (b & 15) !== 0) return null;
	bytes[o] = (a << 2) | (b >> 4);
	return bytes;
}

function sextet(text: string, index: number): number {
	const code = text.charCodeAt(index);
	return code < 128 ? (SEXTET[code] as number) : -1;
}

function uuidFromBytes(bytes: Uint8Array): string {
	let hex = "";
	for (let i = 0; i < SESSION_ID_BYTES; i++) {
		if (i === 4 || i === 6 || i === 8 || i === 10) hex += "-";
		hex += HEX_PAIRS[bytes[i] as number];
	}
	return hex;
}

function uuidToBytes(uuid: string): Uint8Array {
	const bytes = new Uint8Array(SESSION_ID_BYTES);
	for (let i = 0, c = 0; i < SESSION_ID_BYTES; c += 2, i++) {
		if (uuid.charCodeAt(c) === 45) c++; // "-"
		bytes[i] = (hexValue(uuid.charCodeAt(c)) << 4) | hexValue(uuid.charCodeAt(c + 1));
	}
	return bytes;
}

function hexValue(code: number): number {
	return code <= 57 ? code - 48 : (code | 32) - 87;
}
