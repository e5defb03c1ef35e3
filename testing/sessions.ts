// Contract cases: the port's shape, createSession, findSession and openReusableSession.
import { TOKEN_STORE_VERBS } from "../core/port.js";
import { at, create, freshSubject, HOUR, ids, MINUTE, plain, randomBytes, record, refuses, SECOND, same } from "./fixtures.js";
import type { ContractCase } from "./types.js";

// Text a store must keep byte for byte: SQL quoting, LIKE wildcards, escapes, unicode, and
// the longest subject the service accepts (1024 characters, with the 36 of a run id).
const AWKWARD_TEXT = ["o'brien", 'a"b', "100%_match", "back\\slash", "ünïcödé 😀", "x".repeat(1024 - 36), "%", "_"];
const MAX_DEVICE_LENGTH = 256;

/** Subjects that a store comparing loosely (LIKE, case-insensitive collation) would confuse with `subject`. */
function lookalikes(subject: string): string[] {
	const out: string[] = [];
	if (/[%_]/.test(subject)) out.push(subject.replace(/%/g, "anything").replace(/_/g, "y"));
	if (subject.toUpperCase() !== subject) out.push(subject.toUpperCase());
	return out;
}

export function sessionCases(options: { races: number }): ContractCase[] {
	const openers = Math.min(options.races, 50);
	return [
		{
			name: "port: every verb of TokenStore is a function",
			async run({ store }) {
				const missing = TOKEN_STORE_VERBS.filter((verb) => typeof store[verb] !== "function");
				same(missing, [], "a TokenStore implements every verb of the port");
			},
		},
		{
			name: "guarantees: declares atomicRotation === true",
			async run({ store }) {
				same(store.guarantees?.atomicRotation, true, "the store declares guarantees.atomicRotation === true (the service refuses a store without it)");
			},
		},
		{
			name: "createSession + findSession: every field round-trips unchanged",
			async run({ store }) {
				const full = record({
					device: "laptop — Firefox ✓",
					claims: { role: "admin", tenant: { id: 7, tags: ["a", "b"] }, flag: true, none: null },
					mode: "reuse",
					previousHash: randomBytes(32),
					sealedSuccessor: randomBytes(48),
					rotatedAt: at(5 * SECOND),
					generation: 3,
					lastUsedAt: at(5 * SECOND),
					createdAt: at(-123),
				});
				await store.createSession(full);
				same(plain(await store.findSession(full.id)), plain(full), "findSession returns every field createSession stored, unchanged (times to the millisecond)");
				const sparse = record({ expiresAt: null, absoluteExpiresAt: null });
				await store.createSession(sparse);
				same(plain(await store.findSession(sparse.id)), plain(sparse), "null expiries, device, claims and hashes round-trip as null");
			},
		},
		{
			name: "findSession: an unknown id is null",
			async run({ store }) {
				await create(store);
				same(await store.findSession(crypto.randomUUID()), null, "findSession of an id never stored returns null (not undefined, not a throw)");
			},
		},
		{
			name: "createSession: a duplicate id is refused and the original kept",
			async run({ store }) {
				const original = await create(store);
				await refuses(store.createSession(record({ id: original.id })), "createSession with an id that already exists must reject");
				same(plain(await store.findSession(original.id)), plain(original), "a refused duplicate leaves the original session unchanged");
			},
		},
		{
			name: "subjects and devices are opaque text: quotes, wildcards, unicode and long values round-trip",
			async run({ store }) {
				// The run id keeps these subjects apart from other runs on a shared store.
				const run = crypto.randomUUID();
				for (const text of AWKWARD_TEXT) {
					const subject = `${text}${run}`;
					const session = await create(store, { subject, device: text.slice(0, MAX_DEVICE_LENGTH) });
					for (const lookalike of lookalikes(subject)) await create(store, { subject: lookalike });
					const shown = JSON.stringify(text.slice(0, 20));
					same(plain(await store.findSession(session.id)), plain(session), `subject and device ${shown} round-trip unchanged`);
					same(ids(await store.listSessions(subject, at(0), 1000)), [session.id], `listSessions matches the subject ${shown} exactly (case-sensitive, no wildcards)`);
				}
			},
		},
		{
			name: "openReusableSession: stores and returns the candidate when no live session exists",
			async run({ store }) {
				const candidate = record({ mode: "reuse", device: "laptop" });
				same(plain(await store.openReusableSession(candidate)), plain(candidate), "with no live reuse session for subject+device, openReusableSession returns the candidate");
				same(plain(await store.findSession(candidate.id)), plain(candidate), "and stores it");
			},
		},
		{
			name: "openReusableSession: returns the live reuse session of subject+device and does not store the candidate",
			async run({ store }) {
				const existing = await create(store, { mode: "reuse", device: "laptop" });
				const candidate = record({ mode: "reuse", device: "laptop", subject: existing.subject, createdAt: at(MINUTE), lastUsedAt: at(MINUTE) });
				same(plain(await store.openReusableSession(candidate)), plain(existing), "openReusableSession returns the existing live session of the same subject and device");
				same(await store.findSession(candidate.id), null, "the candidate is not stored when a live session was returned");
			},
		},
		{
			name: "openReusableSession: a null device matches only a null device; another device or subject does not match",
			async run({ store }) {
				const noDevice = await create(store, { mode: "reuse", device: null });
				const alsoNull = record({ mode: "reuse", device: null, subject: noDevice.subject });
				same((await store.openReusableSession(alsoNull)).id, noDevice.id, "a null device matches the live session with a null device");
				const phone = record({ mode: "reuse", device: "phone", subject: noDevice.subject });
				same((await store.openReusableSession(phone)).id, phone.id, "another device of the same subject opens its own session");
				const stranger = record({ mode: "reuse", device: null });
				same((await store.openReusableSession(stranger)).id, stranger.id, "another subject with the same (null) device opens its own session");
				const laptop = record({ mode: "reuse", device: "laptop", subject: noDevice.subject });
				same((await store.openReusableSession(laptop)).id, laptop.id, "a device does not match a session with a null device");
			},
		},
		{
			name: "openReusableSession: skips revoked, expired and rotate-mode sessions (expiry boundary exact)",
			async run({ store }) {
				const subject = freshSubject();
				const later = at(HOUR);
				await create(store, { subject, mode: "reuse", device: "d", revokedAt: at(0) });
				await create(store, { subject, mode: "reuse", device: "d", expiresAt: later });
				await create(store, { subject, mode: "rotate", device: "d", expiresAt: at(2 * HOUR) });
				const candidate = record({ subject, mode: "reuse", device: "d", createdAt: later, lastUsedAt: later, expiresAt: at(3 * HOUR), absoluteExpiresAt: at(4 * HOUR) });
				same((await store.openReusableSession(candidate)).id, candidate.id, "a revoked session, a session whose expiresAt equals the candidate's createdAt, and a rotate-mode session are not reused");

				const other = freshSubject();
				const alive = await create(store, { subject: other, mode: "reuse", device: "d", expiresAt: at(HOUR + 1) });
				same(
					(await store.openReusableSession(record({ subject: other, mode: "reuse", device: "d", createdAt: later, lastUsedAt: later }))).id,
					alive.id,
					"a session expiring 1 ms after the candidate's createdAt is still live and reused",
				);
				const forever = freshSubject();
				const immortal = await create(store, { subject: forever, mode: "reuse", device: "d", expiresAt: null, absoluteExpiresAt: null });
				same((await store.openReusableSession(record({ subject: forever, mode: "reuse", device: "d", createdAt: at(1000 * HOUR) }))).id, immortal.id, "a session with expiresAt null never expires");
			},
		},
		{
			name: `openReusableSession race: ${openers} parallel calls for one subject+device open one session`,
			async run({ store }) {
				const subject = freshSubject();
				const candidates = Array.from({ length: openers }, () => record({ subject, mode: "reuse", device: "laptop" }));
				const opened = await Promise.all(candidates.map((candidate) => store.openReusableSession(candidate)));
				same(new Set(ids(opened)).size, 1, "concurrent openReusableSession calls for one subject+device all return the same session");
				same(ids(await store.listSessions(subject, at(0), 1000)), [opened[0]?.id], "and exactly one session was stored");
			},
		},
	];
}
