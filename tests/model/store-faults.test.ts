// Invariant 3: a store call that fails before it commits changes nothing (the presented token
// still works); one that commits but whose answer is lost is healed by the client's retry
// inside the grace window (the identical successor, not a reuse verdict). Every case runs on the
// memory store and on the Drizzle store (PGlite) with and without rotation batching.

import { sql } from "drizzle-orm";
import fc from "fast-check";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { SessionRecord, TokenStore } from "../../core/port.js";
import { hashToken, parseRefreshToken, type RefreshTokenParts } from "../../core/refresh-token.js";
import { type DrizzleStoreOptions, drizzleStore, type OpenedStore, openStore } from "../../storage/drizzle/index.js";
import { memoryStore } from "../../storage/memory/index.js";
import { harness, hex, rejects, TEST_REFRESH_KEYS } from "../helpers.js";

function tokenHashOf(token: string): Uint8Array {
	const parts = parseRefreshToken(token) as RefreshTokenParts;
	return hashToken(TEST_REFRESH_KEYS.current, parts.familyProof, parts.secret);
}

type Fault = "none" | "before" | "after" | "slow-commit";
type Method = Exclude<keyof TokenStore, "guarantees">;

/** A store the cases run on, fresh or emptied for each case; `runs` is the property's run count. */
interface StoreKind {
	label: string;
	open(): Promise<TokenStore>;
	runs: number;
}

const STORES: readonly StoreKind[] = [
	{ label: "memory", open: async () => memoryStore(), runs: 150 },
	{ label: "Drizzle on PGlite, batched", open: () => emptied({ batch: { maxInFlight: 1 } }), runs: 40 },
	{ label: "Drizzle on PGlite, one statement per rotation", open: () => emptied({ batch: false }), runs: 40 },
];

// One PGlite for the file (a boot costs seconds), emptied for every case.
let opened: Promise<OpenedStore> | null = null;
async function emptied(options: DrizzleStoreOptions): Promise<TokenStore> {
	opened ??= openStore("pglite://memory");
	const { db } = await opened;
	await db.execute(sql`truncate refresh_kit_sessions`);
	return drizzleStore(db, options);
}

/** Registers `run` once per store kind. */
function eachStore(name: string, run: (kind: StoreKind) => Promise<void>): void {
	for (const kind of STORES) faults(`${name} (${kind.label})`, () => run(kind));
}

/** A store of `kind` whose next call of `method` fails the way `fault` says. */
async function faultyStore(kind: StoreKind): Promise<{ store: TokenStore; arm(method: Method, fault: Fault): void; pending: Promise<unknown>[] }> {
	const inner = await kind.open();
	const armed = new Map<Method, Fault>();
	const pending: Promise<unknown>[] = [];
	const store = { guarantees: inner.guarantees } as TokenStore;
	for (const name of Object.keys(inner) as (keyof TokenStore)[]) {
		if (name === "guarantees") continue;
		const method = inner[name] as (...args: unknown[]) => Promise<unknown>;
		(store as unknown as Record<string, unknown>)[name] = async function faulty(...args: unknown[]): Promise<unknown> {
			const fault = armed.get(name) ?? "none";
			armed.delete(name);
			if (fault === "before") throw new Error(`${name}: connection reset before the statement ran`);
			if (fault === "slow-commit") {
				// Commits after the service has already given up (storeTimeout), like a lost reply.
				const late = new Promise((resolve) => setTimeout(resolve, 60)).then(() => method(...args));
				pending.push(late);
				return late;
			}
			const result = await method(...args);
			if (fault === "after") throw new Error(`${name}: connection reset after commit`);
			return result;
		};
	}
	return { store, arm: (method, fault) => armed.set(method, fault), pending };
}

function plain(session: SessionRecord | null): unknown {
	return JSON.stringify(session, (_key, value: unknown) => (value instanceof Uint8Array ? hex(value) : value));
}

const faults = suite("store faults (invariant 3)");

eachStore("rotateToken fails before committing: ERR_STORE_UNAVAILABLE, nothing changed, the token still works", async (kind) => {
	const { store, arm } = await faultyStore(kind);
	const { service, events } = harness({ store });
	const a = await service.issue({ subject: "alice" });
	const before = plain(await store.findSession(a.sessionId));
	arm("rotateToken", "before");
	await rejects(service.exchange(a.refreshToken), "ERR_STORE_UNAVAILABLE");
	assert.is(plain(await store.findSession(a.sessionId)), before);
	assert.equal(
		events.map((event) => event.type),
		["issued"],
	);
	const b = await service.exchange(a.refreshToken);
	assert.is((await store.findSession(a.sessionId))?.generation, 1);
	assert.is((await service.verify(b.accessToken)).sid, a.sessionId);
});

eachStore("rotateToken commits but the answer is lost: a retry inside grace gets the identical successor", async (kind) => {
	const { store, arm } = await faultyStore(kind);
	const { service, clock, events } = harness({ store });
	const a = await service.issue({ subject: "alice" });
	arm("rotateToken", "after");
	await rejects(service.exchange(a.refreshToken), "ERR_STORE_UNAVAILABLE");
	const committed = await store.findSession(a.sessionId);
	assert.is(committed?.generation, 1, "the rotation did commit");
	clock.advance(9); // grace - 1
	const retry = await service.exchange(a.refreshToken);
	const again = await service.exchange(a.refreshToken);
	assert.is(again.refreshToken, retry.refreshToken);
	assert.is(hex(tokenHashOf(retry.refreshToken)), hex(committed?.tokenHash), "the retry got the successor the lost call created");
	assert.is((await store.findSession(a.sessionId))?.generation, 1, "the retry did not rotate again");
	assert.ok(!events.some((event) => event.type === "reuse-detected" || event.type === "revoked"));
	const next = await service.exchange(retry.refreshToken);
	assert.is((await store.findSession(a.sessionId))?.generation, 2);
	assert.is(next.sessionId, a.sessionId);
});

eachStore("a lost answer retried only after the grace window is reuse (the documented limit)", async (kind) => {
	const { store, arm } = await faultyStore(kind);
	const { service, clock } = harness({ store });
	const a = await service.issue({ subject: "alice" });
	arm("rotateToken", "after");
	await rejects(service.exchange(a.refreshToken), "ERR_STORE_UNAVAILABLE");
	clock.advance(10);
	await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_REUSED");
});

eachStore("a store slower than storeTimeout that commits late: ERR_STORE_UNAVAILABLE, then the retry converges", async (kind) => {
	const { store, arm, pending } = await faultyStore(kind);
	const { service, clock } = harness({ store, storeTimeout: "20ms" });
	const a = await service.issue({ subject: "alice" });
	arm("rotateToken", "slow-commit");
	await rejects(service.exchange(a.refreshToken), "ERR_STORE_UNAVAILABLE");
	await Promise.all(pending);
	clock.advance(3);
	const retry = await service.exchange(a.refreshToken);
	assert.is((await service.exchange(a.refreshToken)).refreshToken, retry.refreshToken);
	assert.is((await store.findSession(a.sessionId))?.generation, 1);
});

eachStore("createSession fails: ERR_STORE_UNAVAILABLE and no session exists", async (kind) => {
	const { store, arm } = await faultyStore(kind);
	const { service, events } = harness({ store });
	arm("createSession", "before");
	await rejects(service.issue({ subject: "alice" }), "ERR_STORE_UNAVAILABLE");
	assert.equal(await service.listSessions("alice"), []);
	assert.equal(events, []);
});

eachStore("revokeSession fails during a reuse response: ERR_STORE_UNAVAILABLE; the next replay revokes", async (kind) => {
	const { store, arm } = await faultyStore(kind);
	const { service, clock } = harness({ store });
	const a = await service.issue({ subject: "alice" });
	const b = await service.exchange(a.refreshToken);
	clock.advance(10);
	arm("revokeSession", "before");
	await rejects(service.exchange(a.refreshToken), "ERR_STORE_UNAVAILABLE");
	assert.is((await store.findSession(a.sessionId))?.revokedAt, null);
	await rejects(service.exchange(a.refreshToken), "ERR_TOKEN_REUSED");
	await rejects(service.exchange(b.refreshToken), "ERR_TOKEN_REVOKED");
});

eachStore("property: a client that retries failed exchanges inside the grace window never loses its session", async (kind) => {
	await fc.assert(
		fc.asyncProperty(
			fc.array(fc.record({ fault: fc.constantFrom<Fault>("none", "before", "after"), wait: fc.integer({ min: 0, max: 9 }), retryAfter: fc.integer({ min: 0, max: 9 }) }), { minLength: 1, maxLength: 15 }),
			async (steps) => {
				const { store, arm } = await faultyStore(kind);
				const { service, clock, events } = harness({ store, refresh: { idleTtl: "1h" } });
				let token = (await service.issue({ subject: "alice" })).refreshToken;
				const sessionId = parseRefreshToken(token)?.sessionId as string;
				let generation = 0;
				for (const step of steps) {
					clock.advance(step.wait);
					const before = plain(await store.findSession(sessionId));
					arm("rotateToken", step.fault);
					if (step.fault === "none") {
						token = (await service.exchange(token)).refreshToken;
						generation++;
						continue;
					}
					await rejects(service.exchange(token), "ERR_STORE_UNAVAILABLE");
					const after = await store.findSession(sessionId);
					if (step.fault === "before") assert.is(plain(after), before, "a failed call changed the store");
					else assert.is(after?.generation, generation + 1, "the lost call committed");
					clock.advance(step.retryAfter);
					const retry = await service.exchange(token);
					generation++;
					assert.is((await store.findSession(sessionId))?.generation, generation, "exactly one rotation per logical exchange");
					assert.is(hex(tokenHashOf(retry.refreshToken)), hex((await store.findSession(sessionId))?.tokenHash));
					token = retry.refreshToken;
				}
				assert.ok(!events.some((event) => event.type === "reuse-detected"));
				assert.is((await service.exchange(token)).sessionId, sessionId);
			},
		),
		{ numRuns: kind.runs },
	);
});

faults.after(async () => void (await opened?.then((store) => store.close())));
faults.run();
