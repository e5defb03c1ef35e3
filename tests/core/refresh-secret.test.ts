// refresh.secret: required, never the signing key, and rotated by the documented procedure
// (docs/token-format.md, "Rotating refresh.secret"): put the new secret first, keep the old one
// for an overlap at least as long as the idle lifetime you want to preserve, then remove it.
import { createHash, createHmac } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createTokenService, isTokenError, type TokenEvent, type TokenStore } from "../../core/index.js";
import { resolveRefreshSecrets } from "../../core/refresh-keys.js";
import { parseRefreshToken } from "../../core/refresh-token.js";
import { memoryStore } from "../../storage/memory/index.js";
import { type ManualClock, manualClock, rejects, TEST_SECRET } from "../helpers.js";
import { secretSpellings, sharedPiece } from "../support/spellings.js";

const OLD = "the-old-refresh-secret-of-32-bytes-or-more";
const NEW = "the-new-refresh-secret-of-32-bytes-or-more";

function service(store: TokenStore, clock: ManualClock, secret: string | string[], extra: { mode?: "rotate" | "reuse"; events?: TokenEvent[] } = {}) {
	return createTokenService({
		store,
		clock,
		keys: { secret: TEST_SECRET },
		issuer: "https://auth.test",
		audience: "https://api.test",
		refresh: { secret, mode: extra.mode ?? "rotate", idleTtl: "30d" },
		...(extra.events === undefined ? {} : { onEvent: (event: TokenEvent) => extra.events?.push(event) }),
	});
}

function configError(options: Record<string, unknown>): string {
	try {
		createTokenService({ store: memoryStore(), keys: { secret: TEST_SECRET }, issuer: "i", audience: "a", ...options } as never);
	} catch (error) {
		assert.ok(isTokenError(error, "ERR_CONFIG_INVALID"), String(error));
		return (error as Error).message;
	}
	assert.unreachable("accepted");
	return "";
}

const config = suite("refresh.secret: configuration");

config("is required, and the error says how to make one", () => {
	assert.match(configError({}), /refresh: \{ secret \} is required/);
	assert.match(configError({ refresh: {} }), /refresh\.secret is required.*randomBytes\(32\)/);
	assert.match(configError({ refresh: { mode: "reuse" } }), /refresh\.secret is required/);
});

config("must be at least 32 bytes, a string or bytes, or a non-empty list of them", () => {
	assert.match(configError({ refresh: { secret: "x".repeat(31) } }), /at least 32 bytes/);
	assert.match(configError({ refresh: { secret: new Uint8Array(31) } }), /at least 32 bytes/);
	assert.match(configError({ refresh: { secret: [NEW, "short"] } }), /refresh\.secret\[1\] must be at least 32 bytes/);
	assert.match(configError({ refresh: { secret: [] } }), /must not be an empty list/);
	assert.match(configError({ refresh: { secret: 42 } }), /must be a string or a Uint8Array/);
	assert.match(configError({ refresh: { secret: [NEW, NEW] } }), /listed twice/);
	// 32 bytes as bytes, and a multi-byte string counted in UTF-8 bytes, are fine.
	createTokenService({ store: memoryStore(), keys: { secret: TEST_SECRET }, issuer: "i", audience: "a", refresh: { secret: crypto.getRandomValues(new Uint8Array(32)) } });
	createTokenService({ store: memoryStore(), keys: { secret: TEST_SECRET }, issuer: "i", audience: "a", refresh: { secret: "é".repeat(16) } });
});

config("must differ from the HS256 signing secret (every verifier holds that one)", () => {
	assert.match(configError({ refresh: { secret: TEST_SECRET } }), /must differ from the HS256 signing secret/);
	const k = Buffer.from(TEST_SECRET).toString("base64url");
	assert.match(configError({ keys: [{ kty: "oct", k, alg: "HS256" }], refresh: { secret: [NEW, TEST_SECRET] } }), /refresh\.secret\[1\] must differ/);
	// The same secret in another spelling: the JWK's `k` text as the refresh secret, the bytes as
	// base64, hex in either case, and the other way round.
	const bytes = crypto.getRandomValues(new Uint8Array(32));
	const b64url = Buffer.from(bytes).toString("base64url");
	for (const spelling of [b64url, Buffer.from(bytes).toString("base64"), Buffer.from(bytes).toString("hex"), Buffer.from(bytes).toString("hex").toUpperCase()]) {
		assert.match(configError({ keys: [{ kty: "oct", k: b64url, alg: "HS256" }], refresh: { secret: spelling } }), /must differ from the HS256 signing secret/, spelling);
	}
	assert.match(configError({ keys: { secret: b64url }, refresh: { secret: bytes } }), /must differ from the HS256 signing secret/);
});

config("the error messages never echo the secret", () => {
	for (const message of [configError({ refresh: { secret: "s3cr3t-but-short" } }), configError({ refresh: { secret: TEST_SECRET } })]) {
		assert.not.match(message, "s3cr3t");
		assert.not.ok(message.includes(TEST_SECRET));
	}
});

const derived = suite("refresh.secret: what is derived from it");

derived("the key id in tokens and seals is 32 bits of HMAC(secret, label); the stored hash is keyed by HMAC(secret, another label)", async () => {
	const store = memoryStore();
	const clock = manualClock();
	const first = await service(store, clock, NEW).issue({ subject: "alice" });
	const second = await service(store, clock, NEW).exchange(first.refreshToken);
	// Computed with node:crypto, independently of the code under test.
	const label = (text: string): Buffer => createHmac("sha256", NEW).update(text).digest();
	const keyId = label("refresh-kit/v2 key id").readUInt32BE(0);
	const parts = parseRefreshToken(second.refreshToken);
	assert.ok(parts !== null);
	assert.is(parts.keyId, keyId, "the key id is the first 32 bits of HMAC-SHA256(secret, 'refresh-kit/v2 key id')");
	const record = await store.findSession(second.sessionId);
	assert.ok(record !== null);
	const tokenHash = createHmac("sha256", label("refresh-kit/v2 token hash key"))
		.update(Buffer.concat([parts.familyProof, parts.secret]))
		.digest();
	assert.equal(Buffer.from(record.tokenHash), tokenHash, "tokenHash is HMAC(hash key, family proof || secret), never a plain hash a database reader could test guesses against");
	assert.equal(Buffer.from(record.familyHash), createHash("sha256").update(parts.familyProof).digest());
	assert.equal(Buffer.from((record.sealedSuccessor as Uint8Array).subarray(0, 4)), Buffer.from(label("refresh-kit/v2 key id").subarray(0, 4)), "the seal names its key by the same id");
	// What travels in every token and sits in every row shares nothing with the secret.
	const idHex = Buffer.from(label("refresh-kit/v2 key id").subarray(0, 4)).toString("hex");
	const leaked = sharedPiece(idHex + Buffer.from(record.tokenHash).toString("hex"), secretSpellings(NEW));
	assert.is(leaked, null, `"${leaked}" is a piece of a spelling of refresh.secret`);
});

const rotation = suite("refresh.secret: rotation evicts what depends only on the removed secret");

rotation("rotate mode: a user who refreshes during the overlap stays signed in; an idle one is refused with ERR_TOKEN_EXPIRED after removal", async () => {
	const store = memoryStore();
	const clock = manualClock();
	const before = service(store, clock, OLD);
	const active = await before.issue({ subject: "active" });
	const idle = await before.issue({ subject: "idle" });

	// Step 1: deploy [NEW, OLD]. Both old tokens still work; the active user refreshes.
	const overlap = service(store, clock, [NEW, OLD]);
	clock.advance(3600);
	const moved = await overlap.exchange(active.refreshToken);
	assert.ok(moved.refreshToken.startsWith("rk2_"));
	assert.is(parseRefreshToken(active.refreshToken)?.keyId, resolveRefreshSecrets(OLD, []).current.id);
	assert.is(parseRefreshToken(moved.refreshToken)?.keyId, resolveRefreshSecrets(NEW, []).current.id, "the successor is keyed by the new secret");

	// Step 2: after the overlap, deploy [NEW] only.
	clock.advance(7 * 86_400);
	const after = service(store, clock, NEW);
	const next = await after.exchange(moved.refreshToken);
	assert.is(next.sessionId, active.sessionId, "the active user was not logged out");
	await rejects(after.exchange(idle.refreshToken), "ERR_TOKEN_EXPIRED");
	assert.is((await store.findSession(idle.sessionId))?.generation, 0, "the refused token changed nothing");
	// Nor can the removed secret's token be used to log the idle user out, or to trip reuse detection.
	await after.revoke(idle.refreshToken);
	assert.is((await store.findSession(idle.sessionId))?.revokedAt, null);
});

rotation("a grace replay whose seal depends on a removed secret is refused, and is not treated as theft", async () => {
	const store = memoryStore();
	const clock = manualClock();
	const events: TokenEvent[] = [];
	const before = service(store, clock, [OLD, NEW]);
	const first = await before.issue({ subject: "tabs" });
	const second = await before.exchange(first.refreshToken); // sealed under OLD
	const after = service(store, clock, [NEW], { events });
	await rejects(after.exchange(first.refreshToken), "ERR_TOKEN_EXPIRED"); // keyed by OLD: refused before any store call
	const keyedByNew = service(store, clock, [NEW, OLD]);
	clock.advance(1);
	const third = await keyedByNew.exchange(second.refreshToken); // now keyed and sealed under NEW
	const onlyNew = service(store, clock, [NEW], { events });
	await rejects(onlyNew.exchange(second.refreshToken), "ERR_TOKEN_EXPIRED");
	assert.is(events.filter((event) => event.type === "reuse-detected").length, 0);
	assert.is((await onlyNew.exchange(third.refreshToken)).sessionId, first.sessionId);
});

rotation("a grace replay of a token keyed by a still-listed secret, sealed under a removed one, gets ERR_TOKEN_REUSED without a revocation", async () => {
	const store = memoryStore();
	const clock = manualClock();
	const events: TokenEvent[] = [];
	const first = await service(store, clock, [NEW, OLD]).issue({ subject: "edge" }); // keyed by NEW
	await service(store, clock, [OLD, NEW]).exchange(first.refreshToken); // successor keyed and sealed under OLD
	const onlyNew = service(store, clock, [NEW], { events });
	clock.advance(1);
	await rejects(onlyNew.exchange(first.refreshToken), "ERR_TOKEN_REUSED");
	assert.is(events.length, 0, "no reuse-detected, no revoked");
	assert.is((await store.findSession(first.sessionId))?.revokedAt, null);
});

rotation("reuse mode: after removal the old secret's token is refused (ERR_TOKEN_EXPIRED); a login during the overlap moves the device to the new secret", async () => {
	const store = memoryStore();
	const clock = manualClock();
	const before = service(store, clock, OLD, { mode: "reuse" });
	const laptop = await before.issue({ subject: "rita", device: "laptop" });
	const phone = await before.issue({ subject: "rita", device: "phone" });

	const overlap = service(store, clock, [NEW, OLD], { mode: "reuse" });
	assert.is((await overlap.exchange(phone.refreshToken)).refreshToken, phone.refreshToken, "during the overlap the old token still exchanges, unchanged");
	const relogin = await overlap.issue({ subject: "rita", device: "laptop" });
	assert.is.not(relogin.refreshToken, laptop.refreshToken, "a login during the overlap hands out a token of the new secret");
	await rejects(overlap.exchange(laptop.refreshToken), "ERR_TOKEN_REVOKED");

	const after = service(store, clock, NEW, { mode: "reuse" });
	await rejects(after.exchange(phone.refreshToken), "ERR_TOKEN_EXPIRED");
	assert.is((await after.exchange(relogin.refreshToken)).refreshToken, relogin.refreshToken);
	assert.is((await after.issue({ subject: "rita", device: "laptop" })).refreshToken, relogin.refreshToken, "logins keep handing back the new token");
});

config.run();
derived.run();
rotation.run();
