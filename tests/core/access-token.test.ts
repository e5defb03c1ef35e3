// RFC 9068 access tokens: what is signed, and that verify() answers every hostile input with
// a documented code (never a TypeError, never an unhandled rejection).
import { createHmac } from "node:crypto";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { decodeJwt, decodeProtectedHeader, importJWK, type JWK, type JWTPayload, jwtVerify, SignJWT } from "jose";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { generateSigningKeys, isTokenError, type TokenService } from "../../core/index.js";
import { harness, rejects, settle, TEST_SECRET } from "../helpers.js";

const ISSUER = "https://auth.test";
const AUDIENCE = "https://api.test";

const unhandled: unknown[] = [];
function recordUnhandled(reason: unknown): void {
	unhandled.push(reason);
}

function b64json(value: unknown): string {
	return encodeBase64urlNoPadding(new TextEncoder().encode(JSON.stringify(value)));
}

/** A payload that passes every claim check at the harness clock (2026-01-01T00:00:00Z). */
function goodPayload(overrides: Record<string, unknown> = {}): JWTPayload {
	const iat = Date.UTC(2026, 0, 1) / 1000;
	const payload: Record<string, unknown> = { iss: ISSUER, sub: "alice", aud: AUDIENCE, iat, exp: iat + 900, jti: "j-1", sid: "00000000-0000-4000-8000-000000000000", ...overrides };
	for (const name of Object.keys(payload)) if (payload[name] === undefined) delete payload[name];
	return payload as JWTPayload;
}

async function signHs256(payload: JWTPayload, header: Record<string, unknown>, secret: Uint8Array): Promise<string> {
	return new SignJWT(payload).setProtectedHeader({ alg: "HS256", ...header }).sign(secret);
}

async function assertInvalid(service: TokenService, token: unknown, label: string): Promise<void> {
	try {
		await service.verify(token as string);
	} catch (error) {
		assert.ok(isTokenError(error, "ERR_ACCESS_TOKEN_INVALID"), `${label}: expected ERR_ACCESS_TOKEN_INVALID, got ${isTokenError(error) ? error.code : String(error)}`);
		return;
	}
	assert.unreachable(`${label}: verify accepted it`);
}

const shape = suite("access token shape (RFC 9068)");

shape("header typ at+jwt, alg pinned by the key, kid", async () => {
	const { service } = harness();
	const tokens = await service.issue({ subject: "alice" });
	const header = decodeProtectedHeader(tokens.accessToken);
	assert.equal(Object.keys(header).sort(), ["alg", "kid", "typ"]);
	assert.is(header.typ, "at+jwt");
	assert.is(header.alg, "HS256");
	assert.type(header.kid, "string");
});

shape("claims iss sub aud exp iat jti sid, exp = iat + accessTokenTtl, no client_id unless configured", async () => {
	const { service, clock } = harness();
	const tokens = await service.issue({ subject: "alice" });
	const claims = decodeJwt(tokens.accessToken);
	assert.equal(Object.keys(claims).sort(), ["aud", "exp", "iat", "iss", "jti", "sid", "sub"]);
	assert.is(claims.iss, ISSUER);
	assert.is(claims.sub, "alice");
	assert.is(claims.aud, AUDIENCE);
	assert.is(claims.iat, clock.now().getTime() / 1000);
	assert.is(claims.exp, (claims.iat as number) + 900);
	assert.is(claims.sid, tokens.sessionId);
	assert.type(claims.jti, "string");
	assert.is(tokens.expiresIn, 900);
	const verified = await service.verify(tokens.accessToken);
	assert.equal(verified, claims);
});

shape("client_id when configured; an audience list is kept as a list", async () => {
	const { service } = harness({ clientId: "web-app", audience: [AUDIENCE, "https://other.test"] });
	const tokens = await service.issue({ subject: "alice" });
	const claims = await service.verify(tokens.accessToken);
	assert.is(claims.client_id, "web-app");
	assert.equal(claims.aud, [AUDIENCE, "https://other.test"]);
});

shape("jti is unique per token, sid is stable across rotation", async () => {
	const { service } = harness();
	const a = await service.issue({ subject: "alice" });
	const b = await service.exchange(a.refreshToken);
	const c = await service.exchange(b.refreshToken);
	const ids = [a, b, c].map((set) => decodeJwt(set.accessToken).jti);
	assert.is(new Set(ids).size, 3);
	assert.equal(
		[a, b, c].map((set) => decodeJwt(set.accessToken).sid),
		[a.sessionId, a.sessionId, a.sessionId],
	);
});

shape("HS256 tokens are byte for byte what jose's SignJWT writes, and verify with raw jose", async () => {
	const secret = new TextEncoder().encode(TEST_SECRET);
	for (const keys of [{ secret: TEST_SECRET }, [{ kty: "oct", k: encodeBase64urlNoPadding(secret), kid: "custom \u00e9 kid" }]]) {
		const { service } = harness({ keys: keys as never, clientId: "web" });
		const tokens = await service.issue({ subject: 'ünïcødé \u2028 "quoted"', claims: { nested: { list: [1, "two", null], emoji: "\u{1F511}" }, role: "admin" } });
		const header = decodeProtectedHeader(tokens.accessToken);
		const payload = decodeJwt(tokens.accessToken);
		// decode/JSON.parse keep the member order, so jose re-signing the same objects must give the same bytes.
		assert.is(await new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(secret), tokens.accessToken);
		const { payload: verified } = await jwtVerify(tokens.accessToken, secret, { algorithms: ["HS256"], typ: "at+jwt", issuer: ISSUER, audience: AUDIENCE, currentDate: new Date(Date.UTC(2026, 0, 1)) });
		assert.equal(verified, payload);
		assert.equal(await service.verify(tokens.accessToken), payload);
	}
});

const verify = suite("access token verification");

verify.before(() => {
	process.on("unhandledRejection", recordUnhandled);
});

verify.after(() => {
	process.off("unhandledRejection", recordUnhandled);
});

verify("empty, huge, binary and wrong types are ERR_ACCESS_TOKEN_INVALID", async () => {
	const { service } = harness();
	const valid = (await service.issue({ subject: "alice" })).accessToken;
	const binary = Array.from({ length: 300 }, (_, i) => String.fromCharCode((i * 131) % 256)).join("");
	const inputs: Record<string, unknown> = {
		empty: "",
		"1 MB of a": "a".repeat(1 << 20),
		"1 MB shaped like a JWT": `${"a".repeat(1 << 19)}.${"b".repeat(1 << 19)}.c`,
		"a valid token padded to 1 MB": valid + "A".repeat(1 << 20),
		binary,
		"binary dots": `${binary}.${binary}.${binary}`,
		"NUL bytes": "\u0000\u0000.\u0000.\u0000",
		unicode: "😀.😀.😀",
		"one segment": "abc",
		"two segments": "abc.def",
		"four segments": `${valid}.extra`,
		"JWE-shaped": "a.b.c.d.e",
		"header not JSON": `${encodeBase64urlNoPadding(new TextEncoder().encode("nope"))}.${b64json(goodPayload())}.sig`,
		"payload not JSON": `${valid.split(".")[0]}.${encodeBase64urlNoPadding(new TextEncoder().encode("{nope"))}.${valid.split(".")[2]}`,
		"payload a JSON array": `${valid.split(".")[0]}.${b64json([1, 2])}.${valid.split(".")[2]}`,
		"tampered signature": valid.slice(0, -2) + (valid.endsWith("AA") ? "BA" : "AA"),
		"tampered payload": `${valid.split(".")[0]}.${b64json({ ...decodeJwt(valid), sub: "mallory" })}.${valid.split(".")[2]}`,
		"whitespace around": ` ${valid} `,
		"Bearer prefix": `Bearer ${valid}`,
		number: 42,
		object: { token: valid },
		array: [valid],
		null: null,
		undefined,
		boolean: true,
		bigint: 10n,
		"String object": new String(valid),
		symbol: Symbol("jwt"),
		Uint8Array: new TextEncoder().encode(valid),
	};
	for (const [label, input] of Object.entries(inputs)) await assertInvalid(service, input, label);
	assert.is((await service.verify(valid)).sub, "alice", "the untampered token still verifies");
});

verify("alg none is refused, with and without a signature", async () => {
	const { service } = harness();
	const valid = (await service.issue({ subject: "alice" })).accessToken;
	const kid = decodeProtectedHeader(valid).kid;
	const payload = b64json(decodeJwt(valid));
	for (const alg of ["none", "None", "NONE", ""]) {
		const header = b64json({ alg, typ: "at+jwt", kid });
		await assertInvalid(service, `${header}.${payload}.`, `alg ${alg} unsigned`);
		await assertInvalid(service, `${header}.${payload}.${valid.split(".")[2]}`, `alg ${alg} with a signature`);
	}
	await assertInvalid(service, `${b64json({ typ: "at+jwt", kid })}.${payload}.`, "no alg");
});

verify("a token signed by a foreign key is refused, with its own kid or with ours", async () => {
	const ed = await generateSigningKeys("EdDSA");
	const { service } = harness({ keys: ed });
	const ourKid = (ed[0] as JWK).kid as string;
	const [foreign] = await generateSigningKeys("EdDSA");
	const foreignKey = await importJWK(foreign as JWK, "EdDSA");
	for (const kid of [ourKid, (foreign as JWK).kid as string, undefined]) {
		const token = await new SignJWT(goodPayload()).setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", ...(kid === undefined ? {} : { kid }) }).sign(foreignKey);
		await assertInvalid(service, token, `foreign EdDSA key, kid ${String(kid)}`);
	}
	const hs = harness();
	const ourHsKid = decodeProtectedHeader((await hs.service.issue({ subject: "x" })).accessToken).kid as string;
	const otherSecret = new TextEncoder().encode(TEST_SECRET + "-not-ours");
	await assertInvalid(hs.service, await signHs256(goodPayload(), { typ: "at+jwt", kid: ourHsKid }, otherSecret), "foreign HS256 secret under our kid");
	const otherService = harness({ keys: { secret: TEST_SECRET + "-other" } }).service;
	await assertInvalid(hs.service, (await otherService.issue({ subject: "alice" })).accessToken, "another service's token");
});

verify("algorithm confusion: HS256 forged with the EdDSA public key as the secret is refused", async () => {
	const ed = await generateSigningKeys("EdDSA");
	const k = TEST_SECRET;
	// A key ring that allows both EdDSA and HS256, so only the per-key algorithm pin stands in the way.
	const mixed = harness({ keys: [...ed, { kty: "oct", k: Buffer.from(k).toString("base64url"), kid: "hs" }] });
	const single = harness({ keys: ed });
	const publicJwk = (await single.service.jwks()).keys[0] as JWK;
	const kid = publicJwk.kid as string;
	const rawPublic = Buffer.from(publicJwk.x as string, "base64url");
	const secrets = [new Uint8Array(rawPublic), new TextEncoder().encode(publicJwk.x as string), new TextEncoder().encode(JSON.stringify(publicJwk)), new TextEncoder().encode(JSON.stringify(await single.service.jwks()))];
	for (const secret of secrets) {
		const forged = await signHs256(goodPayload(), { typ: "at+jwt", kid }, secret);
		await assertInvalid(single.service, forged, "EdDSA-only service");
		await assertInvalid(mixed.service, forged, "EdDSA + HS256 service");
	}
	// The same trick with the real HS256 key but the EdDSA key's kid is refused too: the kid pins the alg.
	await assertInvalid(mixed.service, await signHs256(goodPayload(), { typ: "at+jwt", kid }, new TextEncoder().encode(k)), "HS256 under the EdDSA kid");
	assert.is((await mixed.service.verify(await signHs256(goodPayload(), { typ: "at+jwt", kid: "hs" }, new TextEncoder().encode(k)))).sub, "alice");
});

verify("wrong typ, aud, iss and missing claims are refused even when correctly signed", async () => {
	const { service } = harness();
	const kid = decodeProtectedHeader((await service.issue({ subject: "x" })).accessToken).kid as string;
	const secret = new TextEncoder().encode(TEST_SECRET);
	const good = await signHs256(goodPayload(), { typ: "at+jwt", kid }, secret);
	assert.is((await service.verify(good)).sub, "alice", "the control token verifies");
	assert.is((await service.verify(await signHs256(goodPayload(), { typ: "application/at+jwt", kid }, secret))).sub, "alice", "RFC 7515 §4.1.9: the application/ prefix may be spelled out");
	const cases: Record<string, [JWTPayload, Record<string, unknown>]> = {
		"typ JWT": [goodPayload(), { typ: "JWT", kid }],
		"typ missing": [goodPayload(), { kid }],
		"typ at+JWT-ish": [goodPayload(), { typ: "at+jwt2", kid }],
		"kid missing": [goodPayload(), { typ: "at+jwt" }],
		"kid unknown": [goodPayload(), { typ: "at+jwt", kid: "nope" }],
		"kid a number": [goodPayload(), { typ: "at+jwt", kid: 1 }],
		"wrong aud": [goodPayload({ aud: "https://evil.test" }), { typ: "at+jwt", kid }],
		"aud list without ours": [goodPayload({ aud: ["https://a.test", "https://b.test"] }), { typ: "at+jwt", kid }],
		"aud missing": [goodPayload({ aud: undefined }), { typ: "at+jwt", kid }],
		"wrong iss": [goodPayload({ iss: "https://evil.test" }), { typ: "at+jwt", kid }],
		"iss missing": [goodPayload({ iss: undefined }), { typ: "at+jwt", kid }],
		"sub missing": [goodPayload({ sub: undefined }), { typ: "at+jwt", kid }],
		"sid missing": [goodPayload({ sid: undefined }), { typ: "at+jwt", kid }],
		"sid a number": [goodPayload({ sid: 7 }), { typ: "at+jwt", kid }],
		"jti missing": [goodPayload({ jti: undefined }), { typ: "at+jwt", kid }],
		"iat missing": [goodPayload({ iat: undefined }), { typ: "at+jwt", kid }],
		"exp missing": [goodPayload({ exp: undefined }), { typ: "at+jwt", kid }],
		"exp a string": [goodPayload({ exp: "tomorrow" }), { typ: "at+jwt", kid }],
		"nbf in the future": [goodPayload({ nbf: Date.UTC(2026, 0, 1) / 1000 + 3600 }), { typ: "at+jwt", kid }],
	};
	for (const [label, [payload, header]] of Object.entries(cases)) {
		await assertInvalid(service, await signHs256(payload, header, secret), label);
	}
	// jose will not sign an unknown critical header, so build that one by hand.
	const critical = `${b64json({ alg: "HS256", typ: "at+jwt", kid, crit: ["x-unknown"], "x-unknown": 1 })}.${b64json(goodPayload())}`;
	await assertInvalid(service, `${critical}.${createHmac("sha256", secret).update(critical).digest("base64url")}`, "unknown crit header");
	const control = `${b64json({ alg: "HS256", typ: "at+jwt", kid })}.${b64json(goodPayload())}`;
	assert.is((await service.verify(`${control}.${createHmac("sha256", secret).update(control).digest("base64url")}`)).sub, "alice", "the hand-built control verifies");
});

verify("expiry: with the default 5 s tolerance a token is valid through exp+4 s and expired at exp+5 s", async () => {
	// jose: expired when exp <= floor(now) - tolerance. So valid while floor(now) < exp + tolerance.
	const { service, clock } = harness();
	const tokens = await service.issue({ subject: "alice" });
	const exp = decodeJwt(tokens.accessToken).exp as number;
	clock.set(new Date(exp * 1000 - 1000));
	assert.is((await service.verify(tokens.accessToken)).sub, "alice", "exp-1");
	clock.set(new Date(exp * 1000));
	assert.is((await service.verify(tokens.accessToken)).sub, "alice", "exp (inside tolerance)");
	clock.set(new Date((exp + 4) * 1000));
	assert.is((await service.verify(tokens.accessToken)).sub, "alice", "exp+4");
	clock.set(new Date((exp + 4) * 1000 + 999));
	assert.is((await service.verify(tokens.accessToken)).sub, "alice", "exp+4.999 (jose floors the clock)");
	clock.set(new Date((exp + 5) * 1000));
	await rejects(service.verify(tokens.accessToken), "ERR_ACCESS_TOKEN_EXPIRED");
	clock.set(new Date((exp + 86_400) * 1000));
	await rejects(service.verify(tokens.accessToken), "ERR_ACCESS_TOKEN_EXPIRED");
});

verify("expiry: clockTolerance 0 means valid at exp-1 s and expired at exp; a custom tolerance moves the edge", async () => {
	const strict = harness({ clockTolerance: 0 });
	const a = await strict.service.issue({ subject: "alice" });
	const expA = decodeJwt(a.accessToken).exp as number;
	strict.clock.set(new Date((expA - 1) * 1000));
	assert.is((await strict.service.verify(a.accessToken)).sub, "alice");
	strict.clock.set(new Date(expA * 1000));
	await rejects(strict.service.verify(a.accessToken), "ERR_ACCESS_TOKEN_EXPIRED");

	const loose = harness({ clockTolerance: "1m" });
	const b = await loose.service.issue({ subject: "alice" });
	const expB = decodeJwt(b.accessToken).exp as number;
	loose.clock.set(new Date((expB + 59) * 1000));
	assert.is((await loose.service.verify(b.accessToken)).sub, "alice");
	loose.clock.set(new Date((expB + 60) * 1000));
	await rejects(loose.service.verify(b.accessToken), "ERR_ACCESS_TOKEN_EXPIRED");
});

verify("an expired token with a bad signature is INVALID, not EXPIRED (the signature is checked first)", async () => {
	const { service, clock } = harness();
	const tokens = await service.issue({ subject: "alice" });
	clock.advance(3600);
	await rejects(service.verify(tokens.accessToken.slice(0, -2) + (tokens.accessToken.endsWith("AA") ? "BA" : "AA")), "ERR_ACCESS_TOKEN_INVALID");
	await rejects(service.verify(tokens.accessToken), "ERR_ACCESS_TOKEN_EXPIRED");
});

verify("verify is stateless: a token of a revoked session still verifies until it expires", async () => {
	const { service } = harness();
	const tokens = await service.issue({ subject: "alice" });
	await service.revokeSession(tokens.sessionId);
	assert.is((await service.verify(tokens.accessToken)).sid, tokens.sessionId);
});

verify("no unhandled rejection was raised by any of the above", async () => {
	await settle();
	assert.equal(unhandled, []);
});

shape.run();
verify.run();
