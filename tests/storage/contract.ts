/**
 * The storage contract: one suite that every {@link TokenStore} must pass, unchanged.
 *
 * ```ts
 * import { storeContract } from "./contract.js";
 * storeContract("drizzleStore (PGlite)", {
 *   open: async () => drizzleStore(db),       // once, before the first test
 *   reset: async () => { await truncate(db) }, // before every test: leave the store EMPTY
 *   close: async () => { await client.close() } // once, after the last test (also after failures)
 * });
 * ```
 *
 * `storeContract(label, setup, options?)` registers a uvu suite named `label` and runs it;
 * call it at the top level of a `*.test.ts` file. The suite talks to the store only through
 * the port, uses fresh random ids and subjects in every test, passes every `now` explicitly
 * (stores never read a clock), and relies on no test order. `reset()` must empty the store
 * because `prune` and `revokeSubject` counts are checked exactly. `open()` runs lazily in the
 * first `before.each`, so a failure to open shows up as failing tests rather than a silently
 * skipped suite (uvu swallows errors thrown by `before` hooks).
 *
 * Besides the per-method semantics documented in storage/port.ts it runs the race cases
 * (`options.races`, default 250, parallel `rotateToken` calls presenting one hash; parallel
 * `openReusableSession`, `revokeSession`, `revokeSubject`, `prune`) and a small set of
 * service-level cases through `createTokenService` on top of the store.
 */
import { randomUUID } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { hashFamilyProof, hashToken, parseRefreshToken } from "../../core/refresh-token.js";
import type { RotationResult, SessionRecord, TokenRotation, TokenStore } from "../../core/port.js";
import { harness, hex, rejects } from "../helpers.js";

/** How the contract suite gets at a store. See the module comment. */
export interface StoreContractSetup {
	/** Returns the store under test. Called once, before the first test. */
	open(): Promise<TokenStore>;
	/** Empties the store. Called before every test. */
	reset(): Promise<void>;
	/** Releases the store (pools, embedded databases). Called once after the last test. */
	close(): Promise<void>;
}

export interface StoreContractOptions {
	/** Parallel calls in the race cases. Default 250. */
	races?: number;
}

const T0 = new Date("2030-01-01T00:00:00.000Z");
const SECOND = 1000;
const HOUR = 3600 * SECOND;

function at(offsetMs: number): Date {
	return new Date(T0.getTime() + offsetMs);
}

function randomBytes(length: number): Uint8Array {
	return crypto.getRandomValues(new Uint8Array(length));
}

function subject(): string {
	return `subject-${randomUUID()}`;
}

/** A session record with fresh random id and hashes; idle 1 h, absolute 2 h from T0 unless overridden. */
function record(overrides: Partial<SessionRecord> = {}): SessionRecord {
	return {
		id: randomUUID(),
		subject: subject(),
		device: null,
		claims: null,
		mode: "rotate",
		familyHash: randomBytes(32),
		tokenHash: randomBytes(32),
		previousHash: null,
		sealedSuccessor: null,
		rotatedAt: null,
		generation: 0,
		createdAt: T0,
		lastUsedAt: T0,
		expiresAt: at(HOUR),
		absoluteExpiresAt: at(2 * HOUR),
		revokedAt: null,
		...overrides,
	};
}

function rotation(session: SessionRecord, overrides: Partial<TokenRotation> = {}): TokenRotation {
	return {
		sessionId: session.id,
		presentedHash: session.tokenHash,
		successorHash: randomBytes(32),
		sealedSuccessor: randomBytes(32),
		now: at(10 * SECOND),
		idleExpiresAt: at(10 * SECOND + HOUR),
		...overrides,
	};
}

/** A driver-neutral view of a record: bytes as hex (a bytea may come back as a Buffer), dates as ISO strings. */
function plain(session: SessionRecord | null | undefined): Record<string, unknown> | null {
	if (session === null || session === undefined) return null;
	return {
		id: session.id,
		subject: session.subject,
		device: session.device,
		claims: session.claims,
		mode: session.mode,
		familyHash: hex(session.familyHash),
		tokenHash: hex(session.tokenHash),
		previousHash: hex(session.previousHash),
		sealedSuccessor: hex(session.sealedSuccessor),
		rotatedAt: iso(session.rotatedAt),
		generation: session.generation,
		createdAt: iso(session.createdAt),
		lastUsedAt: iso(session.lastUsedAt),
		expiresAt: iso(session.expiresAt),
		absoluteExpiresAt: iso(session.absoluteExpiresAt),
		revokedAt: iso(session.revokedAt),
	};
}

function iso(date: Date | null): string | null {
	if (date === null) return null;
	assert.instance(date, Date, "times come back as Date objects");
	return date.toISOString();
}

async function rejectsAny(promise: Promise<unknown>, message: string): Promise<void> {
	try {
		await promise;
	} catch {
		return;
	}
	assert.unreachable(message);
}

/** Registers and runs the contract suite for one store. */
export function storeContract(label: string, setup: StoreContractSetup, options: StoreContractOptions = {}): void {
	const races = options.races ?? 250;
	const test = suite(label);
	let store: TokenStore | null = null;
	let opened = false;

	test.before.each(async () => {
		if (!opened) {
			opened = true;
			store = await setup.open();
		}
		assert.ok(store !== null, "setup.open() failed earlier");
		await setup.reset();
	});

	test.after(async () => {
		if (opened) await setup.close();
	});

	function s(): TokenStore {
		assert.ok(store !== null, "setup.open() did not return a store");
		return store;
	}

	async function create(overrides: Partial<SessionRecord> = {}): Promise<SessionRecord> {
		const session = record(overrides);
		await s().createSession(session);
		return session;
	}

	// ---------------------------------------------------------------- guarantees, create, find

	test("declares guarantees.atomicRotation === true", () => {
		assert.is(s().guarantees.atomicRotation, true);
	});

	test("createSession stores every field; findSession returns them unchanged", async () => {
		const full = record({
			device: "laptop — Firefox ✓",
			claims: { role: "admin", tenant: { id: 7, tags: ["a", "b"] }, flag: true, none: null },
			mode: "reuse",
			previousHash: randomBytes(32),
			sealedSuccessor: randomBytes(32),
			rotatedAt: at(5 * SECOND),
			generation: 3,
			lastUsedAt: at(5 * SECOND),
			createdAt: at(-123),
		});
		await s().createSession(full);
		assert.equal(plain(await s().findSession(full.id)), plain(full));

		const sparse = record({ expiresAt: null, absoluteExpiresAt: null });
		await s().createSession(sparse);
		assert.equal(plain(await s().findSession(sparse.id)), plain(sparse));
	});

	test("findSession of an unknown id is null", async () => {
		assert.is(await s().findSession(randomUUID()), null);
		await create();
		assert.is(await s().findSession(randomUUID()), null);
	});

	test("createSession with a duplicate id fails and keeps the original", async () => {
		const original = await create();
		await rejectsAny(s().createSession(record({ id: original.id })), "a duplicate id was accepted");
		assert.equal(plain(await s().findSession(original.id)), plain(original));
	});

	test("subjects and devices are opaque text: quotes, wildcards, unicode and long values round-trip", async () => {
		for (const name of ["o'brien", 'a"b', "100%_match", "back\\slash", "ünïcödé 😀", "x".repeat(1024), "%", "_"]) {
			const session = await create({ subject: name, device: name.slice(0, 256) });
			assert.equal(plain(await s().findSession(session.id)), plain(session));
			assert.equal(
				(await s().listSessions(name, at(0), 1000)).map((found) => found.id),
				[session.id],
			);
		}
	});

	// ---------------------------------------------------------------- openReusableSession

	test("openReusableSession stores and returns the candidate when no live session exists", async () => {
		const candidate = record({ mode: "reuse", device: "laptop" });
		assert.equal(plain(await s().openReusableSession(candidate)), plain(candidate));
		assert.equal(plain(await s().findSession(candidate.id)), plain(candidate));
	});

	test("openReusableSession returns the live reuse session of subject+device and does not store the candidate", async () => {
		const existing = await create({ mode: "reuse", device: "laptop" });
		const candidate = record({ mode: "reuse", device: "laptop", subject: existing.subject, createdAt: at(60 * SECOND), lastUsedAt: at(60 * SECOND) });
		assert.equal(plain(await s().openReusableSession(candidate)), plain(existing));
		assert.is(await s().findSession(candidate.id), null);
	});

	test("openReusableSession: a null device matches a null device; another device or subject does not", async () => {
		const noDevice = await create({ mode: "reuse", device: null });
		const same = record({ mode: "reuse", device: null, subject: noDevice.subject });
		assert.is((await s().openReusableSession(same)).id, noDevice.id);

		const otherDevice = record({ mode: "reuse", device: "phone", subject: noDevice.subject });
		assert.is((await s().openReusableSession(otherDevice)).id, otherDevice.id);
		const otherSubject = record({ mode: "reuse", device: null });
		assert.is((await s().openReusableSession(otherSubject)).id, otherSubject.id);
		const laptop = record({ mode: "reuse", device: "laptop", subject: noDevice.subject });
		assert.is((await s().openReusableSession(laptop)).id, laptop.id, "a device does not match a null device");
	});

	test("openReusableSession skips revoked, expired and rotate-mode sessions (expiry boundary exact)", async () => {
		const who = subject();
		const later = at(HOUR);
		await create({ subject: who, mode: "reuse", device: "d", revokedAt: at(0) });
		await create({ subject: who, mode: "reuse", device: "d", expiresAt: later }); // expiresAt == candidate.createdAt: not live
		await create({ subject: who, mode: "rotate", device: "d", expiresAt: at(2 * HOUR) });
		const candidate = record({ subject: who, mode: "reuse", device: "d", createdAt: later, lastUsedAt: later, expiresAt: at(3 * HOUR), absoluteExpiresAt: at(4 * HOUR) });
		assert.is((await s().openReusableSession(candidate)).id, candidate.id);

		const other = subject();
		const alive = await create({ subject: other, mode: "reuse", device: "d", expiresAt: at(HOUR + 1) });
		assert.is((await s().openReusableSession(record({ subject: other, mode: "reuse", device: "d", createdAt: later, lastUsedAt: later }))).id, alive.id, "1 ms before expiry it is still live");
		const forever = subject();
		const immortal = await create({ subject: forever, mode: "reuse", device: "d", expiresAt: null, absoluteExpiresAt: null });
		assert.is((await s().openReusableSession(record({ subject: forever, mode: "reuse", device: "d", createdAt: at(1000 * HOUR) }))).id, immortal.id);
	});

	test(`race: ${Math.min(races, 50)} parallel openReusableSession calls for one subject+device open one session`, async () => {
		const who = subject();
		const candidates = Array.from({ length: Math.min(races, 50) }, () => record({ subject: who, mode: "reuse", device: "laptop" }));
		const opened = await Promise.all(candidates.map((candidate) => s().openReusableSession(candidate)));
		assert.is(new Set(opened.map((session) => session.id)).size, 1);
		const live = await s().listSessions(who, at(0), 1000);
		assert.is(live.length, 1);
		assert.is(live[0]?.id, opened[0]?.id);
	});

	// ---------------------------------------------------------------- rotateToken

	test("rotateToken of an unknown session: not rotated, session null", async () => {
		const result = await s().rotateToken(rotation(record()));
		assert.equal(result, { rotated: false, session: null });
	});

	test("rotateToken of the current hash applies exactly the documented update", async () => {
		const session = await create({ claims: { role: "user" }, device: "laptop" });
		const input = rotation(session, { now: at(10 * SECOND), idleExpiresAt: at(10 * SECOND + HOUR) });
		const result = await s().rotateToken(input);
		assert.is(result.rotated, true);
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
		assert.equal(plain(result.session), expected);
		assert.equal(plain(await s().findSession(session.id)), expected);
	});

	test("rotateToken presenting any other hash changes nothing and returns the current view", async () => {
		const session = await create();
		const wrong = await s().rotateToken(rotation(session, { presentedHash: randomBytes(32) }));
		assert.is(wrong.rotated, false);
		assert.equal(plain(wrong.session), plain(session));
		assert.equal(plain(await s().findSession(session.id)), plain(session));
	});

	test("rotateToken presenting the previous hash after a rotation is not rotated; the view shows previousHash", async () => {
		const session = await create();
		const first = rotation(session);
		assert.is((await s().rotateToken(first)).rotated, true);
		const replay = await s().rotateToken(rotation(session, { now: at(20 * SECOND) }));
		assert.is(replay.rotated, false);
		assert.is(hex(replay.session?.previousHash), hex(session.tokenHash));
		assert.is(hex(replay.session?.tokenHash), hex(first.successorHash));
		assert.is(hex(replay.session?.sealedSuccessor), hex(first.sealedSuccessor));
		assert.is(replay.session?.rotatedAt?.getTime(), first.now.getTime());
		assert.is(replay.session?.generation, 1);
	});

	test("rotateToken of a revoked session is not rotated", async () => {
		const session = await create();
		assert.ok((await s().revokeSession(session.id, at(SECOND))) !== null);
		const result = await s().rotateToken(rotation(session));
		assert.is(result.rotated, false);
		assert.is(result.session?.revokedAt?.getTime(), at(SECOND).getTime());
		assert.is(hex((await s().findSession(session.id))?.tokenHash), hex(session.tokenHash));
	});

	test("rotateToken expiry boundary: expired at expiresAt, live 1 ms before", async () => {
		const a = await create({ expiresAt: at(HOUR) });
		const atExpiry = await s().rotateToken(rotation(a, { now: at(HOUR), idleExpiresAt: at(2 * HOUR) }));
		assert.is(atExpiry.rotated, false);
		assert.is(atExpiry.session?.id, a.id);
		const b = await create({ expiresAt: at(HOUR) });
		assert.is((await s().rotateToken(rotation(b, { now: at(HOUR - 1), idleExpiresAt: at(2 * HOUR) }))).rotated, true);
		const forever = await create({ expiresAt: null, absoluteExpiresAt: null });
		const result = await s().rotateToken(rotation(forever, { now: at(10_000 * HOUR), idleExpiresAt: null }));
		assert.is(result.rotated, true);
		assert.is(result.session?.expiresAt, null);
	});

	test("rotateToken caps the new expiry at absoluteExpiresAt and never moves it", async () => {
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
			const session = await create({ absoluteExpiresAt });
			const result = await s().rotateToken(rotation(session, { idleExpiresAt }));
			assert.is(result.rotated, true);
			assert.is(iso(result.session?.expiresAt ?? null), iso(expected));
			assert.is(iso(result.session?.absoluteExpiresAt ?? null), iso(absoluteExpiresAt));
		}
	});

	test("rotateToken chains: each successor can be presented once, in order", async () => {
		const session = await create();
		let current = session.tokenHash;
		for (let generation = 1; generation <= 5; generation++) {
			const step = rotation(session, { presentedHash: current, now: at(generation * SECOND), idleExpiresAt: at(generation * SECOND + HOUR) });
			const result = await s().rotateToken(step);
			assert.is(result.rotated, true);
			assert.is(result.session?.generation, generation);
			assert.is(hex(result.session?.previousHash), hex(current));
			assert.is((await s().rotateToken({ ...step, successorHash: randomBytes(32) })).rotated, false, "the same hash twice");
			current = step.successorHash;
		}
	});

	test(`race: ${races} parallel rotateToken calls presenting one hash rotate exactly once`, async () => {
		const session = await create();
		const attempts = Array.from({ length: races }, () => rotation(session));
		const results = await Promise.all(attempts.map((attempt) => s().rotateToken(attempt)));
		const winners = results.flatMap((result, index) => (result.rotated ? [index] : []));
		assert.is(winners.length, 1, `${winners.length} calls rotated`);
		const winner = attempts[winners[0] as number] as TokenRotation;
		const stored = await s().findSession(session.id);
		assert.is(stored?.generation, 1);
		assert.is(hex(stored?.tokenHash), hex(winner.successorHash));
		assert.is(hex(stored?.sealedSuccessor), hex(winner.sealedSuccessor));
		assert.is(hex(stored?.previousHash), hex(session.tokenHash));
		for (const result of results) if (!result.rotated) assert.is(result.session?.id, session.id, "a loser still sees the session");
	});

	test(`race: ${races} parallel rotateToken calls across 10 sessions rotate each exactly once`, async () => {
		const sessions = await Promise.all(Array.from({ length: 10 }, () => create()));
		const attempts = Array.from({ length: races }, (_, i) => rotation(sessions[i % sessions.length] as SessionRecord));
		const results: RotationResult[] = await Promise.all(attempts.map((attempt) => s().rotateToken(attempt)));
		for (const session of sessions) {
			const rotated = results.filter((result, i) => result.rotated && attempts[i]?.sessionId === session.id);
			assert.is(rotated.length, 1, session.id);
			assert.is((await s().findSession(session.id))?.generation, 1);
		}
	});

	test("race: rotateToken against revokeSession ends revoked, and rotation happened at most once", async () => {
		for (let round = 0; round < 10; round++) {
			const session = await create();
			const [rotated, revoked] = await Promise.all([s().rotateToken(rotation(session)), s().revokeSession(session.id, at(5 * SECOND))]);
			assert.ok(revoked !== null);
			const stored = await s().findSession(session.id);
			assert.ok(stored?.revokedAt !== null);
			assert.is(stored?.generation, rotated.rotated ? 1 : 0);
		}
	});

	// ---------------------------------------------------------------- touchSession

	test("touchSession slides lastUsedAt and expiresAt (capped at absolute) of a live session only", async () => {
		const session = await create({ mode: "reuse" });
		await s().touchSession({ sessionId: session.id, now: at(30 * 60 * SECOND), idleExpiresAt: at(90 * 60 * SECOND) });
		let stored = await s().findSession(session.id);
		assert.is(iso(stored?.lastUsedAt ?? null), iso(at(30 * 60 * SECOND)));
		assert.is(iso(stored?.expiresAt ?? null), iso(at(90 * 60 * SECOND)));
		assert.is(hex(stored?.tokenHash), hex(session.tokenHash));
		assert.is(stored?.generation, 0);

		await s().touchSession({ sessionId: session.id, now: at(80 * 60 * SECOND), idleExpiresAt: at(140 * 60 * SECOND) });
		stored = await s().findSession(session.id);
		assert.is(iso(stored?.expiresAt ?? null), iso(at(2 * HOUR)), "capped at the absolute expiry");

		const expired = await create({ mode: "reuse", expiresAt: at(HOUR) });
		await s().touchSession({ sessionId: expired.id, now: at(HOUR), idleExpiresAt: at(2 * HOUR) });
		assert.equal(plain(await s().findSession(expired.id)), plain(expired), "expired at now: untouched");

		const revoked = await create({ mode: "reuse", revokedAt: at(0) });
		await s().touchSession({ sessionId: revoked.id, now: at(SECOND), idleExpiresAt: at(HOUR + SECOND) });
		assert.equal(plain(await s().findSession(revoked.id)), plain(revoked), "revoked: untouched");

		await s().touchSession({ sessionId: randomUUID(), now: at(0), idleExpiresAt: at(HOUR) });
	});

	test("touchSession with a null idle expiry leaves only the absolute cap", async () => {
		const session = await create({ mode: "reuse" });
		await s().touchSession({ sessionId: session.id, now: at(SECOND), idleExpiresAt: null });
		assert.is(iso((await s().findSession(session.id))?.expiresAt ?? null), iso(at(2 * HOUR)));
	});

	// ---------------------------------------------------------------- revokeSession / revokeSubject

	test("revokeSession returns the session revoked at now, then null; unknown ids are null", async () => {
		const session = await create();
		const revoked = await s().revokeSession(session.id, at(42 * SECOND));
		assert.equal(plain(revoked), plain({ ...session, revokedAt: at(42 * SECOND) }));
		assert.is(await s().revokeSession(session.id, at(50 * SECOND)), null);
		assert.is(iso((await s().findSession(session.id))?.revokedAt ?? null), iso(at(42 * SECOND)), "the first revocation time stays");
		assert.is(await s().revokeSession(randomUUID(), at(0)), null);
	});

	test("revokeSession also revokes an expired (not yet revoked) session", async () => {
		const session = await create({ expiresAt: at(HOUR) });
		assert.ok((await s().revokeSession(session.id, at(3 * HOUR))) !== null);
	});

	test("race: parallel revokeSession calls on one session: exactly one returns it", async () => {
		const session = await create();
		const results = await Promise.all(Array.from({ length: 50 }, (_, i) => s().revokeSession(session.id, at(i * SECOND))));
		assert.is(results.filter((result) => result !== null).length, 1);
	});

	test("revokeSubject revokes the live sessions of that subject only and returns their ids, once", async () => {
		const who = subject();
		const live = [await create({ subject: who }), await create({ subject: who, device: "phone", mode: "reuse" }), await create({ subject: who, expiresAt: null, absoluteExpiresAt: null })];
		const expired = await create({ subject: who, expiresAt: at(10 * SECOND) });
		const revoked = await create({ subject: who, revokedAt: at(0) });
		const stranger = await create();
		const now = at(10 * SECOND); // `expired` expires exactly now
		const ids = await s().revokeSubject(who, now);
		assert.equal([...ids].sort(), live.map((session) => session.id).sort());
		for (const session of live) assert.is(iso((await s().findSession(session.id))?.revokedAt ?? null), iso(now));
		assert.is((await s().findSession(expired.id))?.revokedAt, null);
		assert.is(iso((await s().findSession(revoked.id))?.revokedAt ?? null), iso(at(0)));
		assert.is((await s().findSession(stranger.id))?.revokedAt, null);
		assert.equal(await s().revokeSubject(who, at(11 * SECOND)), []);
		assert.equal(await s().revokeSubject(subject(), now), []);
	});

	test("race: parallel revokeSubject calls return each id exactly once in total", async () => {
		const who = subject();
		const sessions = await Promise.all(Array.from({ length: 20 }, () => create({ subject: who })));
		const results = await Promise.all(Array.from({ length: 10 }, () => s().revokeSubject(who, at(SECOND))));
		const all = results.flat();
		assert.is(all.length, sessions.length);
		assert.equal([...all].sort(), sessions.map((session) => session.id).sort());
	});

	// ---------------------------------------------------------------- listSessions

	test("listSessions: live sessions of the subject, oldest first", async () => {
		const who = subject();
		const second = await create({ subject: who, createdAt: at(2 * SECOND), lastUsedAt: at(2 * SECOND) });
		const first = await create({ subject: who, createdAt: at(SECOND), lastUsedAt: at(SECOND), expiresAt: null, absoluteExpiresAt: null });
		const third = await create({ subject: who, createdAt: at(3 * SECOND), lastUsedAt: at(3 * SECOND), device: "phone" });
		await create({ subject: who, revokedAt: at(0) });
		await create({ subject: who, expiresAt: at(30 * SECOND) }); // expires exactly at `now` below
		await create();
		const listed = await s().listSessions(who, at(30 * SECOND), 1000);
		assert.equal(
			listed.map((session) => session.id),
			[first.id, second.id, third.id],
		);
		assert.equal(plain(listed[2]), plain(third));
		assert.equal(await s().listSessions(subject(), at(0), 1000), []);
		assert.equal(
			(await s().listSessions(who, at(HOUR), 1000)).map((session) => session.id),
			[first.id],
		);
	});

	// ---------------------------------------------------------------- prune

	test("prune deletes sessions revoked or expired at or before `before`, and nothing live", async () => {
		const before = at(HOUR);
		const dead = [
			await create({ revokedAt: at(0) }),
			await create({ revokedAt: before }),
			await create({ expiresAt: at(30 * 60 * SECOND) }),
			await create({ expiresAt: before }),
			await create({ revokedAt: at(0), expiresAt: null, absoluteExpiresAt: null }),
		];
		const kept = [
			await create({ expiresAt: at(HOUR + 1) }),
			await create({ revokedAt: at(HOUR + 1), expiresAt: at(2 * HOUR) }),
			await create({ expiresAt: null, absoluteExpiresAt: null }),
			await create({ mode: "reuse", device: "d", expiresAt: at(5 * HOUR), absoluteExpiresAt: at(5 * HOUR) }),
		];
		assert.is(await s().prune({ before, limit: 100 }), dead.length);
		for (const session of dead) assert.is(await s().findSession(session.id), null);
		for (const session of kept) assert.equal(plain(await s().findSession(session.id)), plain(session));
		assert.is(await s().prune({ before, limit: 100 }), 0);
	});

	test("prune respects the limit and drains in batches, never touching live sessions", async () => {
		for (let i = 0; i < 7; i++) await create({ revokedAt: at(0) });
		const live = await Promise.all(Array.from({ length: 3 }, () => create({ expiresAt: at(10 * HOUR), absoluteExpiresAt: at(10 * HOUR) })));
		const counts = [];
		for (let i = 0; i < 4; i++) counts.push(await s().prune({ before: at(HOUR), limit: 3 }));
		assert.equal(counts, [3, 3, 1, 0]);
		for (const session of live) assert.ok((await s().findSession(session.id)) !== null);
	});

	test("race: parallel prune calls delete each dead session once in total", async () => {
		const dead = await Promise.all(Array.from({ length: 30 }, () => create({ expiresAt: at(SECOND) })));
		const live = await Promise.all(Array.from({ length: 10 }, () => create({ expiresAt: at(10 * HOUR), absoluteExpiresAt: at(10 * HOUR) })));
		const counts = await Promise.all(Array.from({ length: 8 }, () => s().prune({ before: at(HOUR), limit: 4 })));
		let total = counts.reduce((sum, count) => sum + count, 0);
		while (total < dead.length) {
			const more = await s().prune({ before: at(HOUR), limit: 100 });
			assert.ok(more > 0, "prune stopped with dead sessions left");
			total += more;
		}
		assert.is(total, dead.length);
		for (const session of live) assert.ok((await s().findSession(session.id)) !== null);
	});

	test("prune keeps a session whose expiry a rotation or a touch moved past `before`, and takes it once it dies", async () => {
		// Both start out due to expire at HOUR; each is used before then and lives on to 3 h.
		const rotated = await create({ expiresAt: at(HOUR), absoluteExpiresAt: at(10 * HOUR) });
		const touched = await create({ mode: "reuse", device: "d", expiresAt: at(HOUR), absoluteExpiresAt: at(10 * HOUR) });
		assert.is((await s().rotateToken(rotation(rotated, { now: at(30 * 60 * SECOND), idleExpiresAt: at(3 * HOUR) }))).rotated, true);
		await s().touchSession({ sessionId: touched.id, now: at(30 * 60 * SECOND), idleExpiresAt: at(3 * HOUR) });
		// Revoked after the old expiry: it comes behind both in any "oldest first" order.
		const dead = await create({ revokedAt: at(90 * 60 * SECOND) });
		// Past the old expiry, a batch of one still reaches the dead session; the live ones stay.
		assert.is(await s().prune({ before: at(2 * HOUR), limit: 1 }), 1);
		assert.is(await s().prune({ before: at(2 * HOUR), limit: 100 }), 0);
		assert.is(await s().findSession(dead.id), null);
		for (const session of [rotated, touched]) assert.is((await s().findSession(session.id))?.expiresAt?.toISOString(), at(3 * HOUR).toISOString());
		// Once the new expiry passes, both go.
		assert.is(await s().prune({ before: at(3 * HOUR), limit: 100 }), 2);
		for (const session of [rotated, touched]) assert.is(await s().findSession(session.id), null);
	});

	test("tombstone: a live rotated session survives prune, and its previous hash is still recognised", async () => {
		const session = await create();
		const first = rotation(session);
		assert.is((await s().rotateToken(first)).rotated, true);
		await create({ revokedAt: at(0) });
		assert.is(await s().prune({ before: at(30 * 60 * SECOND), limit: 100 }), 1);
		const replay = await s().rotateToken(rotation(session, { now: at(40 * 60 * SECOND) }));
		assert.is(replay.rotated, false);
		assert.is(hex(replay.session?.previousHash), hex(session.tokenHash));
		assert.is(hex(replay.session?.familyHash), hex(session.familyHash));
	});

	// ---------------------------------------------------------------- the service over this store

	test("service: concurrent exchanges of one token converge on one successor", async () => {
		const { service, events } = harness({ store: s() });
		const issued = await service.issue({ subject: subject() });
		const results = await Promise.all(Array.from({ length: 20 }, () => service.exchange(issued.refreshToken)));
		assert.is(new Set(results.map((set) => set.refreshToken)).size, 1);
		assert.is((await s().findSession(issued.sessionId))?.generation, 1);
		assert.is(events.filter((event) => event.type === "refreshed").length, 1);
		assert.is(events.filter((event) => event.type === "revoked").length, 0);
		const next = await service.exchange(results[0]?.refreshToken as string);
		assert.is(next.sessionId, issued.sessionId);
	});

	test("service: reuse is still detected after prune", async () => {
		const { service, clock } = harness({ store: s(), refresh: { idleTtl: "1h" } });
		const who = subject();
		const issued = await service.issue({ subject: who });
		const dead = await service.issue({ subject: who });
		await service.revokeSession(dead.sessionId);
		const gone = await service.issue({ subject: subject() });
		const second = await service.exchange(issued.refreshToken);
		clock.advance(1800);
		const third = await service.exchange(second.refreshToken);
		clock.advance(1800); // `gone` (never used) expires exactly now; `issued` was used 30 min ago
		assert.is(await service.prune({ retention: 0 }), 2);
		assert.ok((await s().findSession(issued.sessionId)) !== null, "the live session survived");
		await rejects(service.exchange(gone.refreshToken), "ERR_TOKEN_UNKNOWN");
		await rejects(service.exchange(issued.refreshToken), "ERR_TOKEN_REUSED");
		await rejects(service.exchange(third.refreshToken), "ERR_TOKEN_REVOKED");
		await rejects(service.exchange(second.refreshToken), "ERR_TOKEN_REVOKED");
	});

	test("service: the lifecycle end to end (grace, reuse, revoke, list, expiry)", async () => {
		const { service, clock } = harness({ store: s(), refresh: { idleTtl: "1h" } });
		const who = subject();
		const a = await service.issue({ subject: who, claims: { role: "admin" }, device: "laptop" });
		const b = await service.exchange(a.refreshToken);
		clock.advance(9);
		assert.is((await service.exchange(a.refreshToken)).refreshToken, b.refreshToken);
		assert.is((await service.verify(b.accessToken)).role, "admin");
		const c = await service.issue({ subject: who });
		const d = await service.issue({ subject: who });
		assert.equal((await service.listSessions(who)).map((session) => session.id).sort(), [a.sessionId, c.sessionId, d.sessionId].sort());
		clock.advance(1);
		await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_REUSED");
		await rejects(service.exchange(b.refreshToken), "ERR_TOKEN_REVOKED");
		await service.revoke(c.refreshToken);
		await rejects(service.exchange(c.refreshToken), "ERR_TOKEN_REVOKED");
		clock.advance(3600);
		await rejects(service.exchange(d.refreshToken), "ERR_TOKEN_EXPIRED");
		const e = await service.issue({ subject: who });
		assert.is(await service.revokeSubject(who), 1);
		await rejects(service.exchange(e.refreshToken), "ERR_TOKEN_REVOKED");
		assert.equal(await service.listSessions(who), []);
	});

	test("service: reuse mode hands back the same token through the store", async () => {
		const { service } = harness({ store: s(), refresh: { mode: "reuse" } });
		const who = subject();
		const logins = await Promise.all(Array.from({ length: 10 }, () => service.issue({ subject: who, device: "laptop" })));
		assert.is(new Set(logins.map((set) => set.refreshToken)).size, 1);
		assert.is((await service.exchange(logins[0]?.refreshToken as string)).refreshToken, logins[0]?.refreshToken);
		assert.is((await service.issue({ subject: who, device: "phone" })).refreshToken === logins[0]?.refreshToken, false);
		assert.is((await service.listSessions(who)).length, 2);
	});

	test("service: the store holds hashes only, never a token, secret or family proof", async () => {
		const { service } = harness({ store: s() });
		const a = await service.issue({ subject: subject() });
		const b = await service.exchange(a.refreshToken);
		const stored = await s().findSession(a.sessionId);
		assert.ok(stored !== null);
		const dump = JSON.stringify(plain(stored));
		for (const token of [a.refreshToken, b.refreshToken]) {
			const parts = parseRefreshToken(token);
			assert.ok(parts !== null);
			assert.not.ok(dump.includes(token.slice(4)));
			assert.not.ok(dump.includes(hex(parts.secret) as string));
			assert.not.ok(dump.includes(hex(parts.familyProof) as string));
		}
		const current = parseRefreshToken(b.refreshToken);
		const previous = parseRefreshToken(a.refreshToken);
		assert.is(hex(stored.tokenHash), hex(hashToken(current?.familyProof as Uint8Array, current?.secret as Uint8Array)));
		assert.is(hex(stored.previousHash), hex(hashToken(previous?.familyProof as Uint8Array, previous?.secret as Uint8Array)));
		assert.is(hex(stored.familyHash), hex(hashFamilyProof(current?.familyProof as Uint8Array)));
	});

	test.run();
}
