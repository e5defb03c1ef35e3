// Contract cases: rotateToken, the port's atomic consume-if-current, and its races.
import type { RotationResult, SessionRecord, TokenRotation } from "../core/port.js";
import { at, create, HOUR, hex, holds, iso, plain, randomBytes, record, rotation, SECOND, same } from "./fixtures.js";
import type { ContractCase } from "./types.js";

/** The name of the atomic-rotation case: the one a check-then-write store fails. */
export function atomicRotationCaseName(races: number): string {
	return `rotateToken race (atomic rotation): ${races} parallel calls presenting one hash rotate exactly once`;
}

export function rotationCases(options: { races: number }): ContractCase[] {
	const { races } = options;
	return [
		{
			name: "rotateToken: an unknown session is not rotated and its view is null",
			async run({ store }) {
				same(await store.rotateToken(rotation(record())), { rotated: false, session: null }, "rotateToken of an unknown session id returns { rotated: false, session: null }");
			},
		},
		{
			name: "rotateToken: presenting the current hash applies exactly the documented update",
			async run({ store }) {
				const session = await create(store, { claims: { role: "user" }, device: "laptop" });
				const input = rotation(session);
				const result = await store.rotateToken(input);
				same(result.rotated, true, "rotateToken presenting the current tokenHash of a live session rotates");
				const expected = plain({
					...session,
					previousHash: session.tokenHash,
					tokenHash: input.successorHash,
					sealedSuccessor: input.sealedSuccessor,
					rotatedAt: input.now,
					lastUsedAt: input.now,
					expiresAt: input.idleExpiresAt,
					generation: 1,
				});
				const property = "a rotation sets previousHash = old tokenHash, tokenHash = successorHash, sealedSuccessor, rotatedAt = lastUsedAt = now, expiresAt = idleExpiresAt (capped), generation + 1, and nothing else";
				same(plain(result.session), expected, `${property} (the returned session)`);
				same(plain(await store.findSession(session.id)), expected, `${property} (the stored session)`);
			},
		},
		{
			name: "rotateToken: presenting any other hash changes nothing and returns the current view",
			async run({ store }) {
				const session = await create(store);
				const wrong = await store.rotateToken(rotation(session, { presentedHash: randomBytes(32) }));
				same(wrong.rotated, false, "rotateToken presenting a hash that is not the session's tokenHash must not rotate");
				same(plain(wrong.session), plain(session), "a refused rotation returns the session as stored");
				same(plain(await store.findSession(session.id)), plain(session), "a refused rotation changes nothing");
			},
		},
		{
			name: "rotateToken: presenting the previous hash after a rotation is not rotated; the view shows previousHash",
			async run({ store }) {
				const session = await create(store);
				const first = rotation(session);
				same((await store.rotateToken(first)).rotated, true, "the first rotation succeeds");
				const replay = await store.rotateToken(rotation(session, { now: at(20 * SECOND) }));
				same(replay.rotated, false, "presenting the hash that was already consumed must not rotate again");
				same(
					[hex(replay.session?.previousHash), hex(replay.session?.tokenHash), hex(replay.session?.sealedSuccessor), iso(replay.session?.rotatedAt), replay.session?.generation],
					[hex(session.tokenHash), hex(first.successorHash), hex(first.sealedSuccessor), iso(first.now), 1],
					"a refused rotation returns the session's [previousHash, tokenHash, sealedSuccessor, rotatedAt, generation] (the service needs them for the grace window)",
				);
			},
		},
		{
			name: "rotateToken: a revoked session is not rotated",
			async run({ store }) {
				const session = await create(store);
				holds((await store.revokeSession(session.id, at(SECOND))) !== null, "revokeSession of a live session returns it");
				const result = await store.rotateToken(rotation(session));
				same(result.rotated, false, "rotateToken of a revoked session must not rotate");
				same(iso(result.session?.revokedAt), iso(at(SECOND)), "the refused rotation's view shows revokedAt");
				same(hex((await store.findSession(session.id))?.tokenHash), hex(session.tokenHash), "the revoked session's tokenHash is unchanged");
			},
		},
		{
			name: "rotateToken: expired at expiresAt, live 1 ms before (expiry boundary exact)",
			async run({ store }) {
				const a = await create(store, { expiresAt: at(HOUR) });
				const atExpiry = await store.rotateToken(rotation(a, { now: at(HOUR), idleExpiresAt: at(2 * HOUR) }));
				same(atExpiry.rotated, false, "rotateToken with now === expiresAt must not rotate (a session has expired at its expiresAt)");
				same(atExpiry.session?.id, a.id, "the refused rotation of an expired session returns its view");
				same(plain(await store.findSession(a.id)), plain(a), "an expired session is left unchanged");
				const b = await create(store, { expiresAt: at(HOUR) });
				same((await store.rotateToken(rotation(b, { now: at(HOUR - 1), idleExpiresAt: at(2 * HOUR) }))).rotated, true, "rotateToken 1 ms before expiresAt rotates");
				const forever = await create(store, { expiresAt: null, absoluteExpiresAt: null });
				const result = await store.rotateToken(rotation(forever, { now: at(10_000 * HOUR), idleExpiresAt: null }));
				same([result.rotated, iso(result.session?.expiresAt)], [true, null], "a session with expiresAt null never expires, and rotating it with no idle limit keeps expiresAt null");
			},
		},
		{
			name: "rotateToken: caps the new expiry at absoluteExpiresAt and never moves absoluteExpiresAt",
			async run({ store }) {
				const cases: [Date | null, Date | null, Date | null][] = [
					// idleExpiresAt, absoluteExpiresAt, expected expiresAt
					[at(HOUR + 10 * SECOND), at(2 * HOUR), at(HOUR + 10 * SECOND)],
					[at(5 * HOUR), at(2 * HOUR), at(2 * HOUR)],
					[at(2 * HOUR), at(2 * HOUR), at(2 * HOUR)],
					[null, at(2 * HOUR), at(2 * HOUR)],
					[at(5 * HOUR), null, at(5 * HOUR)],
					[null, null, null],
				];
				for (const [idleExpiresAt, absoluteExpiresAt, expected] of cases) {
					const session = await create(store, { absoluteExpiresAt });
					const result = await store.rotateToken(rotation(session, { idleExpiresAt }));
					same(
						[result.rotated, iso(result.session?.expiresAt), iso(result.session?.absoluteExpiresAt)],
						[true, iso(expected), iso(absoluteExpiresAt)],
						`rotation sets expiresAt to the sooner of idleExpiresAt (${iso(idleExpiresAt)}) and absoluteExpiresAt (${iso(absoluteExpiresAt)}), null meaning never; [rotated, expiresAt, absoluteExpiresAt]`,
					);
					// What is stored, not only what is returned: a store may build its answer from its input.
					const stored = await store.findSession(session.id);
					same(
						[iso(stored?.expiresAt), iso(stored?.absoluteExpiresAt)],
						[iso(expected), iso(absoluteExpiresAt)],
						`the stored session after the rotation has the capped expiresAt (idleExpiresAt ${iso(idleExpiresAt)}, absoluteExpiresAt ${iso(absoluteExpiresAt)}); [expiresAt, absoluteExpiresAt]`,
					);
				}
			},
		},
		{
			name: "rotateToken: chains; each successor can be presented once, in order",
			async run({ store }) {
				const session = await create(store);
				let current = session.tokenHash;
				for (let generation = 1; generation <= 5; generation++) {
					const step = rotation(session, { presentedHash: current, now: at(generation * SECOND), idleExpiresAt: at(generation * SECOND + HOUR) });
					const result = await store.rotateToken(step);
					same(
						[result.rotated, result.session?.generation, hex(result.session?.previousHash)],
						[true, generation, hex(current)],
						`rotation ${generation} presenting the latest successor rotates; [rotated, generation, previousHash]`,
					);
					same((await store.rotateToken({ ...step, successorHash: randomBytes(32) })).rotated, false, `presenting the same hash twice rotates once (rotation ${generation})`);
					current = step.successorHash;
				}
			},
		},
		{
			name: atomicRotationCaseName(races),
			async run({ store }) {
				const session = await create(store);
				const attempts = Array.from({ length: races }, () => rotation(session));
				const results = await Promise.all(attempts.map((attempt) => store.rotateToken(attempt)));
				const winners = results.flatMap((result, index) => (result.rotated ? [index] : []));
				same(winners.length, 1, `of ${races} concurrent rotateToken calls presenting the same hash, exactly one may rotate: the check and the write must be one atomic step`);
				const winner = attempts[winners[0] as number] as TokenRotation;
				const stored = await store.findSession(session.id);
				same(
					[stored?.generation, hex(stored?.tokenHash), hex(stored?.sealedSuccessor), hex(stored?.previousHash)],
					[1, hex(winner.successorHash), hex(winner.sealedSuccessor), hex(session.tokenHash)],
					"after the race the session holds the winner's successor; [generation, tokenHash, sealedSuccessor, previousHash]",
				);
				holds(
					results.every((result) => result.rotated || result.session?.id === session.id),
					"every call that lost the race still gets the session's view (the service tells grace from reuse with it)",
				);
			},
		},
		{
			name: `rotateToken race: ${races} parallel calls across 10 sessions rotate each exactly once`,
			async run({ store }) {
				const sessions = await Promise.all(Array.from({ length: 10 }, () => create(store)));
				const attempts = Array.from({ length: races }, (_, i) => rotation(sessions[i % sessions.length] as SessionRecord));
				const results: RotationResult[] = await Promise.all(attempts.map((attempt) => store.rotateToken(attempt)));
				for (const session of sessions) {
					const rotated = results.filter((result, i) => result.rotated && attempts[i]?.sessionId === session.id).length;
					same([rotated, (await store.findSession(session.id))?.generation], [1, 1], "concurrent rotations of different sessions rotate each one exactly once; [rotations, generation]");
				}
			},
		},
		{
			name: "rotateToken race: against revokeSession, ends revoked and rotated at most once",
			async run({ store }) {
				for (let round = 0; round < 10; round++) {
					const session = await create(store);
					const [rotated, revoked] = await Promise.all([store.rotateToken(rotation(session)), store.revokeSession(session.id, at(5 * SECOND))]);
					holds(revoked !== null, "revokeSession racing a rotation still revokes the session and returns it");
					const stored = await store.findSession(session.id);
					same(
						[iso(stored?.revokedAt), stored?.generation],
						[iso(at(5 * SECOND)), rotated.rotated ? 1 : 0],
						"after a rotation raced a revocation the session is revoked, and generation counts the one rotation that happened (or none); [revokedAt, generation]",
					);
				}
			},
		},
	];
}
