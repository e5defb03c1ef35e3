// A subject managing their own sessions through the service: revokeSession(id, { subject }) ends
// only a live session of that subject, and revokeSubject(subject, { except }) signs out everywhere
// but one session (the password-change recipe), over the port's existing verbs.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { TokenStore } from "../../core/port.js";
import { MAX_LIST_LIMIT, type RevokeSessionOptions, type RevokeSubjectOptions } from "../../core/types.js";
import { memoryStore } from "../../storage/memory/index.js";
import { harness, rejects } from "../helpers.js";

const own = suite("revokeSession(id, { subject })");

own("revokes a live session of the subject, once; true then false", async () => {
	const { service, events } = harness();
	const a = await service.issue({ subject: "alice" });
	assert.is(await service.revokeSession(a.sessionId, { subject: "alice" }), true);
	assert.is(await service.revokeSession(a.sessionId, { subject: "alice" }), false);
	await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_REVOKED");
	const revoked = events.filter((event) => event.type === "revoked");
	assert.equal(
		revoked.map((event) => [event.sessionId, event.subject, event.type === "revoked" && event.reason]),
		[[a.sessionId, "alice", "admin"]],
	);
});

own("someone else's session is untouched and answers false, exactly as an unknown id", async () => {
	const { service, store, events } = harness();
	const bob = await service.issue({ subject: "bob" });
	const before = events.length;
	assert.is(await service.revokeSession(bob.sessionId, { subject: "alice" }), false);
	assert.is(await service.revokeSession(bob.sessionId.toUpperCase(), { subject: "alice" }), false);
	assert.is(await service.revokeSession(crypto.randomUUID(), { subject: "alice" }), false);
	assert.is(await service.revokeSession("not-a-session-id", { subject: "alice" }), false);
	assert.is((await store.findSession(bob.sessionId))?.revokedAt, null);
	assert.is(events.length, before, "no event for a refused revocation");
	// Bob's session works on, and Bob himself can end it.
	const next = await service.exchange(bob.refreshToken);
	assert.is(await service.revokeSession(next.sessionId.toUpperCase(), { subject: "bob" }), true);
});

own("a subject that is a prefix, or another case, of the owner does not match", async () => {
	const { service } = harness();
	const a = await service.issue({ subject: "alice" });
	for (const subject of ["alic", "alice ", "Alice", "ALICE"]) assert.is(await service.revokeSession(a.sessionId, { subject }), false, subject);
	assert.is(await service.revokeSession(a.sessionId, { subject: "alice" }), true);
});

own("an expired session of the subject is not one of theirs to end: false, as listSessions does not show it", async () => {
	const { service, clock, store } = harness({ refresh: { idleTtl: "1h" } });
	const a = await service.issue({ subject: "alice" });
	clock.advance(3600);
	assert.is(await service.revokeSession(a.sessionId, { subject: "alice" }), false);
	assert.is((await store.findSession(a.sessionId))?.revokedAt, null);
	// Without `subject` (an administrator) it is revoked as before.
	assert.is(await service.revokeSession(a.sessionId), true);
});

own("with { subject } it makes exactly one lookup before deciding, for a foreign and an unknown id alike", async () => {
	const calls: string[] = [];
	const inner = memoryStore();
	const store: TokenStore = {
		...inner,
		findSession: (id) => {
			calls.push("findSession");
			return inner.findSession(id);
		},
		revokeSession: (id, now) => {
			calls.push("revokeSession");
			return inner.revokeSession(id, now);
		},
	};
	const { service } = harness({ store });
	const bob = await service.issue({ subject: "bob" });
	calls.length = 0;
	await service.revokeSession(bob.sessionId, { subject: "alice" });
	assert.equal(calls, ["findSession"]);
	calls.length = 0;
	await service.revokeSession(crypto.randomUUID(), { subject: "alice" });
	assert.equal(calls, ["findSession"]);
});

own("bad options are ERR_INPUT_INVALID", async () => {
	const { service } = harness();
	const a = await service.issue({ subject: "alice" });
	await rejects(service.revokeSession(a.sessionId, { subject: "" }), "ERR_INPUT_INVALID");
	await rejects(service.revokeSession(a.sessionId, { subject: 7 as unknown as string }), "ERR_INPUT_INVALID");
	await rejects(service.revokeSession(a.sessionId, null as unknown as RevokeSessionOptions), "ERR_INPUT_INVALID");
	assert.is(await service.revokeSession(a.sessionId, {}), true, "no subject: the administrator's revocation");
});

own.run();

const except = suite("revokeSubject(subject, { except })");

except("revokes every live session of the subject but the one kept, and returns how many", async () => {
	const { service, events } = harness();
	const here = await service.issue({ subject: "alice", device: "laptop" });
	const others = [await service.issue({ subject: "alice", device: "phone" }), await service.issue({ subject: "alice" })];
	const bob = await service.issue({ subject: "bob" });
	const before = events.length;
	assert.is(await service.revokeSubject("alice", { except: here.sessionId }), 2);
	for (const set of others) await rejects(service.exchange(set.refreshToken), "ERR_TOKEN_REVOKED");
	const next = await service.exchange(here.refreshToken);
	assert.is(next.sessionId, here.sessionId);
	await service.exchange(bob.refreshToken);
	const revoked = events.slice(before).filter((event) => event.type === "revoked");
	assert.equal(revoked.map((event) => [event.sessionId, event.type === "revoked" && event.reason]).sort(), others.map((set) => [set.sessionId, "subject"]).sort());
	assert.is(await service.revokeSubject("alice", { except: here.sessionId }), 0, "nothing left to revoke");
	assert.equal(
		(await service.listSessions("alice")).map((session) => session.id),
		[here.sessionId],
	);
});

except("the kept id matches in any letter case; a kept id of another subject keeps nothing of this one", async () => {
	const { service } = harness();
	const here = await service.issue({ subject: "alice" });
	const other = await service.issue({ subject: "alice" });
	const bob = await service.issue({ subject: "bob" });
	assert.is(await service.revokeSubject("alice", { except: here.sessionId.toUpperCase() }), 1);
	await service.exchange(here.refreshToken);
	await rejects(service.exchange(other.refreshToken), "ERR_TOKEN_REVOKED");
	assert.is(await service.revokeSubject("alice", { except: bob.sessionId }), 1);
	await service.exchange(bob.refreshToken);
});

except("without options, and with {} or except undefined, it is the old revokeSubject: everything", async () => {
	const { service } = harness();
	for (const options of [undefined, {}, { except: undefined } as unknown as RevokeSubjectOptions]) {
		await service.issue({ subject: "alice" });
		await service.issue({ subject: "alice" });
		assert.is(await service.revokeSubject("alice", options), 2);
	}
});

except("an except that is not a session id is refused rather than signing the caller out too", async () => {
	const { service } = harness();
	const here = await service.issue({ subject: "alice" });
	for (const bad of ["", "current", here.refreshToken, here.accessToken, 42 as unknown as string]) {
		await rejects(service.revokeSubject("alice", { except: bad }), "ERR_INPUT_INVALID");
	}
	await rejects(service.revokeSubject("alice", null as unknown as RevokeSubjectOptions), "ERR_INPUT_INVALID");
	await service.exchange(here.refreshToken);
});

except(`more sessions than one listing holds (${MAX_LIST_LIMIT}): every one but the kept is revoked`, async () => {
	const { service, store } = harness();
	const count = MAX_LIST_LIMIT + 5;
	const ids: string[] = [];
	for (let i = 0; i < count; i++) ids.push((await service.issue({ subject: "alice" })).sessionId);
	// The kept one among the newest, beyond the first page.
	const keep = ids[count - 2] as string;
	assert.is(await service.revokeSubject("alice", { except: keep }), count - 1);
	assert.is((await store.findSession(keep))?.revokedAt, null);
	assert.equal(
		(await service.listSessions("alice")).map((session) => session.id),
		[keep],
	);
});

except.run();
