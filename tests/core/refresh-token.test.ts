import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import fc from "fast-check";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { hmacSha256, sha256 } from "../../core/crypto.js";
import { resolveRefreshSecrets } from "../../core/refresh-keys.js";
import {
	deriveReusableToken,
	formatRefreshToken,
	hashFamilyProof,
	hashToken,
	newFamilyProof,
	newSecret,
	newSessionId,
	parseRefreshToken,
	REFRESH_TOKEN_LENGTH,
	type RefreshTokenParts,
	SEALED_SUCCESSOR_BYTES,
	sealSuccessor,
	unsealSuccessor,
} from "../../core/refresh-token.js";
import { hex } from "../helpers.js";

const KEYS = resolveRefreshSecrets("refresh-token-test-secret-of-32-bytes-or-more", []);
const KEY = KEYS.current;

function freshParts(): RefreshTokenParts {
	return { sessionId: newSessionId(), keyId: KEY.id, familyProof: newFamilyProof(), secret: newSecret() };
}

function freshToken(): string {
	return formatRefreshToken(freshParts());
}

const format = suite("refresh-token format");

format("a token is rk2_ + 91 base64url characters, 95 in all: session id, key id, family proof, 256 bits of secret", () => {
	const parts = freshParts();
	const token = formatRefreshToken(parts);
	assert.is(REFRESH_TOKEN_LENGTH, 95);
	assert.is(token.length, 95);
	assert.ok(token.startsWith("rk2_"));
	assert.match(token.slice(4), /^[A-Za-z0-9_-]{91}$/);
	assert.is(parts.secret.length, 32);
	assert.is(parts.familyProof.length, 16);
});

format("round-trip: parse(format(parts)) gives the parts back, key id included", () => {
	const parts = freshParts();
	const parsed = parseRefreshToken(formatRefreshToken(parts));
	assert.ok(parsed !== null);
	assert.is(parsed.sessionId, parts.sessionId);
	assert.is(parsed.keyId, KEY.id);
	assert.is(hex(parsed.familyProof), hex(parts.familyProof));
	assert.is(hex(parsed.secret), hex(parts.secret));
});

format("a v1 token (rk1_, before refresh.secret) still parses, with no key id, and formats back the same", () => {
	const parts = { ...freshParts(), keyId: null };
	const token = formatRefreshToken(parts);
	assert.is(token.length, 90);
	assert.ok(token.startsWith("rk1_"));
	const parsed = parseRefreshToken(token);
	assert.ok(parsed !== null);
	assert.is(parsed.keyId, null);
	assert.is(formatRefreshToken(parsed), token);
});

format("session ids are lowercase UUID v4 and differ every time", () => {
	const ids = new Set<string>();
	for (let i = 0; i < 200; i++) {
		const id = newSessionId();
		assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
		ids.add(id);
	}
	assert.is(ids.size, 200);
});

format("secrets and family proofs are random", () => {
	assert.is.not(hex(newSecret()), hex(newSecret()));
	assert.is.not(hex(newFamilyProof()), hex(newFamilyProof()));
	assert.is.not(freshToken(), freshToken());
});

format("property: any 68-byte v2 body (and any 64-byte v1 body) round-trips, with one spelling", () => {
	fc.assert(
		fc.property(fc.uint8Array({ minLength: 68, maxLength: 68 }), fc.uint8Array({ minLength: 64, maxLength: 64 }), (v2, v1) => {
			const tokens = ["rk2_" + encodeBase64urlNoPadding(v2), "rk1_" + encodeBase64urlNoPadding(v1)];
			return tokens.every((token) => {
				const parsed = parseRefreshToken(token);
				return parsed !== null && formatRefreshToken(parsed) === token;
			});
		}),
		{ numRuns: 500 },
	);
});

format("property: arbitrary strings never throw, and whatever parses re-formats to itself", () => {
	const junk = fc.oneof(
		fc.string({ unit: "binary", maxLength: 120 }),
		fc.string({ unit: "grapheme", minLength: 86, maxLength: 92 }).map((body) => "rk2_" + body),
		fc.string({ unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/="), minLength: 84, maxLength: 93 }).map((body) => "rk2_" + body),
		fc.string({ unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/="), minLength: 84, maxLength: 88 }).map((body) => "rk1_" + body),
	);
	fc.assert(
		fc.property(junk, (value) => {
			const parsed = parseRefreshToken(value);
			return parsed === null || formatRefreshToken(parsed) === value;
		}),
		{ numRuns: 1000 },
	);
});

format("wrong prefix or version is refused", () => {
	const body = freshToken().slice(4);
	for (const prefix of ["rk0_", "rk1_", "rk3_", "rk9_", "RK2_", "rk2-", "rk2.", "rkl_", "xx2_"]) {
		assert.is(parseRefreshToken(prefix + body), null, prefix);
	}
	assert.is(parseRefreshToken(body + "rk2_"), null);
});

format("wrong length is refused", () => {
	const token = freshToken();
	assert.is(parseRefreshToken(token.slice(0, -1)), null);
	assert.is(parseRefreshToken(token + "A"), null);
	assert.is(parseRefreshToken(token + "="), null);
	assert.is(parseRefreshToken(token + "=="), null);
	assert.is(parseRefreshToken(" " + token), null);
	assert.is(parseRefreshToken(token + "\n"), null);
	assert.is(parseRefreshToken("rk2_"), null);
	assert.is(parseRefreshToken(""), null);
	assert.is(parseRefreshToken("rk2_" + "A".repeat(1_000_000)), null);
});

format("non-canonical base64url (set trailing bits in the last character) is refused", () => {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	// v2: 91 characters carry 546 bits for 544 bits of data, so the low 2 bits of the last one are 0;
	// v1: 86 characters carry 516 bits for 512, so the low 4 bits are.
	for (const [token, bits] of [
		[freshToken(), 0b11],
		[formatRefreshToken({ ...freshParts(), keyId: null }), 0b1111],
	] as const) {
		const last = alphabet.indexOf(token.at(-1) as string);
		assert.is(last & bits, 0);
		for (let low = 1; low <= bits; low++) {
			const variant = token.slice(0, -1) + alphabet[last | low];
			assert.is(parseRefreshToken(variant), null, `${token.slice(0, 4)} low bits ${low}`);
		}
	}
});

format("standard base64 characters, padding and whitespace inside the body are refused", () => {
	const token = freshToken();
	for (const char of ["+", "/", "=", " ", ".", "%", "\u0000"]) {
		assert.is(parseRefreshToken(token.slice(0, 40) + char + token.slice(41)), null, JSON.stringify(char));
	}
});

format("non-strings are refused without throwing", () => {
	const token = freshToken();
	for (const value of [undefined, null, 0, 42, Number.NaN, true, {}, [], [token], { token }, new String(token), 10n, Symbol("rk2_"), () => token, new Uint8Array(95)]) {
		assert.is(parseRefreshToken(value), null, typeof value);
	}
});

format("binary and unicode junk of the right length is refused", () => {
	const binary = "rk2_" + Array.from({ length: 91 }, (_, i) => String.fromCharCode((i * 37 + 128) % 256)).join("");
	assert.is(binary.length, 95);
	assert.is(parseRefreshToken(binary), null);
	assert.is(parseRefreshToken("rk2_" + "é".repeat(91)), null);
	assert.is(parseRefreshToken("rk1_" + "😀".repeat(43)), null);
	assert.is(parseRefreshToken("rk2_" + "\u0000".repeat(91)), null);
	assert.is(parseRefreshToken("rk2_" + "Ａ".repeat(91)), null);
});

const seal = suite("successor seal");

seal("unseal(seal(s)) with the server key and the presented token gives the successor back, naming its key", () => {
	const successor = newSecret();
	const presented = freshParts();
	const successorHash = hashToken(KEY, presented.familyProof, successor);
	const sealed = sealSuccessor(KEY, successor, presented.secret, successorHash);
	assert.is(sealed.length, SEALED_SUCCESSOR_BYTES);
	const opened = unsealSuccessor(KEYS, sealed, presented, successorHash);
	assert.ok(opened !== null);
	assert.is(hex(opened.secret), hex(successor));
	assert.is(opened.keyId, KEY.id);
	assert.is(opened.sessionId, presented.sessionId);
});

seal("the sealed value is not the secret, and depends on the presented secret and on the server key", () => {
	const successor = newSecret();
	const presentedSecret = newSecret();
	const successorHash = hashFamilyProof(successor);
	const other = resolveRefreshSecrets("another-refresh-secret-of-32-bytes-or-more", []).current;
	const a = sealSuccessor(KEY, successor, presentedSecret, successorHash);
	assert.is.not(hex(a.subarray(4)), hex(successor));
	assert.is.not(hex(a), hex(sealSuccessor(KEY, successor, newSecret(), successorHash)));
	assert.is.not(hex(a.subarray(4)), hex(sealSuccessor(other, successor, presentedSecret, successorHash).subarray(4)));
});

seal("without the server key the presented token opens nothing: the v1 construction (pad from the presented secret alone) fails", () => {
	const successor = newSecret();
	const presented = freshParts();
	const successorHash = hashToken(KEY, presented.familyProof, successor);
	const sealed = sealSuccessor(KEY, successor, presented.secret, successorHash);
	// What a database reader holding a retired token computed against v1 seals:
	const v1Pad = hmacSha256(presented.secret, new Uint8Array([...new TextEncoder().encode("refresh-kit/v1 successor seal"), ...successorHash]));
	const guess = sealed.subarray(4).map((byte, index) => byte ^ (v1Pad[index] as number));
	assert.is.not(hex(guess), hex(successor));
	// …and a ring that does not hold the sealing secret cannot open it at all.
	const stranger = resolveRefreshSecrets("a-stranger-refresh-secret-of-32-bytes!!", []);
	assert.is(unsealSuccessor(stranger, sealed, presented, successorHash), null);
});

seal("the wrong presented secret or family, the wrong hash, a v1-sized seal or a flipped bit opens nothing", () => {
	const successor = newSecret();
	const presented = freshParts();
	const successorHash = hashToken(KEY, presented.familyProof, successor);
	const sealed = sealSuccessor(KEY, successor, presented.secret, successorHash);
	assert.is(unsealSuccessor(KEYS, sealed, { ...presented, secret: newSecret() }, successorHash), null);
	assert.is(unsealSuccessor(KEYS, sealed, { ...presented, familyProof: newFamilyProof() }, successorHash), null);
	assert.is(unsealSuccessor(KEYS, sealed, presented, hashToken(KEY, presented.familyProof, newSecret())), null);
	assert.is(unsealSuccessor(KEYS, sealed.slice(4), presented, successorHash), null, "a 32-byte (v1) seal");
	assert.is(unsealSuccessor(KEYS, new Uint8Array(37), presented, successorHash), null);
	for (const at of [0, 4, 35]) {
		const flipped = sealed.slice();
		flipped[at] = (flipped[at] as number) ^ 1;
		assert.is(unsealSuccessor(KEYS, flipped, presented, successorHash), null, `bit flipped at byte ${at}`);
	}
});

seal("property: seal round-trips for random secrets", () => {
	fc.assert(
		fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (successor, secret, familyProof) => {
			const presented = { sessionId: newSessionId(), keyId: KEY.id, familyProof, secret };
			const successorHash = hashToken(KEY, familyProof, successor);
			return hex(unsealSuccessor(KEYS, sealSuccessor(KEY, successor, secret, successorHash), presented, successorHash)?.secret) === hex(successor);
		}),
		{ numRuns: 300 },
	);
});

seal("hashToken is HMAC-SHA256 under the secret's hash key over family proof || secret; v1 (no key) is SHA-256", () => {
	const secret = newSecret();
	const family = newFamilyProof();
	const message = new Uint8Array([...family, ...secret]);
	assert.is(hex(hashToken(KEY, family, secret)), hex(hmacSha256(KEY.hashKey, message)));
	assert.is.not(hex(hashToken(KEY, family, secret)), hex(sha256(message)), "keyed: a database reader cannot test a guess");
	assert.is(hex(hashToken(null, family, secret)), hex(sha256(message)));
	assert.is.not(hex(hashToken(KEY, family, secret)), hex(hashToken(KEY, newFamilyProof(), secret)), "binds the family proof");
	const other = resolveRefreshSecrets("another-refresh-secret-of-32-bytes-or-more", []).current;
	assert.is.not(hex(hashToken(KEY, family, secret)), hex(hashToken(other, family, secret)));
});

seal("hashFamilyProof is SHA-256", () => {
	const secret = newSecret();
	assert.is(hex(hashFamilyProof(secret)), hex(sha256(secret)));
	assert.is(hex(hashFamilyProof(new TextEncoder().encode("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});

seal("reuse-mode tokens are derived deterministically from the refresh secret and the session id", () => {
	const id = newSessionId();
	const a = deriveReusableToken(KEY, id);
	const b = deriveReusableToken(KEY, id);
	assert.is(formatRefreshToken(a), formatRefreshToken(b));
	assert.is(a.sessionId, id);
	assert.is(a.keyId, KEY.id);
	const other = resolveRefreshSecrets("another-refresh-secret-of-32-bytes-or-more", []).current;
	assert.is.not(formatRefreshToken(deriveReusableToken(other, id)), formatRefreshToken(a));
	assert.is.not(hex(deriveReusableToken(KEY, newSessionId()).secret), hex(a.secret));
	assert.is.not(hex(a.secret.slice(0, 16)), hex(a.familyProof));
});

format.run();
seal.run();
