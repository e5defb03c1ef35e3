import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import fc from "fast-check";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { sha256 } from "../../core/crypto.js";
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
	sealSuccessor,
	unsealSuccessor,
	type RefreshTokenParts,
} from "../../core/refresh-token.js";
import { hex } from "../helpers.js";

function freshParts(): RefreshTokenParts {
	return { sessionId: newSessionId(), familyProof: newFamilyProof(), secret: newSecret() };
}

function freshToken(): string {
	return formatRefreshToken(freshParts());
}

const format = suite("refresh-token format");

format("a token is rk1_ + 86 base64url characters, 90 in all, and carries 256 bits of secret", () => {
	const parts = freshParts();
	const token = formatRefreshToken(parts);
	assert.is(REFRESH_TOKEN_LENGTH, 90);
	assert.is(token.length, 90);
	assert.ok(token.startsWith("rk1_"));
	assert.match(token.slice(4), /^[A-Za-z0-9_-]{86}$/);
	assert.is(parts.secret.length, 32);
	assert.is(parts.familyProof.length, 16);
});

format("round-trip: parse(format(parts)) gives the parts back", () => {
	const parts = freshParts();
	const parsed = parseRefreshToken(formatRefreshToken(parts));
	assert.ok(parsed !== null);
	assert.is(parsed.sessionId, parts.sessionId);
	assert.is(hex(parsed.familyProof), hex(parts.familyProof));
	assert.is(hex(parsed.secret), hex(parts.secret));
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

format("property: any 64-byte body round-trips, with one spelling", () => {
	fc.assert(
		fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (body) => {
			const token = "rk1_" + encodeBase64urlNoPadding(body);
			const parsed = parseRefreshToken(token);
			return parsed !== null && formatRefreshToken(parsed) === token;
		}),
		{ numRuns: 500 },
	);
});

format("property: arbitrary strings never throw, and whatever parses re-formats to itself", () => {
	const junk = fc.oneof(
		fc.string({ unit: "binary", maxLength: 120 }),
		fc.string({ unit: "grapheme", minLength: 86, maxLength: 90 }).map((body) => "rk1_" + body),
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
	for (const prefix of ["rk0_", "rk2_", "rk9_", "RK1_", "rk1-", "rk1.", "rkl_", "xx1_"]) {
		assert.is(parseRefreshToken(prefix + body), null, prefix);
	}
	assert.is(parseRefreshToken(body + "rk1_"), null);
});

format("wrong length is refused", () => {
	const token = freshToken();
	assert.is(parseRefreshToken(token.slice(0, -1)), null);
	assert.is(parseRefreshToken(token + "A"), null);
	assert.is(parseRefreshToken(token + "="), null);
	assert.is(parseRefreshToken(token + "=="), null);
	assert.is(parseRefreshToken(" " + token), null);
	assert.is(parseRefreshToken(token + "\n"), null);
	assert.is(parseRefreshToken("rk1_"), null);
	assert.is(parseRefreshToken(""), null);
	assert.is(parseRefreshToken("rk1_" + "A".repeat(1_000_000)), null);
});

format("non-canonical base64url (set trailing bits in the last character) is refused", () => {
	// 86 characters carry 516 bits for 512 bits of data: the low 4 bits of the last one must be 0.
	const token = freshToken();
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const last = alphabet.indexOf(token.at(-1) as string);
	assert.is(last & 0b1111, 0);
	for (let low = 1; low < 16; low++) {
		const variant = token.slice(0, -1) + alphabet[last | low];
		assert.is(parseRefreshToken(variant), null, `low bits ${low}`);
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
	for (const value of [undefined, null, 0, 42, Number.NaN, true, {}, [], [token], { token }, new String(token), 10n, Symbol("rk1_"), () => token, new Uint8Array(90)]) {
		assert.is(parseRefreshToken(value), null, typeof value);
	}
});

format("binary and unicode junk of the right length is refused", () => {
	const binary = "rk1_" + Array.from({ length: 86 }, (_, i) => String.fromCharCode((i * 37 + 128) % 256)).join("");
	assert.is(binary.length, 90);
	assert.is(parseRefreshToken(binary), null);
	assert.is(parseRefreshToken("rk1_" + "é".repeat(86)), null);
	assert.is(parseRefreshToken("rk1_" + "😀".repeat(43)), null);
	assert.is(parseRefreshToken("rk1_" + "\u0000".repeat(86)), null);
	assert.is(parseRefreshToken("rk1_" + "Ａ".repeat(86)), null);
});

const seal = suite("successor seal");

function presentedToken(): RefreshTokenParts {
	return { sessionId: newSessionId(), familyProof: newFamilyProof(), secret: newSecret() };
}

seal("unseal(seal(s)) with the presented token gives s back", () => {
	const successor = newSecret();
	const presented = presentedToken();
	const successorHash = hashToken(presented.familyProof, successor);
	const sealed = sealSuccessor(successor, presented.secret, successorHash);
	assert.is(sealed.length, 32);
	assert.is(hex(unsealSuccessor(sealed, presented, successorHash)), hex(successor));
});

seal("the sealed value is not the secret, and depends on the presented secret", () => {
	const successor = newSecret();
	const successorHash = hashFamilyProof(successor);
	const a = sealSuccessor(successor, newSecret(), successorHash);
	const b = sealSuccessor(successor, newSecret(), successorHash);
	assert.is.not(hex(a), hex(successor));
	assert.is.not(hex(a), hex(b));
});

seal("the wrong presented secret or family, the wrong hash or a wrong length opens nothing", () => {
	const successor = newSecret();
	const presented = presentedToken();
	const successorHash = hashToken(presented.familyProof, successor);
	const sealed = sealSuccessor(successor, presented.secret, successorHash);
	assert.is(unsealSuccessor(sealed, { ...presented, secret: newSecret() }, successorHash), null);
	assert.is(unsealSuccessor(sealed, { ...presented, familyProof: newFamilyProof() }, successorHash), null);
	assert.is(unsealSuccessor(sealed, presented, hashToken(presented.familyProof, newSecret())), null);
	assert.is(unsealSuccessor(sealed.slice(0, 31), presented, successorHash), null);
	assert.is(unsealSuccessor(new Uint8Array(33), presented, successorHash), null);
	const flipped = sealed.slice();
	flipped[0] = (flipped[0] as number) ^ 1;
	assert.is(unsealSuccessor(flipped, presented, successorHash), null);
});

seal("property: seal round-trips for random secrets", () => {
	fc.assert(
		fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (successor, secret, familyProof) => {
			const presented = { sessionId: newSessionId(), familyProof, secret };
			const successorHash = hashToken(familyProof, successor);
			return hex(unsealSuccessor(sealSuccessor(successor, secret, successorHash), presented, successorHash)) === hex(successor);
		}),
		{ numRuns: 300 },
	);
});

seal("hashToken binds the family proof: the same secret with another family hashes differently", () => {
	const secret = newSecret();
	const family = newFamilyProof();
	assert.is(hex(hashToken(family, secret)), hex(sha256(new Uint8Array([...family, ...secret]))));
	assert.is.not(hex(hashToken(family, secret)), hex(hashToken(newFamilyProof(), secret)));
});

seal("hashFamilyProof is SHA-256", () => {
	const secret = newSecret();
	assert.is(hex(hashFamilyProof(secret)), hex(sha256(secret)));
	assert.is(hex(hashFamilyProof(new TextEncoder().encode("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});

seal("reuse-mode tokens are derived deterministically from the server key and the session id", () => {
	const key = newSecret();
	const id = newSessionId();
	const a = deriveReusableToken(key, id);
	const b = deriveReusableToken(key, id);
	assert.is(formatRefreshToken(a), formatRefreshToken(b));
	assert.is(a.sessionId, id);
	assert.is.not(formatRefreshToken(deriveReusableToken(newSecret(), id)), formatRefreshToken(a));
	assert.is.not(hex(deriveReusableToken(key, newSessionId()).secret), hex(a.secret));
	assert.is.not(hex(a.secret.slice(0, 16)), hex(a.familyProof));
});

format.run();
seal.run();
