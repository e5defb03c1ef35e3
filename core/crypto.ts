// Hashing, randomness and encodings for core/. Web platform only: crypto.getRandomValues
// plus the pure-JS @oslojs primitives (synchronous, so the hot path does not await).
import { hmac } from "@oslojs/crypto/hmac";
import { SHA256, sha256 } from "@oslojs/crypto/sha2";
import { constantTimeEqual } from "@oslojs/crypto/subtle";

export { constantTimeEqual, sha256 };

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

export function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
	return hmac(SHA256, key, message);
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
