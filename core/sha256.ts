// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) in plain JavaScript, synchronous, for the hot
// path of an exchange: Web Crypto's digest and sign are asynchronous (a thread-pool job per call
// on Node), and a general-purpose implementation allocates a hasher object per call. This one
// reuses one message schedule, and an HMAC key is prepared once ({@link macKey}): its inner and
// outer pads are hashed ahead, so an HMAC of a short message costs two compressions instead of
// four. Checked against node:crypto on every length from 0 to 300 bytes (tests/core/sha256.test.ts).

// The first 32 bits of the fractional parts of the cube roots of the first 64 primes (FIPS 180-4 §4.2.2).
const K = new Int32Array([
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6,
	0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb,
	0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee,
	0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
// The first 32 bits of the fractional parts of the square roots of the first 8 primes (§5.3.3).
const INITIAL = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

const BLOCK = 64;
/** The message schedule, shared: every call runs to completion before the next starts. */
const W = new Int32Array(64);
/** The last one or two blocks of a message, with its padding. */
const TAIL = new Uint8Array(2 * BLOCK);

/** One compression of the 64-byte block at `offset` into `state` (§6.2.2). */
function compress(state: Int32Array, data: Uint8Array, offset: number): void {
	const w = W;
	for (let i = 0; i < 16; i++) {
		const j = offset + i * 4;
		w[i] = ((data[j] as number) << 24) | ((data[j + 1] as number) << 16) | ((data[j + 2] as number) << 8) | (data[j + 3] as number);
	}
	for (let i = 16; i < 64; i++) {
		const a = w[i - 15] as number;
		const b = w[i - 2] as number;
		const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
		const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
		w[i] = ((w[i - 16] as number) + s0 + (w[i - 7] as number) + s1) | 0;
	}
	let a = state[0] as number;
	let b = state[1] as number;
	let c = state[2] as number;
	let d = state[3] as number;
	let e = state[4] as number;
	let f = state[5] as number;
	let g = state[6] as number;
	let h = state[7] as number;
	for (let i = 0; i < 64; i++) {
		const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
		const t1 = (h + s1 + ((e & f) ^ (~e & g)) + (K[i] as number) + (w[i] as number)) | 0;
		const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
		const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
		h = g;
		g = f;
		f = e;
		e = (d + t1) | 0;
		d = c;
		c = b;
		b = a;
		a = (t1 + t2) | 0;
	}
	state[0] = ((state[0] as number) + a) | 0;
	state[1] = ((state[1] as number) + b) | 0;
	state[2] = ((state[2] as number) + c) | 0;
	state[3] = ((state[3] as number) + d) | 0;
	state[4] = ((state[4] as number) + e) | 0;
	state[5] = ((state[5] as number) + f) | 0;
	state[6] = ((state[6] as number) + g) | 0;
	state[7] = ((state[7] as number) + h) | 0;
}

/**
 * The digest of `message`, hashed after `prefixBytes` bytes whose compression left `start` (the
 * initial value and 0 for a plain SHA-256; a prepared HMAC pad and 64 for HMAC).
 */
function digest(start: Int32Array, prefixBytes: number, message: Uint8Array): Uint8Array {
	const state = start.slice();
	const length = message.length;
	let offset = 0;
	for (; offset + BLOCK <= length; offset += BLOCK) compress(state, message, offset);
	// §5.1.1: a 1 bit, zeros, and the length in bits as a 64-bit big-endian number.
	const rest = length - offset;
	const tail = rest + 9 <= BLOCK ? BLOCK : 2 * BLOCK;
	TAIL.fill(0, 0, tail);
	TAIL.set(message.subarray(offset), 0);
	TAIL[rest] = 0x80;
	const bits = (prefixBytes + length) * 8;
	writeUint32(TAIL, tail - 8, Math.floor(bits / 0x100000000));
	writeUint32(TAIL, tail - 4, bits >>> 0);
	compress(state, TAIL, 0);
	if (tail > BLOCK) compress(state, TAIL, BLOCK);
	// The tail held message bytes (a token's secret): leave none of them behind in the shared
	// buffer, nor in the shared message schedule.
	TAIL.fill(0, 0, tail);
	W.fill(0);
	const out = new Uint8Array(32);
	for (let i = 0; i < 8; i++) writeUint32(out, i * 4, state[i] as number);
	return out;
}

function writeUint32(bytes: Uint8Array, at: number, value: number): void {
	bytes[at] = value >>> 24;
	bytes[at + 1] = (value >>> 16) & 255;
	bytes[at + 2] = (value >>> 8) & 255;
	bytes[at + 3] = value & 255;
}

/** SHA-256 of `message`. */
export function sha256(message: Uint8Array): Uint8Array {
	return digest(INITIAL, 0, message);
}

/** An HMAC-SHA256 key with its pads already hashed: make it once per key, use it for every message. */
export interface MacKey {
	readonly inner: Int32Array;
	readonly outer: Int32Array;
}

/** Prepares `key` for {@link mac} (RFC 2104 §2: a key longer than the block is hashed first). */
export function macKey(key: Uint8Array): MacKey {
	const block = new Uint8Array(BLOCK);
	block.set(key.length > BLOCK ? sha256(key) : key);
	const inner = INITIAL.slice();
	const outer = INITIAL.slice();
	for (let i = 0; i < BLOCK; i++) block[i] = (block[i] as number) ^ 0x36;
	compress(inner, block, 0);
	for (let i = 0; i < BLOCK; i++) block[i] = (block[i] as number) ^ 0x36 ^ 0x5c;
	compress(outer, block, 0);
	block.fill(0);
	return { inner, outer };
}

/** HMAC-SHA256 of `message` under a prepared key. */
export function mac(key: MacKey, message: Uint8Array): Uint8Array {
	return digest(key.outer, BLOCK, digest(key.inner, BLOCK, message));
}
