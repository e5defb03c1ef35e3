// mode: 'reuse' — the tutorial's long-lived token, without anything usable at rest.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { TokenStore } from "../../core/port.js";
import { formatRefreshToken, hashFamilyProof, hashToken, newFamilyProof, newSecret, parseRefreshToken } from "../../core/refresh-token.js";
import { memoryStore } from "../../storage/memory/index.js";
import { harness, hex, rejects, TEST_REFRESH_KEYS } from "../helpers.js";

/** A memory store that counts calls per method. */
function countingStore(): { store: TokenStore; calls: Record<string, number> } {
	const inner = memoryStore();
	const calls: Record<string, number> = {};
	const store = { guarantees: inner.guarantees } as TokenStore;
	for (const name of Object.keys(inner) as (keyof TokenStore)[]) {
		if (name === "guarantees") continue;
		const method = inner[name] as (...args: unknown[]) => Promise<unknown>;
		(store as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
			calls[name] = (calls[name] ?? 0) + 1;
			return method(...args);
		};
	}
	return { store, calls };
}

const reuse = suite("reuse mode");

reuse("a second login of the same subject+device returns the same refresh token", async () => {
	const { service, events } = harness({ refresh: { mode: "reuse" } });
	const a = await service.issue({ subject: "alice", device: "laptop" });
	const b = await service.issue({ subject: "alice", device: "laptop" });
	assert.is(b.refreshToken, a.refreshToken);
	assert.is(b.sessionId, a.sessionId);
	assert.is.not(b.accessToken, a.accessToken);
	assert.equal(
		events.map((event) => ("reused" in event ? event.reused : undefined)),
		[false, true],
	);
});

reuse("a different device, or a different subject, gets a different token", async () => {
	const { service } = harness({ refresh: { mode: "reuse" } });
	const laptop = await service.issue({ subject: "alice", device: "laptop" });
	const phone = await service.issue({ subject: "alice", device: "phone" });
	const bob = await service.issue({ subject: "bob", device: "laptop" });
	const noDevice = await service.issue({ subject: "alice" });
	assert.is(new Set([laptop, phone, bob, noDevice].map((set) => set.refreshToken)).size, 4);
	assert.is((await service.issue({ subject: "alice" })).refreshToken, noDevice.refreshToken, "no device is its own key");
	assert.is((await service.listSessions("alice")).length, 3);
});

reuse("exchange returns the same refresh token and a fresh access token", async () => {
	const { service, clock } = harness({ refresh: { mode: "reuse" } });
	const a = await service.issue({ subject: "alice", device: "laptop" });
	clock.advance(60);
	const b = await service.exchange(a.refreshToken);
	const c = await service.exchange(a.refreshToken);
	assert.is(b.refreshToken, a.refreshToken);
	assert.is(c.refreshToken, a.refreshToken);
	assert.is.not(b.accessToken, a.accessToken);
	assert.is((await service.verify(c.accessToken)).sid, a.sessionId);
});

reuse("the idle expiry slides at most once per touch interval (min(1 h, idle/10))", async () => {
	const { store, calls } = countingStore();
	const { service, clock } = harness({ store, refresh: { mode: "reuse", idleTtl: "30d" } });
	const start = clock.now().getTime();
	const a = await service.issue({ subject: "alice", device: "laptop" });
	for (let i = 0; i < 5; i++) await service.exchange(a.refreshToken);
	assert.is(calls.touchSession ?? 0, 0, "no write for exchanges right after login");
	clock.advance(3599);
	const early = await service.exchange(a.refreshToken);
	assert.is(calls.touchSession ?? 0, 0);
	assert.is(early.refreshTokenExpiresAt?.getTime(), start + 30 * 86_400_000);
	clock.advance(1);
	const slid = await service.exchange(a.refreshToken);
	assert.is(calls.touchSession, 1);
	assert.is(slid.refreshTokenExpiresAt?.getTime(), clock.now().getTime() + 30 * 86_400_000);
	for (let i = 0; i < 5; i++) await service.exchange(a.refreshToken);
	await service.issue({ subject: "alice", device: "laptop" });
	assert.is(calls.touchSession, 1, "one write per interval, however many calls");
	clock.advance(3600);
	await service.issue({ subject: "alice", device: "laptop" });
	assert.is(calls.touchSession, 2, "a login slides it too");
});

reuse("sliding keeps a used session alive past the first idle expiry, an unused one expires", async () => {
	const { service, clock } = harness({ refresh: { mode: "reuse", idleTtl: "1h" } }); // touch interval 360 s
	const used = await service.issue({ subject: "alice", device: "a" });
	const unused = await service.issue({ subject: "alice", device: "b" });
	clock.advance(1800);
	await service.exchange(used.refreshToken);
	clock.advance(1799); // 3599 s after login
	await service.exchange(used.refreshToken);
	clock.advance(1); // 3600 s after login
	await service.exchange(used.refreshToken);
	await rejects(service.exchange(unused.refreshToken), "ERR_TOKEN_EXPIRED");
});

reuse("an expired reuse session gives a new token at login", async () => {
	const { service, clock } = harness({ refresh: { mode: "reuse", idleTtl: "1h" } });
	const a = await service.issue({ subject: "alice", device: "laptop" });
	clock.advance(359);
	assert.is((await service.issue({ subject: "alice", device: "laptop" })).refreshToken, a.refreshToken);
	clock.advance(3600 - 359); // the login above was inside the 360 s touch interval, so the expiry did not move
	const b = await service.issue({ subject: "alice", device: "laptop" });
	assert.is.not(b.refreshToken, a.refreshToken);
	assert.is.not(b.sessionId, a.sessionId);
	await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_EXPIRED");
	await service.exchange(b.refreshToken);
});

reuse("a revoked reuse session gives a new token at login; the old one is REVOKED", async () => {
	const { service } = harness({ refresh: { mode: "reuse" } });
	const a = await service.issue({ subject: "alice", device: "laptop" });
	await service.revoke(a.refreshToken);
	await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_REVOKED");
	const b = await service.issue({ subject: "alice", device: "laptop" });
	assert.is.not(b.refreshToken, a.refreshToken);
	assert.is(await service.revokeSubject("alice"), 1);
	await rejects(service.exchange(b.refreshToken), "ERR_TOKEN_REVOKED");
});

reuse("the absolute lifetime caps reuse sessions too", async () => {
	const { service, clock } = harness({ refresh: { mode: "reuse", idleTtl: "1h", absoluteTtl: "2h" } });
	const start = clock.now().getTime();
	const a = await service.issue({ subject: "alice" });
	for (let t = 1000; t < 7200; t += 1000) {
		clock.set(new Date(start + t * 1000));
		const set = await service.exchange(a.refreshToken);
		assert.ok((set.refreshTokenExpiresAt?.getTime() as number) <= start + 7200_000);
	}
	clock.set(new Date(start + 7199_000));
	const last = await service.exchange(a.refreshToken);
	assert.is(last.expiresIn, 1);
	clock.set(new Date(start + 7200_000));
	await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_EXPIRED");
});

reuse("concurrent logins of one subject+device open one session and return one token", async () => {
	const { service } = harness({ refresh: { mode: "reuse" } });
	const sets = await Promise.all(Array.from({ length: 20 }, () => service.issue({ subject: "alice", device: "laptop" })));
	assert.is(new Set(sets.map((set) => set.refreshToken)).size, 1);
	assert.is((await service.listSessions("alice")).length, 1);
});

reuse("nothing usable is stored: the store holds hashes, and no sealed successor", async () => {
	const { service, store } = harness({ refresh: { mode: "reuse" } });
	const a = await service.issue({ subject: "alice", device: "laptop" });
	await service.exchange(a.refreshToken);
	const parts = parseRefreshToken(a.refreshToken);
	assert.ok(parts !== null);
	const record = await store.findSession(a.sessionId);
	assert.ok(record !== null);
	assert.is(record.mode, "reuse");
	assert.is(hex(record.tokenHash), hex(hashToken(TEST_REFRESH_KEYS.current, parts.familyProof, parts.secret)));
	assert.is(hex(record.familyHash), hex(hashFamilyProof(parts.familyProof)));
	assert.is(record.sealedSuccessor, null);
	const dump = JSON.stringify(record, (_key, value: unknown) => (value instanceof Uint8Array ? hex(value) : value));
	assert.not.ok(dump.includes(hex(parts.secret) as string));
	assert.not.ok(dump.includes(hex(parts.familyProof) as string));
	assert.not.ok(dump.includes(a.refreshToken.slice(4)));
});

reuse("forged tokens: a wrong family is UNKNOWN; the right family with a wrong secret is reuse", async () => {
	const { service } = harness({ refresh: { mode: "reuse" } });
	const a = await service.issue({ subject: "alice", device: "laptop" });
	const parts = parseRefreshToken(a.refreshToken);
	assert.ok(parts !== null);
	await rejects(service.exchange(formatRefreshToken({ sessionId: a.sessionId, keyId: TEST_REFRESH_KEYS.current.id, familyProof: newFamilyProof(), secret: newSecret() })), "ERR_TOKEN_UNKNOWN");
	await rejects(service.exchange(formatRefreshToken({ sessionId: a.sessionId, keyId: TEST_REFRESH_KEYS.current.id, familyProof: newFamilyProof(), secret: parts.secret })), "ERR_TOKEN_UNKNOWN");
	await service.exchange(a.refreshToken);
	await rejects(service.exchange(formatRefreshToken({ ...parts, secret: newSecret() })), "ERR_TOKEN_REUSED");
	await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_REVOKED");
});

reuse("refresh.secret keeps reuse tokens stable across a signing-key change; without it the old session is retired", async () => {
	const store = memoryStore();
	const secret = "reuse-root-secret-of-at-least-32-bytes";
	const first = harness({ store, refresh: { mode: "reuse", secret } });
	const a = await first.service.issue({ subject: "alice", device: "laptop" });
	const second = harness({ store, keys: { secret: "another-signing-secret-of-32-bytes!!" }, refresh: { mode: "reuse", secret } });
	assert.is((await second.service.issue({ subject: "alice", device: "laptop" })).refreshToken, a.refreshToken);

	const third = harness({ store, keys: { secret: "yet-another-signing-secret-32-bytes!" }, refresh: { mode: "reuse" } });
	const c = await third.service.issue({ subject: "alice", device: "laptop" });
	assert.is.not(c.refreshToken, a.refreshToken);
	assert.equal(
		third.events.map((event) => [event.type, event.type === "revoked" ? event.reason : "reused" in event ? event.reused : undefined]),
		[
			["revoked", "admin"],
			["issued", false],
		],
	);
	await rejects(first.service.exchange(a.refreshToken), "ERR_TOKEN_REVOKED");
	assert.is((await third.service.listSessions("alice")).length, 1);
});

reuse.run();
