// The refresh-token format, its hashes and the successor seal. See docs/token-format.md for the why.
//
//   rk2_<base64url(session id 16 B || key id 4 B || family proof 16 B || secret 32 B)>   (95 characters)
//   rk1_<base64url(session id 16 B || family proof 16 B || secret 32 B)>                 (90, before refresh.secret)
//
// The store keeps HMAC(key, family proof || secret) of the current token, keyed by the server's
// refresh secret named by the key id. The session id is public (it is the `sid` claim); the family
// proof lets the server tell a genuine old token of a session (reuse) from a forgery that merely
// names a known session id; the 256-bit secret is what makes the token a credential.
import { concatBytes, constantTimeEqual, decodeBase64url, encodeBase64url, mac, randomBytes, sha256, utf8, xorBytes } from "./crypto.js";
import type { RefreshKey, RefreshKeyRing } from "./refresh-keys.js";

const PREFIX_V2 = "rk2_";
const PREFIX_V1 = "rk1_";
const SESSION_ID_BYTES = 16;
const KEY_ID_BYTES = 4;
const FAMILY_PROOF_BYTES = 16;
const SECRET_BYTES = 32;
const V2_BYTES = SESSION_ID_BYTES + KEY_ID_BYTES + FAMILY_PROOF_BYTES + SECRET_BYTES; // 68
const V1_BYTES = SESSION_ID_BYTES + FAMILY_PROOF_BYTES + SECRET_BYTES; // 64
/** The length of every token this version issues. */
export const REFRESH_TOKEN_LENGTH = PREFIX_V2.length + encodedLength(V2_BYTES); // 95
const V1_LENGTH = PREFIX_V1.length + encodedLength(V1_BYTES); // 90
/** A v2 seal: the sealing key's id, then the successor secret under a one-time pad. */
export const SEALED_SUCCESSOR_BYTES = KEY_ID_BYTES + SECRET_BYTES; // 36

const HEX_PAIRS = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

const SEAL_LABEL = utf8("refresh-kit/v2 successor seal");
const REUSE_FAMILY_LABEL = utf8("refresh-kit/v2 reuse-mode family proof");
const REUSE_SECRET_LABEL = utf8("refresh-kit/v2 reuse-mode secret");

export interface RefreshTokenParts {
	/** The session id as a UUID string (public: it is also the `sid` claim). */
	sessionId: string;
	/** The id of the refresh secret the token's hash is keyed with; null for a v1 (`rk1_`) token, whose hash is unkeyed. */
	keyId: number | null;
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
	const sessionId = uuidToBytes(parts.sessionId);
	if (parts.keyId === null) return PREFIX_V1 + encodeBase64url(concatBytes(sessionId, parts.familyProof, parts.secret));
	return PREFIX_V2 + encodeBase64url(concatBytes(sessionId, keyIdBytes(parts.keyId), parts.familyProof, parts.secret));
}

/**
 * Parses a refresh token, or returns null for anything that is not exactly a v2 (or v1) token
 * of this library. The version is never negotiated from input: an unknown prefix is rejected,
 * and a non-canonical encoding is rejected so that one token has one spelling.
 */
export function parseRefreshToken(token: unknown): RefreshTokenParts | null {
	if (typeof token !== "string") return null;
	if (token.length === REFRESH_TOKEN_LENGTH && token.startsWith(PREFIX_V2)) {
		// The length check above fixes the decoded size (V2_BYTES).
		const bytes = decodeBase64url(token, PREFIX_V2.length);
		if (bytes === null) return null;
		const proofAt = SESSION_ID_BYTES + KEY_ID_BYTES;
		return {
			sessionId: uuidFromBytes(bytes.subarray(0, SESSION_ID_BYTES)),
			keyId: readKeyId(bytes, SESSION_ID_BYTES),
			familyProof: bytes.slice(proofAt, proofAt + FAMILY_PROOF_BYTES),
			secret: bytes.slice(proofAt + FAMILY_PROOF_BYTES),
		};
	}
	if (token.length === V1_LENGTH && token.startsWith(PREFIX_V1)) {
		const bytes = decodeBase64url(token, PREFIX_V1.length);
		if (bytes === null) return null;
		return {
			sessionId: uuidFromBytes(bytes.subarray(0, SESSION_ID_BYTES)),
			keyId: null,
			familyProof: bytes.slice(SESSION_ID_BYTES, SESSION_ID_BYTES + FAMILY_PROOF_BYTES),
			secret: bytes.slice(SESSION_ID_BYTES + FAMILY_PROOF_BYTES),
		};
	}
	return null;
}

/**
 * What the store keeps as `familyHash`: SHA-256 of the family proof. Unkeyed on purpose: the
 * proof is 128 random bits (nothing to guess), every token of the session carries it (so a
 * holder of an old token knows it: that is what makes the token genuine), and an unkeyed hash
 * keeps reuse detection working across refresh-secret rotations and for v1 sessions.
 */
export function hashFamilyProof(familyProof: Uint8Array): Uint8Array {
	return sha256(familyProof);
}

/**
 * What the store keeps as `tokenHash`: HMAC-SHA256(hash key of the refresh secret, family proof ||
 * secret). Keyed, so a database reader cannot test a guessed token offline, and removing a secret
 * from `refresh.secret` retires every token keyed by it. Hashing both parts means a token with the
 * right secret but an altered family proof matches nothing. `key` null: a v1 token, whose hash was
 * SHA-256(family proof || secret).
 */
export function hashToken(key: RefreshKey | null, familyProof: Uint8Array, secret: Uint8Array): Uint8Array {
	const message = concatBytes(familyProof, secret);
	return key === null ? sha256(message) : mac(key.hashMac, message);
}

/**
 * Seals the successor secret so that opening it takes both the server's seal key and the secret of
 * the consumed token: a database, a query log or a backup together with any retired token opens
 * nothing. The pad is HMAC-SHA256(seal key, label || presented secret || successor hash), a PRF
 * output used once: a secret is consumed at most once, and the successor hash differs per
 * attempt. The sealing key's id comes first, so the seal names the secret that can open it.
 */
export function sealSuccessor(key: RefreshKey, successorSecret: Uint8Array, presentedSecret: Uint8Array, successorHash: Uint8Array): Uint8Array {
	return concatBytes(keyIdBytes(key.id), xorBytes(successorSecret, sealPad(key, presentedSecret, successorHash)));
}

/**
 * Opens a sealed successor: the successor's parts, or null when the seal is not a v2 seal, its
 * key is no longer listed, or what it opens to does not hash to `successorHash`.
 */
export function unsealSuccessor(ring: RefreshKeyRing, sealed: Uint8Array, presented: RefreshTokenParts, successorHash: Uint8Array): RefreshTokenParts | null {
	if (sealed.length !== SEALED_SUCCESSOR_BYTES) return null;
	const key = ring.byId.get(readKeyId(sealed, 0));
	if (key === undefined) return null;
	const secret = xorBytes(sealed.subarray(KEY_ID_BYTES), sealPad(key, presented.secret, successorHash));
	if (!constantTimeEqual(hashToken(key, presented.familyProof, secret), successorHash)) return null;
	return { sessionId: presented.sessionId, keyId: key.id, familyProof: presented.familyProof, secret };
}

function sealPad(key: RefreshKey, presentedSecret: Uint8Array, successorHash: Uint8Array): Uint8Array {
	return mac(key.sealMac, concatBytes(SEAL_LABEL, presentedSecret, successorHash));
}

/**
 * Reuse mode hands the same token back at every login, so the token must be recoverable
 * without storing it: it is derived from the refresh secret's reuse key (which no store and no
 * verifier holds) and the public, random session id.
 */
export function deriveReusableToken(key: RefreshKey, sessionId: string): RefreshTokenParts {
	const id = uuidToBytes(sessionId);
	return {
		sessionId,
		keyId: key.id,
		familyProof: mac(key.reuseMac, concatBytes(REUSE_FAMILY_LABEL, id)).slice(0, FAMILY_PROOF_BYTES),
		secret: mac(key.reuseMac, concatBytes(REUSE_SECRET_LABEL, id)),
	};
}

function keyIdBytes(id: number): Uint8Array {
	return new Uint8Array([id >>> 24, (id >>> 16) & 255, (id >>> 8) & 255, id & 255]);
}

function readKeyId(bytes: Uint8Array, at: number): number {
	return (((bytes[at] as number) << 24) | ((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number)) >>> 0;
}

function encodedLength(byteLength: number): number {
	return Math.ceil((byteLength * 4) / 3);
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
