// Contract cases: prune, and the tombstone it must leave for reuse detection. prune deletes
// dead sessions of every subject, so on a shared store (no `reset`) these cases cannot know how
// many a call should delete: there they drain and check bounds; on an isolated store, exact counts.
import type { SessionRecord, TokenStore } from "../core/port.js";
import { at, create, drain, HOUR, hex, iso, MINUTE, plain, rotation, SECOND, same } from "./fixtures.js";
import type { CaseContext, ContractCase } from "./types.js";

/** Every one of `sessions` is gone from the store. */
async function gone(store: TokenStore, sessions: readonly SessionRecord[], property: string): Promise<void> {
	for (const session of sessions) same(await store.findSession(session.id), null, property);
}

/** Every one of `sessions` is still stored, unchanged. */
async function kept(store: TokenStore, sessions: readonly SessionRecord[], property: string): Promise<void> {
	for (const session of sessions) same(plain(await store.findSession(session.id)), plain(session), property);
}

/** On an isolated store, `actual` must be exactly `expected`; on a shared one, at least. */
function deletedCount({ isolated }: CaseContext, actual: number, expected: number, property: string): void {
	if (isolated) same(actual, expected, property);
	else same(actual >= expected, true, `${property} (at least ${expected} on a shared store, got ${actual})`);
}

export function pruneCases(): ContractCase[] {
	return [
		{
			name: "prune: deletes sessions revoked or expired at or before `before`, and nothing live",
			async run(context) {
				const { store } = context;
				const before = at(HOUR);
				const dead = [
					await create(store, { revokedAt: at(0) }),
					await create(store, { revokedAt: before }),
					await create(store, { expiresAt: at(30 * MINUTE) }),
					await create(store, { expiresAt: before }),
					await create(store, { revokedAt: at(0), expiresAt: null, absoluteExpiresAt: null }),
				];
				const live = [
					await create(store, { expiresAt: at(HOUR + 1) }),
					await create(store, { revokedAt: at(HOUR + 1), expiresAt: at(2 * HOUR) }),
					await create(store, { expiresAt: null, absoluteExpiresAt: null }),
					await create(store, { mode: "reuse", device: "d", expiresAt: at(5 * HOUR), absoluteExpiresAt: at(5 * HOUR) }),
				];
				deletedCount(context, await drain(store, before), dead.length, "prune deletes every session revoked or expired at or before `before`, and returns how many");
				await gone(store, dead, "a session revoked or expired at or before `before` is deleted by prune");
				await kept(store, live, "prune never touches a session still live at `before` (nor one revoked or expiring 1 ms after it)");
				same(await store.prune({ before, limit: 100 }), 0, "once drained, prune deletes nothing more");
			},
		},
		{
			name: "prune: respects the limit and drains in batches, never touching live sessions",
			async run(context) {
				const { store } = context;
				const dead = await Promise.all(Array.from({ length: 7 }, () => create(store, { revokedAt: at(0) })));
				const live = await Promise.all(Array.from({ length: 3 }, () => create(store, { expiresAt: at(10 * HOUR), absoluteExpiresAt: at(10 * HOUR) })));
				const counts = [];
				for (let i = 0; i < 3; i++) counts.push(await store.prune({ before: at(HOUR), limit: 3 }));
				// Seven or more are due, so the first two batches are full and the third is not empty.
				same(
					[counts[0], counts[1], (counts[2] ?? 0) >= 1 && (counts[2] ?? 0) <= 3],
					[3, 3, true],
					"prune deletes at most `limit` sessions per call, and exactly `limit` while at least that many are due; [batch 1, batch 2, 1 <= batch 3 <= 3]",
				);
				if (context.isolated) same(counts, [3, 3, 1], "on an empty store, batches of 3 over 7 dead sessions delete 3, 3, 1");
				await drain(store, at(HOUR));
				await gone(store, dead, "draining prune in batches deletes every dead session");
				await kept(store, live, "prune in batches never touches a live session");
			},
		},
		{
			name: "prune race: 8 parallel calls delete each dead session once in total",
			async run(context) {
				const { store } = context;
				const dead = await Promise.all(Array.from({ length: 30 }, () => create(store, { expiresAt: at(SECOND) })));
				const live = await Promise.all(Array.from({ length: 10 }, () => create(store, { expiresAt: at(10 * HOUR), absoluteExpiresAt: at(10 * HOUR) })));
				const counts = await Promise.all(Array.from({ length: 8 }, () => store.prune({ before: at(HOUR), limit: 4 })));
				same(
					counts.every((count) => count >= 0 && count <= 4),
					true,
					`concurrent prune calls each delete at most their limit (limit 4, got ${counts.join(", ")})`,
				);
				const total = counts.reduce((sum, count) => sum + count, 0) + (await drain(store, at(HOUR)));
				deletedCount(context, total, dead.length, "concurrent prune calls count each deleted session once in total (no double counting, none missed)");
				await gone(store, dead, "concurrent prune calls and a final drain delete every dead session");
				await kept(store, live, "concurrent prune calls never touch a live session");
			},
		},
		{
			// The name is cited by docs/postgres-store.md.
			name: "prune keeps a session whose expiry a rotation or a touch moved past `before`, and takes it once it dies",
			async run(context) {
				const { store } = context;
				// Both start out due to expire at HOUR; each is used before then and lives on to 3 h.
				const rotated = await create(store, { expiresAt: at(HOUR), absoluteExpiresAt: at(10 * HOUR) });
				const touched = await create(store, { mode: "reuse", device: "d", expiresAt: at(HOUR), absoluteExpiresAt: at(10 * HOUR) });
				same((await store.rotateToken(rotation(rotated, { now: at(30 * MINUTE), idleExpiresAt: at(3 * HOUR) }))).rotated, true, "the rotation before the old expiry succeeds");
				await store.touchSession({ sessionId: touched.id, now: at(30 * MINUTE), idleExpiresAt: at(3 * HOUR) });
				// Revoked after the old expiry: it comes behind both in any "oldest first" order.
				const dead = await create(store, { revokedAt: at(90 * MINUTE) });
				if (context.isolated) {
					// A batch of one must reach the dead session, not stall on a stale candidate.
					same(await store.prune({ before: at(2 * HOUR), limit: 1 }), 1, "prune(limit 1) past a session's old expiry still deletes a dead session (the store judges the current expiresAt, not the one at issue)");
				}
				await drain(store, at(2 * HOUR));
				await gone(store, [dead], "prune deletes the dead session behind the two moved ones");
				for (const session of [rotated, touched]) {
					same(iso((await store.findSession(session.id))?.expiresAt), iso(at(3 * HOUR)), "prune keeps a session whose expiresAt a rotation or a touch moved past `before`");
				}
				deletedCount(context, await drain(store, at(3 * HOUR)), 2, "once the moved expiry passes, prune deletes both sessions");
				await gone(store, [rotated, touched], "once the moved expiry passes, prune deletes both sessions");
			},
		},
		{
			name: "prune tombstone: a live rotated session survives prune, and its previous hash is still recognised",
			async run({ store }) {
				const session = await create(store);
				const first = rotation(session);
				same((await store.rotateToken(first)).rotated, true, "the first rotation succeeds");
				const dead = await create(store, { revokedAt: at(0) });
				await drain(store, at(30 * MINUTE));
				await gone(store, [dead], "prune deletes the revoked session");
				const replay = await store.rotateToken(rotation(session, { now: at(40 * MINUTE) }));
				same(
					[replay.rotated, hex(replay.session?.previousHash), hex(replay.session?.familyHash)],
					[false, hex(session.tokenHash), hex(session.familyHash)],
					"after prune, a live rotated session still answers a replay of its consumed hash with its previousHash and familyHash (reuse detection needs them); [rotated, previousHash, familyHash]",
				);
			},
		},
	];
}
