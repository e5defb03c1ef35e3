// Property-based model test: random command sequences run against the real service on the
// memory store and against a plain reference model of what must be live. After every step
// the invariants of docs/architecture.md ("Invariants") that apply are checked:
//   1 at most one live token per session (the store's one tokenHash is the model's current token)
//   2 concurrent exchanges in grace all get the identical successor; outside grace exactly the
//     configured revocation happens, once (counted with 'revoked' events)
//   4 only hashes / sealed values reach the store (every argument of every store call and every
//     stored record is checked for secret, family-proof and token bytes)
//   5 the absolute lifetime is never exceeded (refresh expiry and access-token exp)
//   6 time only from the injected clock (the model's times are the manual clock's)
//   8 reuse detection survives prune (prune is a command; replays after it must still be reuse)
// and every returned error code equals the model's prediction.
//
// MODEL_RUNS (default 1000) sets the number of sequences; MODEL_SEED replays one.
import fc from "fast-check";
import { decodeJwt } from "jose";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { TokenErrorCode, TokenEvent, TokenEventType, TokenSet } from "../../core/index.js";
import type { TokenStore } from "../../core/port.js";
import { hashFamilyProof, hashToken, parseRefreshToken, type RefreshTokenParts, unsealSuccessor } from "../../core/refresh-token.js";
import { memoryStore } from "../../storage/memory/index.js";
import { harness, hex, TEST_REFRESH_KEYS } from "../helpers.js";
import { assertListed, assertVerify, settled, sooner, spyStore, TOLERANCE } from "./support.js";

type OnReuse = "revoke-session" | "revoke-subject" | "report-only";

/** Which of a session's tokens to present: its current one, the one before, or any by index. */
type Pick = "current" | "previous" | number;

interface Config {
	accessTtl: number;
	idleTtl: number | null;
	absoluteTtl: number | null;
	grace: number;
	onReuse: OnReuse;
}

type Op =
	| { kind: "issue"; subject: number }
	| { kind: "exchange"; session: number }
	| { kind: "replay"; session: number; pick: Pick }
	| { kind: "concurrent"; session: number; pick: Pick; copies: number }
	| { kind: "revoke"; session: number; pick: number }
	| { kind: "revokeSession"; session: number }
	| { kind: "revokeSubject"; subject: number }
	| { kind: "advance"; seconds: number }
	| { kind: "prune" }
	| { kind: "list"; subject: number }
	| { kind: "verify"; session: number };

interface ModelSession {
	id: string;
	subject: string;
	createdAt: number;
	absoluteExpiresAt: number | null;
	expiresAt: number | null;
	revokedAt: number | null;
	pruned: boolean;
	current: string;
	previous: string | null;
	rotatedAt: number | null;
	generation: number;
	/** Every refresh token handed out for this session, oldest first. */
	tokens: string[];
	lastAccess: { token: string; exp: number } | null;
}

/** What a token's bytes look like, computed once per token. */
interface Material {
	secretHex: string;
	familyHex: string;
	secretHashHex: string;
	familyHashHex: string;
	secret: Uint8Array;
	parts: RefreshTokenParts;
	body: string;
}

type Outcome = { ok: "rotate" } | { ok: "grace" } | { error: TokenErrorCode; reuse?: true; expired?: true };

const SUBJECTS = ["s0", "s1", "s2"];
const EVENT_TYPES: TokenEventType[] = ["issued", "refreshed", "grace-replayed", "reuse-detected", "revoked", "expired"];
const EVENT_KEYS = new Set(["type", "subject", "sessionId", "at", "reused", "reason", "action", "generation"]);

const configArb: fc.Arbitrary<Config> = fc.record({
	accessTtl: fc.constantFrom(30, 60),
	// Both orders: idle below absolute (the usual setup) and above it (absolute caps even the
	// first token at issue time), and null for either.
	idleTtl: fc.constantFrom<number | null>(40, 90, 250, null),
	absoluteTtl: fc.constantFrom<number | null>(60, 100, 200, null),
	grace: fc.constantFrom(0, 3, 10),
	onReuse: fc.constantFrom<OnReuse>("revoke-session", "revoke-subject", "report-only"),
});

function boundaries(config: Config): number[] {
	const values = [1, config.grace - 1, config.grace, config.grace + 1, config.accessTtl + TOLERANCE - 1, config.accessTtl + TOLERANCE];
	if (config.idleTtl !== null) values.push(config.idleTtl - 1, config.idleTtl, config.idleTtl + 1);
	if (config.absoluteTtl !== null) values.push(config.absoluteTtl - 1, config.absoluteTtl, Math.floor(config.absoluteTtl / 2));
	return [...new Set(values.filter((value) => value >= 0))];
}

function opArb(config: Config): fc.Arbitrary<Op> {
	const index = fc.nat({ max: 64 });
	const pick: fc.Arbitrary<Pick> = fc.oneof(fc.constant<Pick>("current"), fc.constant<Pick>("previous"), index);
	const subject = fc.nat({ max: SUBJECTS.length - 1 });
	return fc.oneof(
		{ weight: 3, arbitrary: fc.record({ kind: fc.constant("issue" as const), subject }) },
		{ weight: 5, arbitrary: fc.record({ kind: fc.constant("exchange" as const), session: index }) },
		{ weight: 3, arbitrary: fc.record({ kind: fc.constant("replay" as const), session: index, pick }) },
		{
			weight: 3,
			arbitrary: fc.record({ kind: fc.constant("concurrent" as const), session: index, pick, copies: fc.integer({ min: 2, max: 5 }) }),
		},
		{ weight: 1, arbitrary: fc.record({ kind: fc.constant("revoke" as const), session: index, pick: index }) },
		{ weight: 1, arbitrary: fc.record({ kind: fc.constant("revokeSession" as const), session: index }) },
		{ weight: 1, arbitrary: fc.record({ kind: fc.constant("revokeSubject" as const), subject }) },
		{
			weight: 5,
			arbitrary: fc.record({
				kind: fc.constant("advance" as const),
				seconds: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...boundaries(config)) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 400 }) }),
			}),
		},
		{ weight: 1, arbitrary: fc.record({ kind: fc.constant("prune" as const) }) },
		{ weight: 1, arbitrary: fc.record({ kind: fc.constant("list" as const), subject }) },
		{ weight: 1, arbitrary: fc.record({ kind: fc.constant("verify" as const), session: index }) },
	);
}

const MAX_STEPS = Number(process.env.MODEL_STEPS ?? 40);
/** MODEL_STATS=1 prints how often each outcome was exercised (to keep the generator honest). */
const stats = new Map<string, number>();
function tally(label: string): void {
	if (process.env.MODEL_STATS !== undefined) stats.set(label, (stats.get(label) ?? 0) + 1);
}
const scenarioArb = configArb.chain((config) => fc.tuple(fc.constant(config), fc.array(opArb(config), { minLength: 1, maxLength: MAX_STEPS, size: "max" })));

function describe(step: number, op: Op): string {
	return `step ${step} ${JSON.stringify(op)}`;
}

async function runScenario(config: Config, ops: Op[]): Promise<void> {
	const sink = { bytes: [] as string[], strings: [] as string[] };
	const store = spyStore(memoryStore(), sink);
	const { service, clock, events } = harness({
		store,
		accessTokenTtl: config.accessTtl,
		refresh: { idleTtl: config.idleTtl, absoluteTtl: config.absoluteTtl, reuseGrace: config.grace, onReuse: config.onReuse },
	});
	const sessions: ModelSession[] = [];
	const materials = new Map<string, Material>();
	const forbiddenBytes = new Set<string>();
	const forbiddenStrings: string[] = [];

	function material(token: string): Material {
		let found = materials.get(token);
		if (found === undefined) {
			const parts = parseRefreshToken(token);
			assert.ok(parts !== null, "the service handed out a token it cannot parse");
			found = {
				secretHex: hex(parts.secret) as string,
				familyHex: hex(parts.familyProof) as string,
				secretHashHex: hex(hashToken(TEST_REFRESH_KEYS.current, parts.familyProof, parts.secret)) as string,
				familyHashHex: hex(hashFamilyProof(parts.familyProof)) as string,
				secret: parts.secret,
				parts,
				body: token.slice(4),
			};
			materials.set(token, found);
			forbiddenBytes.add(found.secretHex);
			forbiddenBytes.add(found.familyHex);
			forbiddenStrings.push(token, found.body);
		}
		return found;
	}

	function now(): number {
		return clock.now().getTime();
	}

	function live(session: ModelSession, at: number): boolean {
		return !session.pruned && session.revokedAt === null && (session.expiresAt === null || session.expiresAt > at);
	}

	function pickSession(index: number): ModelSession | null {
		return sessions.length === 0 ? null : (sessions[index % sessions.length] as ModelSession);
	}

	function classify(session: ModelSession, token: string, at: number): Outcome {
		if (session.pruned) return { error: "ERR_TOKEN_UNKNOWN" };
		if (session.revokedAt !== null) return { error: "ERR_TOKEN_REVOKED" };
		if (session.expiresAt !== null && session.expiresAt <= at) return { error: "ERR_TOKEN_EXPIRED", expired: true };
		if (token === session.current) return { ok: "rotate" };
		if (token === session.previous && session.rotatedAt !== null && at - session.rotatedAt < config.grace * 1000) return { ok: "grace" };
		return { error: "ERR_TOKEN_REUSED", reuse: true };
	}

	/** The configured response to reuse. Returns how many sessions it revoked. */
	function applyReuse(session: ModelSession, at: number): number {
		if (config.onReuse === "revoke-session") {
			if (session.revokedAt !== null) return 0;
			session.revokedAt = at;
			return 1;
		}
		if (config.onReuse === "revoke-subject") {
			let count = 0;
			for (const other of sessions) {
				if (other.subject === session.subject && live(other, at)) {
					other.revokedAt = at;
					count++;
				}
			}
			return count;
		}
		return 0;
	}

	function checkTokenSet(set: TokenSet, session: ModelSession, at: number, where: string): void {
		assert.is(set.sessionId, session.id, `${where}: sessionId`);
		assert.is(set.tokenType, "Bearer");
		assert.is(set.refreshTokenExpiresAt?.getTime() ?? null, session.expiresAt, `${where}: refreshTokenExpiresAt`);
		const claims = decodeJwt(set.accessToken);
		const iat = Math.floor(at / 1000);
		assert.is(claims.iat, iat, `${where}: iat from the injected clock`);
		const cap = session.expiresAt === null ? Number.POSITIVE_INFINITY : Math.ceil(session.expiresAt / 1000);
		const exp = Math.max(iat + 1, Math.min(iat + config.accessTtl, cap));
		assert.is(claims.exp, exp, `${where}: access exp`);
		assert.is(set.expiresIn, exp - iat, `${where}: expiresIn`);
		if (session.absoluteExpiresAt !== null) {
			assert.ok((claims.exp as number) * 1000 <= session.absoluteExpiresAt, `${where}: access token outlives the absolute lifetime`);
			assert.ok((set.refreshTokenExpiresAt?.getTime() ?? Number.POSITIVE_INFINITY) <= session.absoluteExpiresAt, `${where}: refresh token outlives the absolute lifetime`);
		}
		assert.is(claims.sid, session.id);
		assert.is(claims.sub, session.subject);
		session.lastAccess = { token: set.accessToken, exp: claims.exp as number };
	}

	function acceptRotation(session: ModelSession, set: TokenSet, at: number, where: string): void {
		const next = material(set.refreshToken);
		assert.is(next.familyHex, material(session.current).familyHex, `${where}: the successor keeps the family`);
		assert.not.ok(session.tokens.includes(set.refreshToken), `${where}: a rotation returned an old token`);
		session.previous = session.current;
		session.current = set.refreshToken;
		session.tokens.push(set.refreshToken);
		session.rotatedAt = at;
		session.generation++;
		session.expiresAt = sooner(config.idleTtl === null ? null : at + config.idleTtl * 1000, session.absoluteExpiresAt);
	}

	async function checkInvariants(where: string, stepEvents: TokenEvent[], expected: Record<TokenEventType, number>): Promise<void> {
		const counts = Object.fromEntries(EVENT_TYPES.map((type) => [type, 0])) as Record<TokenEventType, number>;
		for (const event of stepEvents) {
			counts[event.type]++;
			for (const key of Object.keys(event)) assert.ok(EVENT_KEYS.has(key), `${where}: unexpected event field ${key}`);
			assert.is(event.at.getTime(), now(), `${where}: event time from the injected clock`);
		}
		assert.equal(counts, expected, `${where}: events (revocation exactly once)`);

		// Invariant 4: nothing secret in any store argument of this step.
		for (const bytes of sink.bytes) assert.not.ok(forbiddenBytes.has(bytes), `${where}: a secret or family proof was passed to the store`);
		for (const text of sink.strings) for (const token of forbiddenStrings) assert.not.ok(text.includes(token), `${where}: a token was passed to the store`);
		sink.bytes.length = 0;
		sink.strings.length = 0;

		for (const session of sessions) {
			const record = await memoryRead(session.id);
			if (session.pruned) {
				assert.is(record, null, `${where}: a pruned session is still stored`);
				continue;
			}
			assert.ok(record !== null, `${where}: session ${session.id} vanished`);
			const current = material(session.current);
			// Invariant 1: the one stored hash is the model's current token, no other token of the session.
			assert.is(hex(record.tokenHash), current.secretHashHex, `${where}: stored hash is not the current token`);
			for (const token of session.tokens) {
				if (token !== session.current) assert.is.not(material(token).secretHashHex, hex(record.tokenHash), `${where}: an old token is live`);
			}
			assert.is(hex(record.previousHash), session.previous === null ? null : material(session.previous).secretHashHex, `${where}: previousHash`);
			assert.is(hex(record.familyHash), current.familyHashHex, `${where}: familyHash`);
			assert.is(record.generation, session.generation, `${where}: generation`);
			assert.is(record.revokedAt?.getTime() ?? null, session.revokedAt, `${where}: revokedAt`);
			assert.is(record.expiresAt?.getTime() ?? null, session.expiresAt, `${where}: expiresAt`);
			assert.is(record.createdAt.getTime(), session.createdAt, `${where}: createdAt`);
			// Invariant 5.
			assert.is(record.absoluteExpiresAt?.getTime() ?? null, session.absoluteExpiresAt, `${where}: absoluteExpiresAt moved`);
			if (record.absoluteExpiresAt !== null) assert.ok(record.expiresAt !== null && record.expiresAt <= record.absoluteExpiresAt, `${where}: expiry past the absolute cap`);
			// Invariant 4: the record holds no secret, family proof or token, and the seal opens only with the previous token.
			const dump = [hex(record.tokenHash), hex(record.previousHash), hex(record.familyHash), hex(record.sealedSuccessor), record.subject, record.device, JSON.stringify(record.claims)].join("|");
			for (const token of session.tokens) {
				const m = material(token);
				assert.not.ok(dump.includes(m.secretHex) || dump.includes(m.familyHex) || dump.includes(m.body), `${where}: token material at rest`);
			}
			if (session.previous !== null) {
				assert.ok(record.sealedSuccessor !== null);
				assert.is(hex(unsealSuccessor(TEST_REFRESH_KEYS, record.sealedSuccessor, material(session.previous).parts, record.tokenHash)?.secret), current.secretHex, `${where}: the seal does not open to the successor`);
			}
		}
	}

	const inner = store;
	async function memoryRead(id: string): ReturnType<TokenStore["findSession"]> {
		const found = await inner.findSession(id);
		sink.bytes.length = 0; // reads by the checker are not the service's store traffic
		sink.strings.length = 0;
		return found;
	}

	for (const [step, op] of ops.entries()) {
		const where = describe(step, op);
		const at = now();
		const eventsBefore = events.length;
		const expected = Object.fromEntries(EVENT_TYPES.map((type) => [type, 0])) as Record<TokenEventType, number>;

		switch (op.kind) {
			case "issue": {
				const subject = SUBJECTS[op.subject] as string;
				const set = await service.issue({ subject, claims: { n: step } });
				const absoluteExpiresAt = config.absoluteTtl === null ? null : at + config.absoluteTtl * 1000;
				const session: ModelSession = {
					id: set.sessionId,
					subject,
					createdAt: at,
					absoluteExpiresAt,
					expiresAt: sooner(config.idleTtl === null ? null : at + config.idleTtl * 1000, absoluteExpiresAt),
					revokedAt: null,
					pruned: false,
					current: set.refreshToken,
					previous: null,
					rotatedAt: null,
					generation: 0,
					tokens: [set.refreshToken],
					lastAccess: null,
				};
				assert.not.ok(
					sessions.some((other) => other.id === session.id),
					`${where}: duplicate session id`,
				);
				sessions.push(session);
				material(set.refreshToken);
				checkTokenSet(set, session, at, where);
				expected.issued++;
				break;
			}
			case "exchange":
			case "replay":
			case "concurrent": {
				const session = pickSession(op.session);
				if (session === null) break;
				const pick: Pick = op.kind === "exchange" ? "current" : op.pick;
				const token = pick === "current" ? session.current : pick === "previous" ? (session.previous ?? session.current) : (session.tokens[pick % session.tokens.length] as string);
				const copies = op.kind === "concurrent" ? op.copies : 1;
				const outcome = classify(session, token, at);
				tally(`${op.kind}:${"ok" in outcome ? outcome.ok : outcome.error}${copies > 1 ? `:grace=${config.grace > 0}` : ""}`);
				const results = await Promise.all(Array.from({ length: copies }, () => settled(() => service.exchange(token))));
				const successes = results.filter((result): result is TokenSet => typeof result !== "string");
				const failures = results.filter((result): result is TokenErrorCode => typeof result === "string");
				if ("ok" in outcome && outcome.ok === "rotate") {
					// One call rotates; the others see the token as just-rotated (inside grace when grace > 0).
					const winner = successes.find((set) => set.refreshToken !== session.current);
					assert.ok(winner !== undefined, `${where}: nobody rotated (${JSON.stringify(results.map((r) => (typeof r === "string" ? r : "ok")))})`);
					acceptRotation(session, winner, at, where);
					expected.refreshed++;
					if (config.grace > 0) {
						assert.is(successes.length, copies, `${where}: every concurrent exchange inside grace succeeds (${failures.join(",")})`);
						assert.is(new Set(successes.map((set) => set.refreshToken)).size, 1, `${where}: concurrent exchanges got different successors`);
						expected["grace-replayed"] += copies - 1;
					} else {
						assert.is(successes.length, 1, `${where}: with no grace only one exchange succeeds`);
						assert.equal(failures, Array(copies - 1).fill("ERR_TOKEN_REUSED"), `${where}: the others are reuse`);
						if (copies > 1) {
							expected["reuse-detected"] += copies - 1;
							expected.revoked += applyReuse(session, at);
						}
					}
					for (const set of successes) checkTokenSet(set, session, at, where);
				} else if ("ok" in outcome) {
					assert.is(successes.length, copies, `${where}: a grace replay failed with ${failures.join(",")}`);
					for (const set of successes) {
						assert.is(set.refreshToken, session.current, `${where}: grace replay is not the identical successor`);
						checkTokenSet(set, session, at, where);
					}
					expected["grace-replayed"] += copies;
				} else {
					assert.equal(
						results.map((result) => (typeof result === "string" ? result : "success")),
						Array(copies).fill(outcome.error),
						`${where}: error codes`,
					);
					if (outcome.expired) expected.expired += copies;
					if (outcome.reuse) {
						expected["reuse-detected"] += copies;
						expected.revoked += applyReuse(session, at);
					}
				}
				break;
			}
			case "revoke": {
				const session = pickSession(op.session);
				if (session === null) break;
				const token = session.tokens[op.pick % session.tokens.length] as string;
				await service.revoke(token);
				if (session.pruned || session.revokedAt !== null) break;
				// The current token, or its predecessor inside grace, logs out; any other (retired)
				// token of a live session is reuse, answered by onReuse (report-only revokes nothing).
				const loggingOut = token === session.current || (token === session.previous && session.rotatedAt !== null && at - session.rotatedAt < config.grace * 1000);
				tally(`revoke:${loggingOut ? "logout" : live(session, at) ? "reuse" : "retired-of-expired"}`);
				if (loggingOut) {
					session.revokedAt = at;
					expected.revoked++;
				} else if (live(session, at)) {
					expected["reuse-detected"]++;
					expected.revoked += applyReuse(session, at);
				}
				break;
			}
			case "revokeSession": {
				const session = pickSession(op.session);
				if (session === null) break;
				const predicted = !session.pruned && session.revokedAt === null;
				assert.is(await service.revokeSession(session.id), predicted, `${where}: revokeSession result`);
				if (predicted) {
					session.revokedAt = at;
					expected.revoked++;
				}
				break;
			}
			case "revokeSubject": {
				const subject = SUBJECTS[op.subject] as string;
				let predicted = 0;
				for (const session of sessions) {
					if (session.subject === subject && live(session, at)) {
						session.revokedAt = at;
						predicted++;
					}
				}
				assert.is(await service.revokeSubject(subject), predicted, `${where}: revokeSubject count`);
				expected.revoked += predicted;
				break;
			}
			case "advance":
				clock.advance(op.seconds);
				break;
			case "prune": {
				tally(`prune:${sessions.filter((session) => !session.pruned && session.revokedAt === null && session.tokens.length > 1).length > 0 ? "with-rotated-live" : "plain"}`);
				let predicted = 0;
				for (const session of sessions) {
					if (session.pruned) continue;
					if (session.revokedAt !== null || (session.expiresAt !== null && session.expiresAt <= at)) {
						session.pruned = true;
						predicted++;
					}
				}
				assert.is(await service.prune({ retention: 0 }), predicted, `${where}: prune count`);
				break;
			}
			case "list": {
				const subject = SUBJECTS[op.subject] as string;
				const expected = sessions.filter((session) => session.subject === subject && live(session, at)).map((session) => session.id);
				await assertListed(service, subject, expected, where);
				break;
			}
			case "verify": {
				const session = pickSession(op.session);
				if (session === null || session.lastAccess === null) break;
				await assertVerify(service, session.lastAccess, at, where);
				break;
			}
		}
		await checkInvariants(where, events.slice(eventsBefore), expected);
	}
}

const model = suite("model: service vs reference model");

model(`random command sequences agree with the model (MODEL_RUNS=${process.env.MODEL_RUNS ?? 1000})`, async () => {
	const numRuns = Number(process.env.MODEL_RUNS ?? 1000);
	const seed = process.env.MODEL_SEED === undefined ? undefined : Number(process.env.MODEL_SEED);
	await fc.assert(
		fc.asyncProperty(scenarioArb, async ([config, ops]) => {
			await runScenario(config, [{ kind: "issue", subject: 0 }, ...ops]);
		}),
		{ numRuns, ...(seed === undefined ? {} : { seed }) },
	);
	if (process.env.MODEL_STATS !== undefined) console.log([...stats.entries()].sort());
});

model("regression: concurrent exchange with no grace, then replay after prune", async () => {
	const config: Config = { accessTtl: 30, idleTtl: 40, absoluteTtl: 100, grace: 0, onReuse: "revoke-subject" };
	await runScenario(config, [
		{ kind: "issue", subject: 0 },
		{ kind: "issue", subject: 0 },
		{ kind: "concurrent", session: 0, pick: "current", copies: 4 },
		{ kind: "advance", seconds: 40 },
		{ kind: "prune" },
		{ kind: "issue", subject: 1 },
		{ kind: "exchange", session: 2 },
		{ kind: "advance", seconds: 1 },
		{ kind: "replay", session: 2, pick: 0 },
		{ kind: "exchange", session: 2 },
	]);
});

model("regression: grace edge, absolute cap, and revoke-session happens once under concurrency", async () => {
	const config: Config = { accessTtl: 60, idleTtl: 90, absoluteTtl: 100, grace: 10, onReuse: "revoke-session" };
	await runScenario(config, [
		{ kind: "issue", subject: 0 },
		{ kind: "advance", seconds: 50 },
		{ kind: "exchange", session: 0 },
		{ kind: "advance", seconds: 9 },
		{ kind: "concurrent", session: 0, pick: 0, copies: 3 },
		{ kind: "advance", seconds: 1 },
		{ kind: "concurrent", session: 0, pick: 0, copies: 5 },
		{ kind: "verify", session: 0 },
		{ kind: "issue", subject: 0 },
		{ kind: "advance", seconds: 39 },
		{ kind: "exchange", session: 1 },
		{ kind: "advance", seconds: 60 },
		{ kind: "exchange", session: 1 },
		{ kind: "advance", seconds: 1 },
		{ kind: "exchange", session: 1 },
		{ kind: "list", subject: 0 },
	]);
});

model("regression: absolute (60 s) shorter than idle (250 s): a token never exchanged expires at absolute", async () => {
	const config: Config = { accessTtl: 30, idleTtl: 250, absoluteTtl: 60, grace: 3, onReuse: "revoke-session" };
	await runScenario(config, [
		{ kind: "issue", subject: 0 },
		{ kind: "issue", subject: 1 },
		{ kind: "advance", seconds: 20 },
		{ kind: "exchange", session: 1 },
		{ kind: "advance", seconds: 39 },
		{ kind: "verify", session: 1 },
		{ kind: "list", subject: 0 },
		{ kind: "advance", seconds: 1 },
		{ kind: "exchange", session: 0 },
		{ kind: "exchange", session: 1 },
		{ kind: "advance", seconds: 60 },
		{ kind: "exchange", session: 0 },
		{ kind: "prune" },
	]);
});

model.run();
