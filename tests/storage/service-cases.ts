// What every store's test file runs against its store: the store contract as shipped
// (refresh-kit/testing, imported from its source) and the service over the store, the cases
// that go through createTokenService (moved here from the old tests/storage/contract.ts when the
// contract became refresh-kit/testing, which talks to the port only). Not a suite itself (the
// runner only picks up *.test.ts).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { TokenStore } from "../../core/port.js";
import { formatRefreshToken, hashFamilyProof, parseRefreshToken, type RefreshTokenParts } from "../../core/refresh-token.js";
import { plain } from "../../testing/fixtures.js";
import { testTokenStore } from "../../testing/index.js";
import { harness, hex, rejects, storedHash } from "../helpers.js";

/** How the cases get a store: opened once (lazily), emptied before every case. */
export interface ServiceStore {
	store: TokenStore;
	reset(): void | Promise<void>;
}

/**
 * Registers and runs the suite `storage contract: ${label}` (each contract case a uvu test, the
 * store emptied before each) and then {@link serviceCases}.
 */
export function storeSuites(label: string, open: () => ServiceStore | Promise<ServiceStore>): void {
	const contract = suite(`storage contract: ${label}`);
	testTokenStore(label, open, { test: contract });
	contract.run();
	serviceCases(label, open);
}

function subject(): string {
	return `subject-${crypto.randomUUID()}`;
}

/** Registers and runs the suite `${label}: the service over the store`. */
export function serviceCases(label: string, open: () => ServiceStore | Promise<ServiceStore>): void {
	const test = suite(`${label}: the service over the store`);
	let opened: ServiceStore | null = null;

	// Opened in the first before.each, not in before(): uvu swallows errors thrown by before().
	test.before.each(async () => {
		opened ??= await open();
		await opened.reset();
	});

	function s(): TokenStore {
		assert.ok(opened !== null, "the store did not open");
		return opened.store;
	}

	test("concurrent exchanges of one token converge on one successor", async () => {
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

	test("reuse is still detected after prune", async () => {
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

	test("the lifecycle end to end (grace, reuse, revoke, list, expiry)", async () => {
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

	test("reuse mode hands back the same token through the store", async () => {
		const { service } = harness({ store: s(), refresh: { mode: "reuse" } });
		const who = subject();
		const logins = await Promise.all(Array.from({ length: 10 }, () => service.issue({ subject: who, device: "laptop" })));
		assert.is(new Set(logins.map((set) => set.refreshToken)).size, 1);
		assert.is((await service.exchange(logins[0]?.refreshToken as string)).refreshToken, logins[0]?.refreshToken);
		assert.is((await service.issue({ subject: who, device: "phone" })).refreshToken === logins[0]?.refreshToken, false);
		assert.is((await service.listSessions(who)).length, 2);
	});

	test("the store holds hashes only, never a token, secret or family proof", async () => {
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
		assert.is(hex(stored.tokenHash), hex(storedHash(formatRefreshToken(current as RefreshTokenParts))));
		assert.is(hex(stored.previousHash), hex(storedHash(formatRefreshToken(previous as RefreshTokenParts))));
		assert.is(hex(stored.familyHash), hex(hashFamilyProof(current?.familyProof as Uint8Array)));
	});

	test("a subject's own sessions: revokeSession(id, { subject }) and revokeSubject(subject, { except }) racing each other", async () => {
		const { service, events } = harness({ store: s() });
		const who = subject();
		const here = await service.issue({ subject: who, device: "here" });
		const others = await Promise.all(Array.from({ length: 12 }, () => service.issue({ subject: who })));
		const strangerSubject = subject();
		const stranger = await service.issue({ subject: strangerSubject });
		// Three "sign out everywhere else" at once, and each other session also ended by id, and a
		// stranger trying to end the kept one: every session is revoked (and reported) exactly once.
		const results = await Promise.all([
			...Array.from({ length: 3 }, () => service.revokeSubject(who, { except: here.sessionId })),
			...others.map((set) => service.revokeSession(set.sessionId, { subject: who })),
			service.revokeSession(here.sessionId, { subject: strangerSubject }),
		]);
		const counted = results.slice(0, 3).reduce<number>((sum, count) => sum + Number(count), 0);
		const byId = results.slice(3, 3 + others.length).filter((revoked) => revoked === true).length;
		assert.is(counted + byId, others.length, "each other session revoked by exactly one call");
		assert.is(results.at(-1), false, "a stranger cannot end the kept session");
		const revoked = events.filter((event) => event.type === "revoked").map((event) => event.sessionId);
		assert.equal([...revoked].sort(), others.map((set) => set.sessionId).sort(), "one revoked event per session");
		assert.equal(
			(await service.listSessions(who)).map((session) => session.id),
			[here.sessionId],
		);
		await service.exchange(here.refreshToken);
		await service.exchange(stranger.refreshToken);
	});

	test.run();
}
