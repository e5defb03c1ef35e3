// The pooled CSPRNG of core/crypto.ts: every byte handed out once, across pool refills.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "../../core/crypto.js";

function hex(bytes: Uint8Array): string {
	return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

test("randomBytes: the requested length, never the same bytes twice, across many pool refills", () => {
	const seen = new Set<string>();
	// 20,000 draws of 16-48 bytes span ~160 refills of the 4 KiB pool, at every offset.
	for (let i = 0; i < 20_000; i++) {
		const length = 16 + (i % 33);
		const bytes = randomBytes(length);
		assert.is(bytes.length, length);
		assert.is(bytes.byteOffset, 0, "a copy, not a view into the pool");
		const key = hex(bytes.subarray(0, 16));
		assert.not.ok(seen.has(key), `draw ${i} repeated an earlier draw`);
		seen.add(key);
	}
});

test("randomBytes: a returned array is the caller's own (writing to it changes no later draw)", () => {
	const first = randomBytes(32);
	first.fill(0);
	const later = Array.from({ length: 200 }, () => randomBytes(32));
	for (const bytes of later) assert.ok(bytes.some((byte) => byte !== 0));
	assert.ok(
		randomBytes(10_000).some((byte) => byte !== 0),
		"larger than the pool",
	);
	assert.is(randomBytes(10_000).length, 10_000);
	assert.is(randomBytes(0).length, 0);
});

test.run();
