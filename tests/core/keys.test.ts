import { createHmac, randomBytes } from "node:crypto";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JSONWebKeySet, type JWK, jwtVerify } from "jose";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { generateSigningKeys, type SigningAlgorithm } from "../../core/index.js";
import { harness, rejects, TEST_SECRET } from "../helpers.js";
import { secretSpellings, sharedPiece } from "../support/spellings.js";

type Asymmetric = Exclude<SigningAlgorithm, "HS256">;

const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"] as const;

function assertPublicOnly(jwks: { keys: JWK[] }): void {
	for (const key of jwks.keys) {
		assert.is.not(key.kty, "oct", "a symmetric key is never published");
		for (const name of PRIVATE_MEMBERS) assert.is((key as Record<string, unknown>)[name], undefined, `jwks() leaked "${name}"`);
		assert.type(key.kid, "string");
	}
	const text = JSON.stringify(jwks);
	assert.not.match(text, /"(d|k|p|q|dp|dq|qi)"\s*:/);
}

function publicPart(jwk: JWK): JWK {
	const out: JWK = {};
	for (const [name, value] of Object.entries(jwk)) {
		if (!(PRIVATE_MEMBERS as readonly string[]).includes(name)) (out as Record<string, unknown>)[name] = value;
	}
	return out;
}

const keys = suite("keys");

keys("{ secret } of 32 bytes signs HS256 with a kid; a shorter one is ERR_CONFIG_INVALID", async () => {
	const { service } = harness({ keys: { secret: "x".repeat(32) } });
	const tokens = await service.issue({ subject: "alice" });
	const header = decodeProtectedHeader(tokens.accessToken);
	assert.is(header.alg, "HS256");
	assert.type(header.kid, "string");
	assert.is(header.typ, "at+jwt");
	assert.throws(
		() => harness({ keys: { secret: "x".repeat(31) } }),
		(error: Error & { code?: string }) => error.code === "ERR_CONFIG_INVALID",
	);
	assert.throws(
		() => harness({ keys: { secret: new Uint8Array(31) } }),
		(error: Error & { code?: string }) => error.code === "ERR_CONFIG_INVALID",
	);
	assert.throws(
		() => harness({ keys: { secret: "" } }),
		(error: Error & { code?: string }) => error.code === "ERR_CONFIG_INVALID",
	);
	harness({ keys: { secret: new Uint8Array(32) } });
});

keys("the 32-byte minimum counts UTF-8 bytes, not characters", () => {
	harness({ keys: { secret: "é".repeat(16) } }); // 16 characters, 32 bytes
	assert.throws(
		() => harness({ keys: { secret: "é".repeat(15) + "x" } }),
		(error: Error & { code?: string }) => error.code === "ERR_CONFIG_INVALID",
	);
});

keys("the HS256 kid is a MAC of a fixed label under the secret: no spelling of the secret or of its hash is in it", async () => {
	const random = new Uint8Array(randomBytes(32));
	const secrets: Array<string | Uint8Array> = [TEST_SECRET, `${TEST_SECRET}2`, random, new Uint8Array(32)];
	const kids = new Set<string>();
	for (const secret of secrets) {
		const tokens = await harness({ keys: { secret } }).service.issue({ subject: "s" });
		const kid = decodeProtectedHeader(tokens.accessToken).kid as string;
		// Derived by an independent HMAC (node:crypto), not by the code under test.
		const mac = createHmac("sha256", typeof secret === "string" ? Buffer.from(secret, "utf8") : secret)
			.update("refresh-kit/v1 kid")
			.digest("base64url");
		assert.is(kid, `hs-${mac.slice(0, 16)}`, "the kid is HMAC-SHA256(secret, label), not the secret or a plain hash of it");
		const leaked = sharedPiece(kid.slice(3), secretSpellings(secret));
		assert.is(leaked, null, `the kid shares "${leaked}" with a spelling of the secret or of SHA-256(secret)`);
		kids.add(kid);
	}
	assert.is(kids.size, secrets.length, "a different secret gives a different kid");
});

for (const alg of ["EdDSA", "ES256", "RS256"] as const satisfies readonly Asymmetric[]) {
	keys(`generateSigningKeys("${alg}") signs and verifies; jwks() has the public key only`, async () => {
		const generated = await generateSigningKeys(alg);
		assert.is(generated.length, 1);
		const jwk = generated[0] as JWK;
		assert.is(jwk.alg, alg);
		assert.is(jwk.use, "sig");
		assert.type(jwk.kid, "string");
		assert.type(jwk.d, "string", "the generated key is private");
		const { service } = harness({ keys: generated });
		const tokens = await service.issue({ subject: "alice" });
		const header = decodeProtectedHeader(tokens.accessToken);
		assert.is(header.alg, alg);
		assert.is(header.kid, jwk.kid);
		assert.is(header.typ, "at+jwt");
		const claims = await service.verify(tokens.accessToken);
		assert.is(claims.sub, "alice");
		const jwks = await service.jwks();
		assert.is(jwks.keys.length, 1);
		assertPublicOnly(jwks);
		assert.is(jwks.keys[0]?.kid, jwk.kid);
		assert.is(jwks.keys[0]?.alg, alg);
		// Any verifier with the published keys accepts the token (ES256 and EdDSA are signed with Web
		// Crypto directly, RS256 through jose's SignJWT).
		const external = await jwtVerify(tokens.accessToken, createLocalJWKSet(jwks as JSONWebKeySet), {
			algorithms: [alg],
			typ: "at+jwt",
			issuer: "https://auth.test",
			audience: "https://api.test",
			currentDate: new Date(Date.UTC(2026, 0, 1)),
		});
		assert.is(external.payload.sid, tokens.sessionId);
		assert.is(tokens.accessToken.split(".")[0], Buffer.from(JSON.stringify({ alg, kid: jwk.kid, typ: "at+jwt" })).toString("base64url"));
	});
}

keys("generateSigningKeys defaults to EdDSA and refuses HS256 and unknown algorithms", async () => {
	const [jwk] = await generateSigningKeys();
	assert.is(jwk?.alg, "EdDSA");
	await rejects(generateSigningKeys("HS256" as Asymmetric), "ERR_CONFIG_INVALID");
	await rejects(generateSigningKeys("none" as Asymmetric), "ERR_CONFIG_INVALID");
	await rejects(generateSigningKeys("PS256" as Asymmetric), "ERR_CONFIG_INVALID");
});

keys("a JWK list: the first signs, every key verifies, kid on every token", async () => {
	const [oldKey] = await generateSigningKeys("EdDSA");
	const [newKey] = await generateSigningKeys("ES256");
	const before = harness({ keys: [oldKey as JWK] });
	const oldToken = (await before.service.issue({ subject: "alice" })).accessToken;
	assert.is(decodeProtectedHeader(oldToken).kid, oldKey?.kid);

	const rotated = harness({ keys: [newKey as JWK, oldKey as JWK] });
	const newToken = (await rotated.service.issue({ subject: "alice" })).accessToken;
	assert.is(decodeProtectedHeader(newToken).kid, newKey?.kid);
	assert.is(decodeProtectedHeader(newToken).alg, "ES256");
	assert.is((await rotated.service.verify(oldToken)).sub, "alice", "an old token verifies while the old key is listed");
	assert.is((await rotated.service.verify(newToken)).sub, "alice");
	const jwks = await rotated.service.jwks();
	assert.equal(
		jwks.keys.map((key) => key.kid),
		[newKey?.kid, oldKey?.kid],
	);
	assertPublicOnly(jwks);

	const retired = harness({ keys: [newKey as JWK] });
	await rejects(retired.service.verify(oldToken), "ERR_ACCESS_TOKEN_INVALID");
	assert.is((await retired.service.verify(newToken)).sub, "alice");
});

keys("verification-only keys may be public; a kid is derived when missing", async () => {
	const [signer] = await generateSigningKeys("EdDSA");
	const [other] = await generateSigningKeys("EdDSA");
	const { kid: _kid, ...withoutKid } = publicPart(other as JWK);
	const { service } = harness({ keys: [signer as JWK, withoutKid] });
	const jwks = await service.jwks();
	assert.is(jwks.keys.length, 2);
	assert.type(jwks.keys[1]?.kid, "string");
	assert.ok((jwks.keys[1]?.kid ?? "").length > 0);
	assertPublicOnly(jwks);
});

keys("an oct JWK signs HS256 and is never published; asymmetric keys beside it are", async () => {
	const k = Buffer.from(TEST_SECRET).toString("base64url");
	const [ed] = await generateSigningKeys("EdDSA");
	const { service } = harness({ keys: [{ kty: "oct", k, kid: "hs-1" }, ed as JWK] });
	const tokens = await service.issue({ subject: "alice" });
	assert.equal(decodeProtectedHeader(tokens.accessToken), { alg: "HS256", kid: "hs-1", typ: "at+jwt" });
	const jwks = await service.jwks();
	assert.equal(
		jwks.keys.map((key) => key.kid),
		[ed?.kid],
	);
	assertPublicOnly(jwks);
	assert.not.ok(JSON.stringify(jwks).includes(k));
});

keys("an oct JWK of exactly 32 bytes is accepted", async () => {
	const { service } = harness({ keys: [{ kty: "oct", k: Buffer.from("x".repeat(32)).toString("base64url"), kid: "hs-32" }] });
	assert.is(decodeProtectedHeader((await service.issue({ subject: "alice" })).accessToken).kid, "hs-32");
});

keys("{ secret } publishes nothing", async () => {
	const { service } = harness();
	assert.equal(await service.jwks(), { keys: [] });
});

keys("jwks() hands out copies: mutating the result does not change the key set", async () => {
	const { service } = harness({ keys: await generateSigningKeys("EdDSA") });
	const first = await service.jwks();
	(first.keys[0] as JWK).x = "tampered";
	first.keys.push({ kty: "oct", k: "AAAA" });
	const second = await service.jwks();
	assert.is(second.keys.length, 1);
	assert.is.not(second.keys[0]?.x, "tampered");
});

keys("bad key options are ERR_CONFIG_INVALID at construction", async () => {
	const [ed] = await generateSigningKeys("EdDSA");
	const [es] = await generateSigningKeys("ES256");
	const edPublic = publicPart(ed as JWK);
	const cases: Record<string, unknown> = {
		"no keys": undefined,
		"a string": TEST_SECRET,
		null: null,
		"an empty list": [],
		"a public key first": [edPublic],
		"a duplicate kid": [ed, { ...edPublic }],
		"a null entry": [ed, null],
		"an array entry": [[ed]],
		"an unsupported alg": [{ ...ed, alg: "PS256" }],
		"alg none": [{ ...ed, alg: "none" }],
		"alg that does not fit the kty": [{ ...ed, alg: "ES256" }],
		"a curve that does not fit the alg": [{ ...es, crv: "P-384" }],
		"use enc": [{ ...ed, use: "enc" }],
		"an oct key for HS512": [{ kty: "oct", k: Buffer.from(TEST_SECRET).toString("base64url"), alg: "HS512" }],
		"an oct key without k": [{ kty: "oct" }],
		"an oct key of 31 bytes": [{ kty: "oct", k: Buffer.from("x".repeat(31)).toString("base64url") }],
		"an empty oct key": [{ kty: "oct", k: "" }],
		"a short oct key after a good one": [ed, { kty: "oct", k: Buffer.from("short").toString("base64url"), kid: "hs" }],
		"a non-base64url d": [{ ...ed, d: "not base64url!" }],
		// biome-ignore lint/correctness/noPrecisionLoss: a number where a secret belongs, on purpose (any number will do).
		"a secret that is a number": { secret: 12345678901234567890123456789012 },
		"a secret that is null": { secret: null },
	};
	for (const [name, value] of Object.entries(cases)) {
		assert.throws(
			() => harness({ keys: value as JWK[] }),
			(error: Error & { code?: string }) => error.code === "ERR_CONFIG_INVALID",
			name,
		);
	}
});

keys("the token's kid picks the verification key; tokens verify across services sharing a key", async () => {
	const shared = await generateSigningKeys("EdDSA");
	const a = harness({ keys: shared });
	const b = harness({ keys: shared });
	const token = (await a.service.issue({ subject: "carol" })).accessToken;
	assert.is((await b.service.verify(token)).sub, "carol");
	assert.is(decodeJwt(token).sub, "carol");
});

keys("a key that cannot be imported fails issue with ERR_CONFIG_INVALID and stores no session", async () => {
	const [good] = await generateSigningKeys("EdDSA");
	const broken = { ...(good as JWK), x: "AAAA" }; // a public point of the wrong length
	const { service } = harness({ keys: [broken] });
	await rejects(service.issue({ subject: "orphan" }), "ERR_CONFIG_INVALID");
	assert.equal(await service.listSessions("orphan"), [], "no session was stored for a token nobody received");
});

keys.run();
