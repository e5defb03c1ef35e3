// Contract cases: touchSession, revokeSession, revokeSubject and listSessions.
import { at, create, freshSubject, HOUR, hex, ids, iso, MINUTE, plain, SECOND, same, sortedIds } from "./fixtures.js";
import type { ContractCase } from "./types.js";

export function revocationCases(): ContractCase[] {
	return [
		{
			name: "touchSession: slides lastUsedAt and expiresAt (capped at absoluteExpiresAt) of a live session only",
			async run({ store }) {
				const session = await create(store, { mode: "reuse" });
				await store.touchSession({ sessionId: session.id, now: at(30 * MINUTE), idleExpiresAt: at(90 * MINUTE) });
				let stored = await store.findSession(session.id);
				same(
					[iso(stored?.lastUsedAt), iso(stored?.expiresAt), hex(stored?.tokenHash), stored?.generation],
					[iso(at(30 * MINUTE)), iso(at(90 * MINUTE)), hex(session.tokenHash), 0],
					"touchSession sets lastUsedAt = now and expiresAt = idleExpiresAt, and leaves the token alone; [lastUsedAt, expiresAt, tokenHash, generation]",
				);
				await store.touchSession({ sessionId: session.id, now: at(80 * MINUTE), idleExpiresAt: at(140 * MINUTE) });
				stored = await store.findSession(session.id);
				same(iso(stored?.expiresAt), iso(at(2 * HOUR)), "touchSession caps expiresAt at absoluteExpiresAt");

				const expired = await create(store, { mode: "reuse", expiresAt: at(HOUR) });
				await store.touchSession({ sessionId: expired.id, now: at(HOUR), idleExpiresAt: at(2 * HOUR) });
				same(plain(await store.findSession(expired.id)), plain(expired), "touchSession leaves a session expired at now untouched (an expired session never comes back)");
				const revoked = await create(store, { mode: "reuse", revokedAt: at(0) });
				await store.touchSession({ sessionId: revoked.id, now: at(SECOND), idleExpiresAt: at(HOUR + SECOND) });
				same(plain(await store.findSession(revoked.id)), plain(revoked), "touchSession leaves a revoked session untouched");
				await store.touchSession({ sessionId: crypto.randomUUID(), now: at(0), idleExpiresAt: at(HOUR) });
			},
		},
		{
			name: "touchSession: a null idle expiry leaves only the absolute cap",
			async run({ store }) {
				const session = await create(store, { mode: "reuse" });
				await store.touchSession({ sessionId: session.id, now: at(SECOND), idleExpiresAt: null });
				same(iso((await store.findSession(session.id))?.expiresAt), iso(at(2 * HOUR)), "touchSession with idleExpiresAt null sets expiresAt to absoluteExpiresAt");
			},
		},
		{
			name: "revokeSession: returns the session revoked at now, then null; unknown ids are null",
			async run({ store }) {
				const session = await create(store);
				same(plain(await store.revokeSession(session.id, at(42 * SECOND))), plain({ ...session, revokedAt: at(42 * SECOND) }), "revokeSession returns the session with revokedAt = now");
				same(await store.revokeSession(session.id, at(50 * SECOND)), null, "revoking an already revoked session returns null");
				same(iso((await store.findSession(session.id))?.revokedAt), iso(at(42 * SECOND)), "a second revocation keeps the first revokedAt");
				same(await store.revokeSession(crypto.randomUUID(), at(0)), null, "revokeSession of an unknown id returns null");
			},
		},
		{
			name: "revokeSession: also revokes an expired (not yet revoked) session",
			async run({ store }) {
				const session = await create(store, { expiresAt: at(HOUR) });
				same(iso((await store.revokeSession(session.id, at(3 * HOUR)))?.revokedAt), iso(at(3 * HOUR)), "revokeSession revokes a session that has expired but was never revoked");
			},
		},
		{
			name: "revokeSession race: 50 parallel calls on one session, exactly one returns it",
			async run({ store }) {
				const session = await create(store);
				const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.revokeSession(session.id, at(i * SECOND))));
				same(results.filter((result) => result !== null).length, 1, "of concurrent revokeSession calls on one session exactly one returns it (the one that revoked it)");
			},
		},
		{
			name: "revokeSubject: revokes the live sessions of that subject only and returns their ids, once",
			async run({ store }) {
				const subject = freshSubject();
				const live = [await create(store, { subject }), await create(store, { subject, device: "phone", mode: "reuse" }), await create(store, { subject, expiresAt: null, absoluteExpiresAt: null })];
				const expired = await create(store, { subject, expiresAt: at(10 * SECOND) });
				const revoked = await create(store, { subject, revokedAt: at(0) });
				const stranger = await create(store);
				const now = at(10 * SECOND); // `expired` expires exactly now
				same(sortedIds(await store.revokeSubject(subject, now)), sortedIds(ids(live)), "revokeSubject returns the ids of the subject's live sessions (not the expired or already revoked ones)");
				for (const session of live) same(iso((await store.findSession(session.id))?.revokedAt), iso(now), "revokeSubject sets revokedAt = now on every live session of the subject");
				same(
					[(await store.findSession(expired.id))?.revokedAt, iso((await store.findSession(revoked.id))?.revokedAt), (await store.findSession(stranger.id))?.revokedAt],
					[null, iso(at(0)), null],
					"revokeSubject leaves an expired session, an earlier revocation and other subjects alone; [expired, revoked, stranger] revokedAt",
				);
				same(await store.revokeSubject(subject, at(11 * SECOND)), [], "a second revokeSubject finds nothing left to revoke");
				same(await store.revokeSubject(freshSubject(), now), [], "revokeSubject of an unknown subject returns []");
			},
		},
		{
			name: "revokeSubject race: 10 parallel calls return each id exactly once in total",
			async run({ store }) {
				const subject = freshSubject();
				const sessions = await Promise.all(Array.from({ length: 20 }, () => create(store, { subject })));
				const results = await Promise.all(Array.from({ length: 10 }, () => store.revokeSubject(subject, at(SECOND))));
				same(sortedIds(results.flat()), sortedIds(ids(sessions)), "concurrent revokeSubject calls report each revoked session exactly once across all of them");
			},
		},
		{
			name: "listSessions: the live sessions of the subject, oldest first",
			async run({ store }) {
				const subject = freshSubject();
				const second = await create(store, { subject, createdAt: at(2 * SECOND), lastUsedAt: at(2 * SECOND) });
				const first = await create(store, { subject, createdAt: at(SECOND), lastUsedAt: at(SECOND), expiresAt: null, absoluteExpiresAt: null });
				const third = await create(store, { subject, createdAt: at(3 * SECOND), lastUsedAt: at(3 * SECOND), device: "phone" });
				await create(store, { subject, revokedAt: at(0) });
				await create(store, { subject, expiresAt: at(30 * SECOND) }); // expires exactly at `now` below
				await create(store);
				const listed = await store.listSessions(subject, at(30 * SECOND), 1000);
				same(ids(listed), ids([first, second, third]), "listSessions returns the subject's live sessions (not revoked, not expired at now) ordered by createdAt");
				same(plain(listed[2]), plain(third), "listSessions returns whole session records");
				same(await store.listSessions(freshSubject(), at(0), 1000), [], "listSessions of an unknown subject returns []");
				same(ids(await store.listSessions(subject, at(HOUR), 1000)), [first.id], "a session expired at now is not listed");
			},
		},
		{
			name: "listSessions: honours limit, after leaving out dead sessions, oldest first by createdAt then id",
			async run({ store }) {
				const subject = freshSubject();
				// Dead sessions first in every order, so a store that applies the limit before
				// leaving them out returns too few.
				await create(store, { subject, createdAt: at(-2 * SECOND), revokedAt: at(0) });
				await create(store, { subject, createdAt: at(-SECOND), expiresAt: at(SECOND) });
				const tied = [await create(store, { subject, createdAt: at(0) }), await create(store, { subject, createdAt: at(0) }), await create(store, { subject, createdAt: at(0) })];
				const later = await create(store, { subject, createdAt: at(SECOND) });
				const latest = await create(store, { subject, createdAt: at(2 * SECOND) });
				const order = [...sortedIds(ids(tied)), later.id, latest.id];
				for (const limit of [1, 2, 4, 5, 6, 1000]) {
					same(ids(await store.listSessions(subject, at(10 * SECOND), limit)), order.slice(0, limit), `listSessions(subject, now, ${limit}) returns the first ${limit} live sessions, ordered by createdAt then id`);
				}
			},
		},
	];
}
