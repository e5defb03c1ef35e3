// What a database dump, a query log or a backup is worth to an attacker, alone or together with
// retired tokens, and what a party that can only verify access tokens can mint. The attacker
// (tests/support/attacker.ts) works from the documented formats with what such a party holds:
// store rows and rotateToken parameters as they were at any time, tokens the client no longer
// uses, and the access-token signing keys. No candidate it produces may be a live token.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createTokenService, generateSigningKeys, isTokenError, type SessionRecord, type TokenRotation, type TokenService, type TokenStore } from "../../core/index.js";
import { memoryStore } from "../../storage/memory/index.js";
import { manualClock, TEST_REFRESH_SECRET, TEST_SECRET } from "../helpers.js";
import { deriveReuseTokens, format, parse, recover, type SealSighting, sha256, text } from "../support/attacker.js";

// ---------------------------------------------------------------------------------------------
// The victim: a service whose store keeps every row version (dumps, backups, WAL) and every
// rotateToken parameter list (a query log with parameters).

interface Recorded {
	store: TokenStore;
	dumps: SessionRecord[][];
	queryLog: TokenRotation[];
	dump(): Promise<void>;
}

function recordingStore(): Recorded {
	const inner = memoryStore();
	const ids = new Set<string>();
	const recorded: Recorded = {
		dumps: [],
		queryLog: [],
		store: {
			...inner,
			async createSession(session) {
				ids.add(session.id);
				return inner.createSession(session);
			},
			async openReusableSession(session) {
				ids.add(session.id);
				return inner.openReusableSession(session);
			},
			async rotateToken(rotation) {
				recorded.queryLog.push({ ...rotation });
				return inner.rotateToken(rotation);
			},
		},
		async dump() {
			const rows: SessionRecord[] = [];
			for (const id of ids) {
				const row = await inner.findSession(id);
				if (row !== null) rows.push(row);
			}
			recorded.dumps.push(rows);
		},
	};
	return recorded;
}

function sightingsOf(recorded: Recorded): SealSighting[] {
	const out: SealSighting[] = [];
	for (const rows of recorded.dumps) {
		for (const row of rows) if (row.sealedSuccessor !== null) out.push({ sessionId: row.id, sealed: row.sealedSuccessor, successorHash: row.tokenHash });
	}
	for (const rotation of recorded.queryLog) out.push({ sessionId: rotation.sessionId, sealed: rotation.sealedSuccessor, successorHash: rotation.successorHash });
	return out;
}

function serviceOn(store: TokenStore, extra: { keys?: Parameters<typeof createTokenService>[0]["keys"]; mode?: "rotate" | "reuse" } = {}): TokenService {
	return createTokenService({
		store,
		keys: extra.keys ?? { secret: TEST_SECRET },
		issuer: "https://auth.test",
		audience: "https://api.test",
		clock: manualClock(),
		refresh: { secret: TEST_REFRESH_SECRET, mode: extra.mode ?? "rotate" },
	});
}

const attacks = suite("at rest: dumps, query logs, backups, retired tokens, verifiers");

attacks("one dump plus the token retired just before it yields no live token", async () => {
	const recorded = recordingStore();
	const service = serviceOn(recorded.store);
	const first = await service.issue({ subject: "alice" });
	const live = await service.exchange(first.refreshToken);
	await recorded.dump();
	const candidates = recover([first.refreshToken], sightingsOf({ ...recorded, queryLog: [] }), [text(TEST_SECRET)]);
	assert.ok(candidates.size > 1, "the attacker tried something");
	assert.not.ok(candidates.has(live.refreshToken), "the dump and the retired token gave the live token");
	// Days later the live token still works for its holder: nothing the attacker did touched it.
	assert.is((await service.exchange(live.refreshToken)).sessionId, first.sessionId);
});

attacks("a dump after every rotation plus the query log, with the session's first token, never reaches the live token", async () => {
	const recorded = recordingStore();
	const service = serviceOn(recorded.store);
	const retired: string[] = [];
	let current = (await service.issue({ subject: "bob" })).refreshToken;
	await recorded.dump();
	for (let i = 0; i < 6; i++) {
		retired.push(current);
		current = (await service.exchange(current)).refreshToken;
		await recorded.dump();
	}
	const candidates = recover([retired[0] as string], sightingsOf(recorded), [text(TEST_SECRET)]);
	for (const token of [...retired.slice(1), current]) assert.not.ok(candidates.has(token), "walked forward to a later token");
	// With every retired token (the client's whole history) the live one is still out of reach.
	assert.not.ok(recover(retired, sightingsOf(recorded), [text(TEST_SECRET)]).has(current));
});

attacks("a verifier holding the HS256 signing secret cannot mint a reuse-mode token from a sid", async () => {
	const recorded = recordingStore();
	const service = serviceOn(recorded.store, { mode: "reuse" });
	const tokens = await service.issue({ subject: "carol", device: "phone" });
	const claims = await service.verify(tokens.accessToken); // what the verifier sees: the sid
	const minted = [...deriveReuseTokens(text(TEST_SECRET), claims.sid), ...deriveReuseTokens(sha256(text(TEST_SECRET)), claims.sid)];
	assert.not.ok(minted.includes(tokens.refreshToken));
	for (const token of minted) {
		const outcome = await service.exchange(token).then(
			() => "exchanged",
			(error: unknown) => (isTokenError(error) ? error.code : String(error)),
		);
		assert.ok(outcome === "ERR_TOKEN_EXPIRED" || outcome === "ERR_TOKEN_UNKNOWN", `a minted token got ${outcome}`);
	}
	assert.is((await service.exchange(tokens.refreshToken)).refreshToken, tokens.refreshToken, "the real token still works");
});

attacks("a verifier holding the JWKS (or even the private signing key) cannot mint a reuse-mode token", async () => {
	const keys = await generateSigningKeys("EdDSA");
	const recorded = recordingStore();
	const service = serviceOn(recorded.store, { mode: "reuse", keys });
	const tokens = await service.issue({ subject: "dave", device: "tv" });
	const { sid } = await service.verify(tokens.accessToken);
	const jwk = keys[0] as { x: string; d: string };
	const roots = [Buffer.from(jwk.x, "base64url"), Buffer.from(jwk.d, "base64url"), text(JSON.stringify((await service.jwks()).keys[0]))];
	for (const root of roots) {
		for (const token of deriveReuseTokens(root, sid)) {
			assert.is.not(token, tokens.refreshToken);
			await service.exchange(token).then(
				() => assert.unreachable("a token minted from signing-key material was accepted"),
				(error: unknown) => assert.ok(isTokenError(error), String(error)),
			);
		}
	}
});

attacks("dumps of a reuse-mode session, with its token known to have leaked once, show no usable key material", async () => {
	const recorded = recordingStore();
	const service = serviceOn(recorded.store, { mode: "reuse" });
	const a = await service.issue({ subject: "erin", device: "laptop" });
	const b = await service.issue({ subject: "erin", device: "phone" });
	await recorded.dump();
	// Knowing device A's token, the attacker tries to derive device B's from every byte string of the dump.
	const rows = recorded.dumps.flat();
	const roots = rows.flatMap((row) => [row.tokenHash, row.familyHash, ...(row.previousHash === null ? [] : [row.previousHash])]);
	roots.push(parse(a.refreshToken).secret, parse(a.refreshToken).proof);
	for (const root of roots) assert.not.ok(deriveReuseTokens(root, b.sessionId).includes(b.refreshToken));
});

// A session as v0.1 (before refresh.secret) stored it: SHA-256 hashes; in reuse mode its token
// derived from the signing key, which every HS256 verifier holds.
async function storeV1Session(store: TokenStore, mode: "rotate" | "reuse", subject: string): Promise<{ token: string; id: string }> {
	const sid = Buffer.from(crypto.getRandomValues(new Uint8Array(16)));
	sid[6] = ((sid[6] as number) & 0x0f) | 0x40;
	sid[8] = ((sid[8] as number) & 0x3f) | 0x80;
	const id = sid.toString("hex").replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
	const [token] =
		mode === "reuse" ? deriveReuseTokens(text(TEST_SECRET), id) : [format({ sid, kid: null, proof: Buffer.from(crypto.getRandomValues(new Uint8Array(16))), secret: Buffer.from(crypto.getRandomValues(new Uint8Array(32))) })];
	const raw = parse(token as string);
	const at = new Date("2026-01-01T00:00:00.000Z");
	await store.createSession({
		id,
		subject,
		device: mode === "reuse" ? "tv" : null,
		claims: null,
		mode,
		familyHash: sha256(raw.proof),
		tokenHash: sha256(raw.proof, raw.secret),
		previousHash: null,
		sealedSuccessor: null,
		rotatedAt: null,
		generation: 0,
		createdAt: at,
		lastUsedAt: at,
		expiresAt: new Date(at.getTime() + 86_400_000),
		absoluteExpiresAt: null,
		revokedAt: null,
	});
	return { token: token as string, id };
}

attacks("an HS256 verifier cannot use a v1 reuse-mode token (derivable from the signing key) even where the service now runs in rotate mode", async () => {
	const store = memoryStore();
	const legacy = await storeV1Session(store, "reuse", "frank");
	const service = serviceOn(store);
	const events: string[] = [];
	await service.exchange(legacy.token).then(
		() => assert.unreachable("a v1 reuse-mode token was exchanged in rotate mode"),
		(error: unknown) => events.push(isTokenError(error) ? error.code : String(error)),
	);
	assert.equal(events, ["ERR_TOKEN_EXPIRED"]);
	await service.revoke(legacy.token);
	const row = await store.findSession(legacy.id);
	assert.is(row?.revokedAt, null, "nor can it end the session");
	assert.is(row?.generation, 0);
});

attacks("refresh.acceptV1Tokens: a v1 rotate-mode token rotates into v2 by default, and is refused once turned off", async () => {
	const store = memoryStore();
	const first = await storeV1Session(store, "rotate", "gina");
	const second = await storeV1Session(store, "rotate", "gina");
	const upgraded = await serviceOn(store).exchange(first.token);
	assert.ok(upgraded.refreshToken.startsWith("rk2_"));
	const strict = createTokenService({ store, keys: { secret: TEST_SECRET }, issuer: "https://auth.test", audience: "https://api.test", clock: manualClock(), refresh: { secret: TEST_REFRESH_SECRET, acceptV1Tokens: false } });
	await strict.exchange(second.token).then(
		() => assert.unreachable("a v1 token was exchanged with acceptV1Tokens: false"),
		(error: unknown) => assert.ok(isTokenError(error, "ERR_TOKEN_EXPIRED"), String(error)),
	);
	await strict.revoke(second.token);
	assert.is((await store.findSession(second.id))?.revokedAt, null, "nor does it log anyone out");
	assert.ok(await strict.exchange(upgraded.refreshToken), "a session already on v2 is unaffected");
});

attacks.run();
