// getSession(id, { subject? }): one live session by id, with one store lookup, whatever the
// subject's session count (the sessions routes check the caller's own session with it).
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { TokenStore, TokenStoreVerb } from "../../core/port.js";
import { type GetSessionOptions, MAX_LIST_LIMIT } from "../../core/types.js";
import { memoryStore } from "../../storage/memory/index.js";
import { harness, rejects } from "../helpers.js";

/** A memory store that records the verbs called on it. */
function countingStore(): { store: TokenStore; calls: TokenStoreVerb[] } {
	const inner = memoryStore();
	const calls: TokenStoreVerb[] = [];
	const store: TokenStore = {
		...inner,
		findSession: (id) => {
			calls.push("findSession");
			return inner.findSession(id);
		},
		listSessions: (subject, now, limit) => {
			calls.push("listSessions");
			return inner.listSessions(subject, now, limit);
		},
	};
	return { store, calls };
}

test("a live session: what listSessions shows of it, by its id in any letter case", async () => {
	const { service, clock } = harness();
	const tokens = await service.issue({ subject: "alice", device: "laptop" });
	clock.advance(60);
	await service.exchange(tokens.refreshToken);
	const [listed] = await service.listSessions("alice");
	assert.ok(listed !== undefined);
	assert.equal(await service.getSession(tokens.sessionId), listed);
	assert.equal(await service.getSession(tokens.sessionId, { subject: "alice" }), listed);
	assert.equal(await service.getSession(tokens.sessionId.toUpperCase(), { subject: "alice" }), listed);
	assert.equal(Object.keys(listed).sort(), ["createdAt", "device", "expiresAt", "id", "lastUsedAt"], "no hashes, seals, claims or subject");
});

test("null for someone else's session, an unknown id, a malformed one, a revoked and an expired session", async () => {
	const { service, clock } = harness({ refresh: { idleTtl: "1h" } });
	const bob = await service.issue({ subject: "bob" });
	assert.is(await service.getSession(bob.sessionId, { subject: "alice" }), null);
	for (const subject of ["bo", "Bob", "bob "]) assert.is(await service.getSession(bob.sessionId, { subject }), null, subject);
	assert.is(await service.getSession(crypto.randomUUID(), { subject: "bob" }), null);
	assert.is(await service.getSession("not-a-session-id", { subject: "bob" }), null);
	const revoked = await service.issue({ subject: "bob" });
	await service.revokeSession(revoked.sessionId);
	assert.is(await service.getSession(revoked.sessionId, { subject: "bob" }), null);
	assert.is(await service.getSession(revoked.sessionId), null, "ended is ended, with or without subject");
	assert.ok((await service.getSession(bob.sessionId, { subject: "bob" })) !== null);
	clock.advance(3600);
	assert.is(await service.getSession(bob.sessionId, { subject: "bob" }), null, "idle-expired");
});

test("exactly one findSession, whatever the answer; none for an id that cannot name a session", async () => {
	const { store, calls } = countingStore();
	const { service } = harness({ store });
	const bob = await service.issue({ subject: "bob" });
	for (const [id, subject] of [
		[bob.sessionId, "bob"],
		[bob.sessionId, "alice"],
		[crypto.randomUUID(), "bob"],
	] as const) {
		calls.length = 0;
		await service.getSession(id, { subject });
		assert.equal(calls, ["findSession"]);
	}
	calls.length = 0;
	assert.is(await service.getSession("../etc", { subject: "bob" }), null);
	assert.equal(calls, []);
});

test(`finds the newest of more than ${MAX_LIST_LIMIT} live sessions (no listing involved)`, async () => {
	const { store, calls } = countingStore();
	const { service } = harness({ store });
	let newest = "";
	for (let i = 0; i <= MAX_LIST_LIMIT; i++) newest = (await service.issue({ subject: "alice" })).sessionId;
	calls.length = 0;
	assert.is((await service.getSession(newest, { subject: "alice" }))?.id, newest);
	assert.equal(calls, ["findSession"]);
});

test("bad arguments are ERR_INPUT_INVALID, as for revokeSession", async () => {
	const { service } = harness();
	const a = await service.issue({ subject: "alice" });
	await rejects(service.getSession(""), "ERR_INPUT_INVALID");
	await rejects(service.getSession(42 as unknown as string), "ERR_INPUT_INVALID");
	await rejects(service.getSession(a.sessionId, { subject: "" }), "ERR_INPUT_INVALID");
	await rejects(service.getSession(a.sessionId, { subject: 7 as unknown as string }), "ERR_INPUT_INVALID");
	await rejects(service.getSession(a.sessionId, { subject: "a\u0000" }), "ERR_INPUT_INVALID");
	await rejects(service.getSession(a.sessionId, null as unknown as GetSessionOptions), "ERR_INPUT_INVALID");
	assert.is((await service.getSession(a.sessionId, {}))?.id, a.sessionId);
});

test("a store that fails is ERR_STORE_UNAVAILABLE", async () => {
	const inner = memoryStore();
	const store: TokenStore = { ...inner, findSession: () => Promise.reject(new Error("connection lost")) };
	const { service } = harness({ store });
	await rejects(service.getSession(crypto.randomUUID(), { subject: "alice" }), "ERR_STORE_UNAVAILABLE");
});

test.run();
