// Reliability, scenario 5: hostile keys.
// - Rotating signing keys the documented way (new key first, old key kept for verification)
//   keeps tokens signed with the old key valid until the old key is removed; new tokens carry
//   the new kid; refresh-token chains do not notice the rotation.
// - Algorithm confusion: HS256 tokens whose HMAC secret is the public key of an EdDSA / ES256 /
//   RS256 service (raw bytes, SPKI DER, PEM, the JWK JSON, the JWKS JSON) are refused by
//   service.verify, by createVerifier({ keys }) and by createVerifier({ jwksUrl }) over a real
//   socket (the Node adapter serving /auth/jwks on 127.0.0.1).
// - Remote verifiers cache the JWKS (jose: refetch on an unknown kid at most every 30 s, cache
//   for 10 min). A test below shows what that means for rotation; see RELIABILITY.md.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeBase64urlIgnorePadding } from "@oslojs/encoding";
import { type CryptoKey, exportSPKI, importJWK, type JWK, jwtVerify, SignJWT } from "jose";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createNodeHandler } from "../../adapters/node/index.js";
import { createTokenService, createVerifier, generateSigningKeys, isTokenError, type TokenService } from "../../core/index.js";
import type { TokenStore } from "../../core/port.js";
import { memoryStore } from "../../storage/memory/index.js";
import { rejects, TEST_REFRESH_SECRET } from "../helpers.js";
import { recordScenario } from "./lib/report.js";

const ISSUER = "https://auth.test";
const AUDIENCE = "https://api.test";

function serviceOn(store: TokenStore, keys: JWK[], extra: { refreshSecret?: string; mode?: "rotate" | "reuse" } = {}): TokenService {
	return createTokenService({
		store,
		keys,
		issuer: ISSUER,
		audience: AUDIENCE,
		refresh: { ...(extra.mode === undefined ? {} : { mode: extra.mode }), secret: extra.refreshSecret ?? TEST_REFRESH_SECRET },
	});
}

function kidOf(token: string): string {
	return (JSON.parse(Buffer.from(token.split(".")[0] as string, "base64url").toString("utf8")) as { kid: string }).kid;
}

function publicOnly(jwk: JWK): JWK {
	const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest } = jwk;
	return rest;
}

/** A real HTTP server on 127.0.0.1:0 whose auth handler can be swapped (a deploy with new keys). */
async function swappableAuthServer(): Promise<{ origin: string; serve(service: TokenService): void; close(): Promise<void> }> {
	let handler: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | null = null;
	const server: Server = createServer((req, res) => {
		if (handler === null) {
			res.writeHead(503).end();
			return;
		}
		void handler(req, res);
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	return {
		origin,
		serve(service) {
			handler = createNodeHandler(service, { basePath: "/auth" });
		},
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}

const rotation = suite("reliability: signing-key rotation");

for (const algorithm of ["EdDSA", "ES256", "RS256", "HS256"] as const) {
	rotation(`${algorithm}: new key first keeps old tokens valid until the old key is removed; chains continue`, async () => {
		const generate = async (): Promise<JWK[]> => (algorithm === "HS256" ? [{ kty: "oct", k: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url"), alg: "HS256" }] : generateSigningKeys(algorithm));
		const [oldKey] = (await generate()) as [JWK];
		const [newKey] = (await generate()) as [JWK];
		const store = memoryStore();
		const before = serviceOn(store, [oldKey]);
		const a = await before.issue({ subject: "alice" });
		const oldKid = kidOf(a.accessToken);

		// Deploy 1: new key first, old key (its public part is enough, except for HS256) second.
		const during = serviceOn(store, [newKey, algorithm === "HS256" ? oldKey : publicOnly(oldKey)]);
		assert.is((await during.verify(a.accessToken)).sid, a.sessionId, "an old token still verifies");
		const b = await during.exchange(a.refreshToken);
		const newKid = kidOf(b.accessToken);
		assert.is.not(newKid, oldKid, "new tokens carry the new kid");
		assert.is((await during.verify(b.accessToken)).sid, a.sessionId);
		assert.is((await before.verify(a.accessToken)).sid, a.sessionId, "instances not yet redeployed still accept old tokens");
		if (algorithm !== "HS256")
			assert.equal(
				(await during.jwks()).keys.map((key) => key.kid),
				[newKid, oldKid],
			);

		// Deploy 2: the old key removed.
		const after = serviceOn(store, [newKey]);
		await rejects(after.verify(a.accessToken), "ERR_ACCESS_TOKEN_INVALID");
		assert.is((await after.verify(b.accessToken)).sid, a.sessionId);
		const c = await after.exchange(b.refreshToken);
		assert.is(kidOf(c.accessToken), newKid);
		assert.is(c.sessionId, a.sessionId, "the refresh chain continued through both deploys");
		if (algorithm !== "HS256")
			assert.equal(
				(await after.jwks()).keys.map((key) => key.kid),
				[newKid],
			);
	});
}

rotation("reuse mode: rotating signing keys keeps handing back the same token (reuse-mode tokens depend on refresh.secret only)", async () => {
	const [oldKey] = (await generateSigningKeys("EdDSA")) as [JWK];
	const [newKey] = (await generateSigningKeys("EdDSA")) as [JWK];
	const secret = "reuse-mode-server-secret-of-32-bytes-or-more!";
	const store = memoryStore();
	const first = await serviceOn(store, [oldKey], { mode: "reuse", refreshSecret: secret }).issue({ subject: "bob", device: "laptop" });
	const again = await serviceOn(store, [newKey, publicOnly(oldKey)], { mode: "reuse", refreshSecret: secret }).issue({ subject: "bob", device: "laptop" });
	assert.is(again.refreshToken, first.refreshToken);
	const onlyNew = serviceOn(store, [newKey], { mode: "reuse", refreshSecret: secret });
	assert.is((await onlyNew.exchange(first.refreshToken)).refreshToken, first.refreshToken, "the old signing key is gone, the refresh token still works");
});

const confusion = suite("reliability: algorithm confusion");

/** Every byte string someone might use as "the public key" when forging an HS256 token. */
async function publicKeyEncodings(jwk: JWK, alg: string): Promise<Record<string, Uint8Array>> {
	const pub = publicOnly(jwk);
	const pem = await exportSPKI((await importJWK(pub, alg)) as CryptoKey);
	const der = Buffer.from(pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
	const raw =
		jwk.kty === "OKP"
			? decodeBase64urlIgnorePadding(jwk.x as string)
			: jwk.kty === "EC"
				? Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x as string, "base64url"), Buffer.from(jwk.y as string, "base64url")])
				: decodeBase64urlIgnorePadding(jwk.n as string);
	const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
	return {
		"raw public key": new Uint8Array(raw),
		"SPKI DER": new Uint8Array(der),
		"PEM text": utf8(pem),
		"PEM text without trailing newline": utf8(pem.trimEnd()),
		"public JWK JSON": utf8(JSON.stringify(pub)),
		"JWKS JSON": utf8(JSON.stringify({ keys: [pub] })),
		"x / n base64url text": utf8((jwk.x ?? jwk.n) as string),
	};
}

async function forgeHs256(secret: Uint8Array, kid: string | undefined, sid: string): Promise<string> {
	const now = Math.floor(Date.now() / 1000);
	return new SignJWT({ iss: ISSUER, sub: "mallory", aud: AUDIENCE, iat: now, exp: now + 600, jti: "forged", sid, role: "admin" })
		.setProtectedHeader({ alg: "HS256", typ: "at+jwt", ...(kid === undefined ? {} : { kid }) })
		.sign(secret);
}

confusion("HS256 forged with the public key (7 encodings, with and without kid) is refused by service.verify, createVerifier({ keys }) and createVerifier({ jwksUrl })", async () => {
	const server = await swappableAuthServer();
	let forged = 0;
	let refused = 0;
	try {
		for (const alg of ["EdDSA", "ES256", "RS256"] as const) {
			const keys = await generateSigningKeys(alg);
			const service = serviceOn(memoryStore(), keys);
			server.serve(service);
			const jwks = (await service.jwks()).keys;
			const kid = jwks[0]?.kid as string;
			const real = await service.issue({ subject: "alice" });
			const verifiers = {
				"service.verify": service,
				"createVerifier({ keys })": createVerifier({ keys: jwks, issuer: ISSUER, audience: AUDIENCE }),
				"createVerifier({ jwksUrl })": createVerifier({ jwksUrl: `${server.origin}/auth/jwks`, issuer: ISSUER, audience: AUDIENCE }),
			};
			for (const verifier of Object.values(verifiers)) assert.is((await verifier.verify(real.accessToken)).sub, "alice", "the genuine token verifies");
			for (const [encoding, secret] of Object.entries(await publicKeyEncodings(keys[0] as JWK, alg))) {
				for (const withKid of [kid, undefined]) {
					const token = await forgeHs256(secret, withKid, real.sessionId);
					// The forgery is well made: it verifies with the secret it was made with.
					assert.is((await jwtVerify(token, secret, { algorithms: ["HS256"] })).payload.sub, "mallory");
					forged++;
					for (const [name, verifier] of Object.entries(verifiers)) {
						const error = await verifier.verify(token).then(
							() => null,
							(cause: unknown) => cause,
						);
						assert.ok(isTokenError(error, "ERR_ACCESS_TOKEN_INVALID"), `${alg} / ${encoding} / kid ${withKid === undefined ? "absent" : "real"}: ${name} accepted or failed oddly: ${String(error)}`);
						refused++;
					}
				}
			}
		}
	} finally {
		await server.close();
	}
	recordScenario("algorithm-confusion", { forged, refused });
	assert.is(refused, forged * 3);
});

confusion("a ring mixing an HS256 secret with EdDSA: HS256 with the EdDSA kid (public key as secret) is refused; the kid pins the algorithm", async () => {
	const [ed] = (await generateSigningKeys("EdDSA")) as [JWK];
	const oct: JWK = { kty: "oct", k: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url"), alg: "HS256", kid: "hs-1" };
	const service = serviceOn(memoryStore(), [ed, oct]);
	const real = await service.issue({ subject: "alice" });
	for (const secret of Object.values(await publicKeyEncodings(ed, "EdDSA"))) {
		await rejects(service.verify(await forgeHs256(secret, ed.kid as string, real.sessionId)), "ERR_ACCESS_TOKEN_INVALID");
		await rejects(service.verify(await forgeHs256(secret, "hs-1", real.sessionId)), "ERR_ACCESS_TOKEN_INVALID");
	}
});

const remote = suite("reliability: key rotation seen through createVerifier({ jwksUrl })");

remote("a fresh remote verifier follows every deploy; one that fetched the JWKS < 30 s ago rejects the new kid until its cooldown passes", async () => {
	const server = await swappableAuthServer();
	const jwksUrl = `${server.origin}/auth/jwks`;
	try {
		const [oldKey] = (await generateSigningKeys("EdDSA")) as [JWK];
		const [newKey] = (await generateSigningKeys("EdDSA")) as [JWK];
		const store = memoryStore();
		const before = serviceOn(store, [oldKey]);
		server.serve(before);
		const a = await before.issue({ subject: "alice" });
		const early = createVerifier({ jwksUrl, issuer: ISSUER, audience: AUDIENCE });
		assert.is((await early.verify(a.accessToken)).sub, "alice");

		// Staged rotation, step 1: publish the new key without signing with it.
		server.serve(serviceOn(store, [oldKey, publicOnly(newKey)]));
		const staged = createVerifier({ jwksUrl, issuer: ISSUER, audience: AUDIENCE });
		assert.is((await staged.verify(a.accessToken)).sub, "alice");

		// Step 2 (or the one-step rotation): new key first.
		const during = serviceOn(store, [newKey, publicOnly(oldKey)]);
		server.serve(during);
		const b = await during.exchange(a.refreshToken);
		const fresh = createVerifier({ jwksUrl, issuer: ISSUER, audience: AUDIENCE });
		assert.is((await fresh.verify(a.accessToken)).sub, "alice", "old kid, fresh verifier");
		assert.is((await fresh.verify(b.accessToken)).sub, "alice", "new kid, fresh verifier");
		assert.is((await staged.verify(b.accessToken)).sub, "alice", "a verifier that saw the staged JWKS knows the new kid already");
		// jose's remote JWKS refetches on an unknown kid at most once per 30 s (cooldownDuration),
		// and createVerifier exposes no way to change that: a verifier that fetched the JWKS
		// moments before a one-step rotation rejects new tokens for up to 30 s.
		await rejects(early.verify(b.accessToken), "ERR_ACCESS_TOKEN_INVALID");

		// Deploy 3: old key removed. Fresh verifiers refuse old-kid tokens at once; ones that
		// cached the old JWKS keep accepting them until their cache (10 min) or the token expires.
		server.serve(serviceOn(store, [newKey]));
		const later = createVerifier({ jwksUrl, issuer: ISSUER, audience: AUDIENCE });
		await rejects(later.verify(a.accessToken), "ERR_ACCESS_TOKEN_INVALID");
		assert.is((await later.verify(b.accessToken)).sub, "alice");
		assert.is((await fresh.verify(a.accessToken)).sub, "alice", "cached JWKS: still accepted (bounded by exp and jose's 10 min cache)");
	} finally {
		await server.close();
	}
});

rotation.run();
confusion.run();
remote.run();
