// The fast path of verify() for the service's own HS256 tokens (core/own-hs256.ts): it accepts a
// token only when jose would too, and declines (null: jose decides) everything else. Checked
// case by case at every claim boundary, and by a property: over random claim sets and tamperings,
// whenever the fast path accepts, jose's jwtVerify with the service's options accepts the same
// claims.
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { jwtVerify } from "jose";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { macKey } from "../../core/crypto.js";
import { verifyOwnHs256 } from "../../core/own-hs256.js";
import { harness, TEST_SECRET } from "../helpers.js";

const test = suite("verify: the service's own HS256 tokens without jose");

const ISSUER = "https://auth.test";
const AUDIENCE = "https://api.test";
const NOW = Date.UTC(2026, 0, 1) / 1000;
const TOLERANCE = 5;
const secret = new TextEncoder().encode(TEST_SECRET);
const settings = { issuer: ISSUER, audience: AUDIENCE, clockTolerance: TOLERANCE, now: () => new Date(NOW * 1000) };

/** The protected header the service writes, taken from a token it issued. */
const { service } = harness();
const issued = (await service.issue({ subject: "alice" })).accessToken;
const header = issued.slice(0, issued.indexOf("."));
const keys = new Map([[header, macKey(secret)]]);

function b64(text: string): string {
	return Buffer.from(text).toString("base64url");
}

function sign(payloadPart: string, headerPart = header): string {
	const input = `${headerPart}.${payloadPart}`;
	return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

function claims(overrides: Record<string, unknown> = {}): string {
	const set: Record<string, unknown> = { iss: ISSUER, sub: "alice", aud: AUDIENCE, exp: NOW + 900, iat: NOW, jti: "j", sid: "00000000-0000-4000-8000-000000000000", ...overrides };
	for (const name of Object.keys(set)) if (set[name] === undefined) delete set[name];
	return b64(JSON.stringify(set));
}

async function joseAccepts(token: string): Promise<boolean> {
	try {
		const { payload } = await jwtVerify(token, secret, {
			algorithms: ["HS256"],
			typ: "at+jwt",
			issuer: ISSUER,
			audience: AUDIENCE,
			clockTolerance: TOLERANCE,
			requiredClaims: ["sub", "exp", "iat", "jti", "sid"],
			currentDate: new Date(NOW * 1000),
		});
		return typeof payload.sub === "string" && typeof payload.sid === "string" && typeof payload.jti === "string";
	} catch {
		return false;
	}
}

test("a token the service issued is accepted, with its claims", async () => {
	const accepted = verifyOwnHs256(issued, keys, settings);
	assert.ok(accepted);
	assert.is(accepted.sub, "alice");
	assert.equal(accepted, (await service.verify(issued)) as unknown);
});

test("declined at every claim boundary where jose refuses, and for any other header or encoding", async () => {
	const declined: Array<[string, string]> = [
		["expired: exp = now − tolerance", sign(claims({ exp: NOW - TOLERANCE }))],
		["not yet valid: nbf = now + tolerance + 1", sign(claims({ nbf: NOW + TOLERANCE + 1 }))],
		["nbf not a number", sign(claims({ nbf: "0" }))],
		["exp not a number", sign(claims({ exp: String(NOW + 900) }))],
		["iat not a number", sign(claims({ iat: null }))],
		["another issuer", sign(claims({ iss: "https://evil.test" }))],
		["another audience", sign(claims({ aud: "https://other.test" }))],
		["an audience list without ours", sign(claims({ aud: ["https://other.test"] }))],
		...(["sub", "exp", "iat", "jti", "sid", "aud", "iss"] as const).map((name): [string, string] => [`no ${name}`, sign(claims({ [name]: undefined }))]),
		["sub not a string", sign(claims({ sub: 7 }))],
		["sid not a string", sign(claims({ sid: ["x"] }))],
		["jti not a string", sign(claims({ jti: {} }))],
		["claims an array", sign(b64("[1,2]"))],
		["claims not JSON", sign(b64("{nope"))],
		["claims not UTF-8", sign(Buffer.from([0x7b, 0xff, 0x7d]).toString("base64url"))],
		["a signature of one byte less", `${sign(claims()).slice(0, -1)}`],
		["a signature of another key", `${header}.${claims()}.${createHmac("sha256", "another-secret-another-secret-xx").update(`${header}.${claims()}`).digest("base64url")}`],
		["a header that is not byte for byte ours", sign(claims(), b64('{"alg":"HS256","typ":"at+jwt"}'))],
		["four parts", `${sign(claims())}.x`],
		["non-canonical payload encoding", sign(`${claims()}=`)],
	];
	for (const [label, token] of declined) {
		assert.is(verifyOwnHs256(token, keys, settings), null, label);
		// A header other than ours or a non-canonical encoding is declined even where jose may
		// accept it: jose then decides, as before the fast path existed.
		if (!label.includes("not byte for byte") && !label.startsWith("non-canonical")) assert.not.ok(await joseAccepts(token), `jose refuses too: ${label}`);
	}
	// ...and accepted just inside them, as jose does.
	for (const [label, token] of [
		["exp = now − tolerance + 1", sign(claims({ exp: NOW - TOLERANCE + 1 }))],
		["nbf = now + tolerance", sign(claims({ nbf: NOW + TOLERANCE }))],
		["our audience among others", sign(claims({ aud: ["https://other.test", AUDIENCE] }))],
	] as const) {
		assert.ok(verifyOwnHs256(token, keys, settings), label);
		assert.ok(await joseAccepts(token), label);
	}
});

test("property: whatever it accepts, jose accepts with the service's options", async () => {
	const value = fc.oneof(fc.constant(undefined), fc.string(), fc.integer({ min: NOW - 20, max: NOW + 20 }), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }));
	await fc.assert(
		fc.asyncProperty(
			fc.record({
				iss: fc.oneof(fc.constant(ISSUER), value),
				aud: fc.oneof(fc.constant(AUDIENCE), fc.constant([AUDIENCE, "x"]), value),
				exp: fc.oneof(fc.integer({ min: NOW - 10, max: NOW + 10 }), value),
				nbf: value,
				iat: fc.oneof(fc.constant(NOW), value),
				sub: fc.oneof(fc.constant("alice"), value),
				jti: fc.oneof(fc.constant("j"), value),
				sid: fc.oneof(fc.constant("s"), value),
			}),
			fc.boolean(),
			async (set, tamper) => {
				let token = sign(claims(set));
				if (tamper) token = `${token.slice(0, -2)}${token.endsWith("A") ? "B" : "A"}${token.slice(-1)}`;
				const accepted = verifyOwnHs256(token, keys, settings);
				if (accepted !== null) assert.ok(await joseAccepts(token), `accepted what jose refuses: ${JSON.stringify(set)}`);
			},
		),
		{ numRuns: 400 },
	);
});

test.run();
