// Hashing, randomness and encodings for core/. Web platform only: crypto.getRandomValues, the
// SHA-256 and HMAC of ./sha256.js (synchronous, so the hot path does not await) and @oslojs's
// constant-time comparison.
import { constantTimeEqual } from "@oslojs/crypto/subtle";
import { type MacKey, mac, macKey, sha256 } from "./sha256.js";

export { constantTimeEqual, type MacKey, mac, macKey, sha256 };

const encoder = new TextEncoder();

// CSPRNG output drawn 4 KiB at a time: a getRandomValues call has a fixed cost whatever its
// size (bench/README.md, "known costs"), and an exchange needs two draws. Each byte is handed
// out once, copied, and wiped from the pool (Node pools randomUUID's entropy the same way).
const POOL_SIZE = 4096;
const pool = new Uint8Array(POOL_SIZE);
let poolOffset = POOL_SIZE;

export function randomBytes(length: number): Uint8Array {
	if (length > POOL_SIZE) return crypto.getRandomValues(new Uint8Array(length));
	if (poolOffset + length > POOL_SIZE) {
		crypto.getRandomValues(pool);
		poolOffset = 0;
	}
	const bytes = pool.slice(poolOffset, poolOffset + length);
	pool.fill(0, poolOffset, poolOffset + length);
	poolOffset += length;
	return bytes;
}

export function utf8(text: string): Uint8Array {
	return encoder.encode(text);
}

/** HMAC-SHA256 under a key used once (key derivation); a key used per request is prepared with {@link macKey}. */
export function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
	return mac(macKey(key), message);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
	let length = 0;
	for (const part of parts) length += part.length;
	const out = new Uint8Array(length);
	let offset = 0;
	for (const part of parts) {
		out.set(part, offset);
		offset += part.length;
	}
	return out;
}

export function xorBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
	const out = new Uint8Array(a.length);
	for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) ^ (b[i] as number);
	return out;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
// Every 12-bit value as its two base64url characters: three bytes become two lookups and one
// concatenation (several times faster than a character at a time, for the access token's payload).
const PAIRS = Array.from({ length: 4096 }, (_, n) => (ALPHABET[n >> 6] as string) + (ALPHABET[n & 63] as string));

/** Base64url without padding (RFC 4648 §5), the encoding of JWS parts and of refresh tokens. */
export function encodeBase64url(bytes: Uint8Array): string {
	let out = "";
	let i = 0;
	for (; i + 3 <= bytes.length; i += 3) {
		const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
		out += (PAIRS[n >> 12] as string) + (PAIRS[n & 4095] as string);
	}
	const rest = bytes.length - i;
	if (rest === 1) {
		const a = bytes[i] as number;
		out += (ALPHABET[a >> 2] as string) + (ALPHABET[(a & 3) << 4] as string);
	} else if (rest === 2) {
		const n = ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
		out += (ALPHABET[n >> 10] as string) + (ALPHABET[(n >> 4) & 63] as string) + (ALPHABET[(n & 15) << 2] as string);
	}
	return out;
}

const SEXTET = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) SEXTET[ALPHABET.charCodeAt(i)] = i;

/**
 * Base64url without padding, decoded only when canonical: any character outside the alphabet,
 * a length that no byte count encodes to, or non-zero trailing bits gives null, so that one value
 * has one spelling. `start` skips a prefix (a token's `rk2_`).
 */
export function decodeBase64url(text: string, start = 0): Uint8Array | null {
	const length = text.length - start;
	const rest = length % 4;
	if (length < 0 || rest === 1) return null;
	const bytes = new Uint8Array(((length - rest) / 4) * 3 + (rest === 0 ? 0 : rest - 1));
	let o = 0;
	let i = start;
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

/** A character's 6 bits, or -1 (all bits set: any combination with it is negative). */
function sextet(text: string, index: number): number {
	const code = text.charCodeAt(index);
	return code < 128 ? (SEXTET[code] as number) : -1;
}
