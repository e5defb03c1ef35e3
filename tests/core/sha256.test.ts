// core/sha256.ts and the encoder of core/crypto.ts against node:crypto and Buffer: every message
// length across the one- and two-block padding boundaries (55/56/64 bytes), keys shorter than,
// equal to and longer than a block, and a prepared key used for many messages.
import { createHash, createHmac, randomBytes } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decodeBase64url, encodeBase64url, hmacSha256, mac, macKey, sha256 } from "../../core/crypto.js";

function hex(bytes: Uint8Array): string {
	return Buffer.from(bytes).toString("hex");
}

test("sha256 matches node:crypto for every length from 0 to 300 bytes", () => {
	for (let length = 0; length <= 300; length++) {
		const message = randomBytes(length);
		assert.is(hex(sha256(message)), createHash("sha256").update(message).digest("hex"), `length ${length}`);
	}
});

test("sha256 of the FIPS 180-4 examples", () => {
	assert.is(hex(sha256(new TextEncoder().encode("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert.is(hex(sha256(new TextEncoder().encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	assert.is(hex(sha256(new Uint8Array(1_000_000).fill(0x61))), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
});

test("HMAC matches node:crypto for keys of 0 to 130 bytes and messages of 0 to 200 bytes", () => {
	for (let keyLength = 0; keyLength <= 130; keyLength += keyLength < 70 ? 1 : 15) {
		const key = randomBytes(keyLength);
		const prepared = macKey(key);
		for (let length = 0; length <= 200; length += 7) {
			const message = randomBytes(length);
			const expected = createHmac("sha256", key).update(message).digest("hex");
			assert.is(hex(mac(prepared, message)), expected, `key ${keyLength}, message ${length}`);
			assert.is(hex(hmacSha256(key, message)), expected);
		}
	}
});

test("RFC 4231 test case 2 (a key shorter than the block)", () => {
	const key = new TextEncoder().encode("Jefe");
	const message = new TextEncoder().encode("what do ya want for nothing?");
	assert.is(hex(hmacSha256(key, message)), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
});

test("a prepared key gives the same MAC however often it is used, interleaved with other work", () => {
	const key = macKey(randomBytes(32));
	const message = randomBytes(48);
	const first = hex(mac(key, message));
	for (let i = 0; i < 50; i++) {
		sha256(randomBytes(i * 3));
		assert.is(hex(mac(key, message)), first);
	}
});

test("encodeBase64url matches Buffer's base64url for every length from 0 to 100 bytes", () => {
	for (let length = 0; length <= 100; length++) {
		const bytes = randomBytes(length);
		assert.is(encodeBase64url(bytes), bytes.toString("base64url"), `length ${length}`);
	}
});

test("decodeBase64url inverts encodeBase64url, and refuses every other spelling", () => {
	for (let length = 0; length <= 100; length++) {
		const bytes = randomBytes(length);
		const text = encodeBase64url(bytes);
		assert.is(hex(decodeBase64url(text) as Uint8Array), bytes.toString("hex"), `length ${length}`);
		assert.is(hex(decodeBase64url(`rk2_${text}`, 4) as Uint8Array), bytes.toString("hex"));
	}
	for (const bad of ["A", "AAAAA", "AB", "AAB", "A=", "AA==", "A+/A", "AAA\u00e9", "AA AA"]) assert.is(decodeBase64url(bad), null, JSON.stringify(bad));
	// Trailing bits must be zero: "AB" would decode to the same byte as "AA".
	assert.equal(Array.from(decodeBase64url("AA") as Uint8Array), [0]);
	assert.is(decodeBase64url("AAB"), null);
});

test.run();
