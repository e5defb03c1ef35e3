// Property-based model test of `mode: 'reuse'`: random sequences of logins (also concurrent),
// exchanges (also concurrent), forged tokens, revocations, prune and clock steps run against the
// real service on the memory store and against a reference model. After every step:
//   - one live session per subject + device, and a login while it lives hands back its token;
//   - an exchange returns the same refresh token with a fresh access token, and slides the idle
//     expiry with a store write only once `touchInterval` has passed since the last one (the
//     writes are counted);
//   - every error code is the model's (unknown after prune or for a forgery, revoked, expired);
//   - the stored record is the model's (expiry, last use, revocation, absolute cap, hash of the
//     one token), and nothing usable reaches the store (every argument of every call is checked
//     for the token, its secret and its family proof);
//   - access-token exp is capped by the session's expiry; times come from the injected clock.
//
// MODEL_RUNS (default 1000) sets the number of sequences; MODEL_SEED replays one.
import fc from "fast-check";
import { decodeJwt } from "jose";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { TokenErrorCode, TokenEvent, TokenSet } from "../../core/index.js";
import type { TokenStore } from "../../core/port.js";
import { formatRefreshToken, hashToken, newFamilyProof, newSecret, parseRefreshToken } from "../../core/refresh-token.js";
import { memoryStore } from "../../storage/memory/index.js";
import { harness, hex, TEST_REFRESH_KEYS } from "../helpers.js";
import { assertListed, assertVerify, settled, sooner, spyStore, TOLERANCE } from "./support.js";

interface Config {
	accessTtl: number;
	idleTtl: number | null;
	absoluteTtl: number | null;
}

type Op =
	| { kind: "login"; subject: number; device: number }
	| { kind: "concurrentLogin"; subject: number; device: number; copies: number }
	| { kind: "exchange"; session: number }
	| { kind: "concurrentExchange"; session: number; copies: number }
	| { kind: "forged"; session: number }
	| { kind: "revoke"; session: number }
	| { kind: "revokeSubject"; subject: number }
	| { kind: "advance"; seconds: number }
	| { kind: "prune" }
	| { kind: "verify"; session: number };

interface ModelSession {
	id: string;
	subject: string;
	device: string | null;
	token: string;
	createdAt: number;
	lastUsedAt: number;
	expiresAt: number | null;
	absoluteExpiresAt: number | null;
	revokedAt: number | null;
	pruned: boolean;
	lastAccess: { token: string; exp: number } | null;
}

const SUBJECTS = ["s0", "s1"];
const DEVICES = ["laptop", "phone", null];

const configArb: fc.Arbitrary<Config> = fc.record({
	accessTtl: fc.constantFrom(30, 60),
	// Both orders: idle below absolute (the usual setup) and above it (absolute caps even the
	// first token at issue time), and null for either.
	idleTtl: fc.constantFrom<number | null>(40, 90, 250, null),
	absoluteTtl: fc.constantFrom<number | null>(60, 100, 200, null),
});

/** What core/options.ts derives: a write to slide the idle expiry at most this often. */
function touchInterval(config: Config): number {
	return config.idleTtl === null ? 3600 : Math.min(3600, Math.floor(config.idleTtl / 10));
}

function opArb(config: Config): fc.Arbitrary<Op> {
	const index = fc.nat({ max: 32 });
	const subject = fc.nat({ max: SUBJECTS.length - 1 });
	const device = fc.nat({ max: DEVICES.length - 1 });
	const touch = touchInterval(config);
	const edges = [1, touch - 1, touch, touch + 1, config.accessTtl + TOLERANCE - 1, config.accessTtl + TOLERANCE];
	if (config.idleTtl !== null) edges.push(config.idleTtl - 1, config.idleTtl, config.idleTtl + 1);
	if (config.absoluteTtl !== null) edges.push(config.absoluteTtl - 1, config.absoluteTtl);
	return fc.oneof(
		{ weight: 4, arbitrary: fc.record({ kind: fc.constant("login" as const), subject, device }) },
		{ weight: 2, arbitrary: fc.record({ kind: fc.constant("concurrentLogin" as const), subject, device, copies: fc.integer({ min: 2, max: 5 }) }) },
		{ weight: 5, arbitrary: fc.record({ kind: fc.constant("exchange" as const), session: index }) },
		{ weight: 2, arbitrary: fc.record({ kind: fc.constant("concurrentExchange" as const), session: index, copies: fc.integer({ min: 2, max: 5 }) }) },
		{ weight: 1, arbitrary: fc.record({ kind: fc.constant("forged" as const), session: index }) },
		{ weight: 1, arbitrary: fc.record({ kind: fc.constant("revoke" as const), session: index }) },
		{ weight: 1, arbitrary: fc.record({ kind: fc.constant("revokeSubject" as const), subject }) },
		{
			weight: 5,
			arbitrary: fc.record({
				kind: fc.constant("advance" as const),
				seconds: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...new Set(edges.filter((value) => value >= 0))) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 300 }) }),
			}),
		},
		{ weight: 1, arbitrary: fc.record({ kind: fc.constant("prune" as const) }) },
		{ weight: 1, arbitrary: fc.record({ kind: fc.constant("verify" as const), session: index }) },
	);
}

const MAX_STEPS = Number(process.env.MODEL_STEPS ?? 40);
const scenarioArb = configArb.chain((config) => fc.tuple(fc.constant(config), fc.array(opArb(config), { minLength: 1, maxLength: MAX_STEPS, size: "max" })));

async function runScenario(config: Config, ops: Op[]): Promise<void> {
	const sink = { bytes: [] as string[], strings: [] as string[] };
	const inner = memoryStore();
	const spied = spyStore(inner, sink);
	let touches = 0;
	const store: TokenStore = {
		...spied,
		touchSession(touch) {
			touches++;
			return spied.touchSession(touch);
		},
	};
	const { service, clock, events } = harness({
		store,
		accessTokenTtl: config.accessTtl,
		refresh: { mode: "reuse", idleTtl: config.idleTtl, absoluteTtl: config.absoluteTtl },
	});
	const sessions: ModelSession[] = [];
	const forbiddenBytes = new Set<string>();
	const forbiddenStrings: string[] = [];

	function remember(token: string): void {
		const parts = parseRefreshToken(token);
		assert.ok(parts !== null, "the service handed out a token it cannot parse");
		forbiddenBytes.add(hex(parts.secret) as string);
		forbiddenBytes.add(hex(parts.familyProof) as string);
		forbiddenStrings.push(token, token.slice(4));
	}

	function live(session: ModelSession, at: number): boolean {
		return !session.pruned && session.revokedAt === null && (session.expiresAt === null || session.expiresAt > at);
	}

	function pickSession(index: number): ModelSession | null {
		return sessions.length === 0 ? null : (sessions[index % sessions.length] as ModelSession);
	}

	/** The write-throttled slide of a use at `at`; true when the service must write it. */
	function use(session: ModelSession, at: number): boolean {
		if (at - session.lastUsedAt < touchInterval(config) * 1000) return false;
		session.lastUsedAt = at;
		session.expiresAt = sooner(config.idleTtl === null ? null : at + config.idleTtl * 1000, session.absoluteExpiresAt);
		return true;
	}

	function checkTokenSet(set: TokenSet, session: ModelSession, at: number, where: string): void {
		assert.is(set.refreshToken, session.token, `${where}: reuse mode hands back the session's one token`);
		assert.is(set.sessionId, session.id, `${where}: sessionId`);
		assert.is(set.refreshTokenExpiresAt?.getTime() ?? null, session.expiresAt, `${where}: refreshTokenExpiresAt`);
		const claims = decodeJwt(set.accessToken);
		const iat = Math.floor(at / 1000);
		const cap = session.expiresAt === null ? Number.POSITIVE_INFINITY : Math.ceil(session.expiresAt / 1000);
		const exp = Math.max(iat + 1, Math.min(iat + config.accessTtl, cap));
		assert.is(claims.iat, iat, `${where}: iat from the injected clock`);
		assert.is(claims.exp, exp, `${where}: access exp`);
		assert.is(claims.sid, session.id);
		assert.is(claims.sub, session.subject);
		if (session.absoluteExpiresAt !== null) assert.ok(exp * 1000 <= session.absoluteExpiresAt, `${where}: access token outlives the absolute lifetime`);
		session.lastAccess = { token: set.accessToken, exp };
	}

	function predictedError(session: ModelSession, at: number): TokenErrorCode | null {
		if (session.pruned) return "ERR_TOKEN_UNKNOWN";
		if (session.revokedAt !== null) return "ERR_TOKEN_REVOKED";
		if (session.expiresAt !== null && session.expiresAt <= at) return "ERR_TOKEN_EXPIRED";
		return null;
	}

	/** A login of subject + device at `at`, as the model sees it: the live session's token, or a new session. */
	function login(subject: string, device: string | null, set: TokenSet, at: number, where: string): { reused: boolean; touched: boolean } {
		const existing = sessions.filter((session) => session.subject === subject && session.device === device && live(session, at));
		assert.ok(existing.length <= 1, `${where}: the model has two live sessions for one device`);
		const found = existing[0];
		if (found !== undefined) {
			const touched = use(found, at);
			checkTokenSet(set, found, at, where);
			return { reused: true, touched };
		}
		assert.not.ok(
			sessions.some((session) => session.token === set.refreshToken || session.id === set.sessionId),
			`${where}: a new session reused an old token or id`,
		);
		const absoluteExpiresAt = config.absoluteTtl === null ? null : at + config.absoluteTtl * 1000;
		const session: ModelSession = {
			id: set.sessionId,
			subject,
			device,
			token: set.refreshToken,
			createdAt: at,
			lastUsedAt: at,
			expiresAt: sooner(config.idleTtl === null ? null : at + config.idleTtl * 1000, absoluteExpiresAt),
			absoluteExpiresAt,
			revokedAt: null,
			pruned: false,
			lastAccess: null,
		};
		remember(set.refreshToken);
		sessions.push(session);
		checkTokenSet(set, session, at, where);
		return { reused: false, touched: false };
	}

	async function checkInvariants(where: string, stepEvents: TokenEvent[]): Promise<void> {
		for (const event of stepEvents) assert.is(event.at.getTime(), clock.now().getTime(), `${where}: event time from the injected clock`);
		for (const bytes of sink.bytes) assert.not.ok(forbiddenBytes.has(bytes), `${where}: a secret or family proof was passed to the store`);
		for (const text of sink.strings) for (const token of forbiddenStrings) assert.not.ok(text.includes(token), `${where}: a token was passed to the store`);
		sink.bytes.length = 0;
		sink.strings.length = 0;
		const at = clock.now().getTime();
		for (const session of sessions) {
			const record = await inner.findSession(session.id);
			if (session.pruned) {
				assert.is(record, null, `${where}: a pruned session is still stored`);
				continue;
			}
			assert.ok(record !== null, `${where}: session ${session.id} vanished`);
			const parts = parseRefreshToken(session.token);
			assert.ok(parts !== null);
			assert.is(hex(record.tokenHash), hex(hashToken(TEST_REFRESH_KEYS.current, parts.familyProof, parts.secret)), `${where}: the stored hash is not the session's token`);
			assert.is(record.mode, "reuse");
			assert.is(record.generation, 0, `${where}: reuse mode never rotates`);
			assert.is(record.previousHash, null);
			assert.is(record.sealedSuccessor, null);
			assert.is(record.lastUsedAt.getTime(), session.lastUsedAt, `${where}: lastUsedAt`);
			assert.is(record.expiresAt?.getTime() ?? null, session.expiresAt, `${where}: expiresAt`);
			assert.is(record.absoluteExpiresAt?.getTime() ?? null, session.absoluteExpiresAt, `${where}: absoluteExpiresAt moved`);
			assert.is(record.revokedAt?.getTime() ?? null, session.revokedAt, `${where}: revokedAt`);
			if (record.absoluteExpiresAt !== null) assert.ok(record.expiresAt !== null && record.expiresAt <= record.absoluteExpiresAt, `${where}: expiry past the absolute cap`);
		}
		// One live session per subject + device, in the store as in the model.
		for (const subject of SUBJECTS) {
			const devices = (await service.listSessions(subject)).map((session) => session.device);
			assert.is(new Set(devices).size, devices.length, `${where}: two live sessions for one device of ${subject}`);
			const expected = sessions.filter((session) => session.subject === subject && live(session, at)).map((session) => session.id);
			await assertListed(service, subject, expected, where);
		}
	}

	for (const [step, op] of ops.entries()) {
		const where = `step ${step} ${JSON.stringify(op)}`;
		const at = clock.now().getTime();
		const eventsBefore = events.length;
		const touchesBefore = touches;
		switch (op.kind) {
			case "login":
			case "concurrentLogin": {
				const subject = SUBJECTS[op.subject] as string;
				const device = DEVICES[op.device] as string | null;
				const input = device === null ? { subject } : { subject, device };
				const copies = op.kind === "login" ? 1 : op.copies;
				const sets = await Promise.all(Array.from({ length: copies }, () => service.issue(input)));
				assert.is(new Set(sets.map((set) => set.refreshToken)).size, 1, `${where}: concurrent logins of one device got different tokens`);
				const { reused, touched } = login(subject, device, sets[0] as TokenSet, at, where);
				for (const set of sets.slice(1)) checkTokenSet(set, sessions.find((session) => session.id === set.sessionId) as ModelSession, at, where);
				const issued = events.slice(eventsBefore).filter((event) => event.type === "issued");
				assert.is(issued.length, copies, `${where}: one 'issued' event per login`);
				assert.is(issued.filter((event) => event.reused === false).length, reused ? 0 : 1, `${where}: exactly one login opened the session`);
				// Sequential logins are counted exactly; concurrent ones read the same row, so each may write the same slide.
				if (copies === 1) assert.is(touches - touchesBefore, touched ? 1 : 0, `${where}: idle-slide writes`);
				else assert.ok(touched ? touches - touchesBefore >= 1 && touches - touchesBefore <= copies : touches === touchesBefore, `${where}: idle-slide writes`);
				break;
			}
			case "exchange":
			case "concurrentExchange": {
				const session = pickSession(op.session);
				if (session === null) break;
				const copies = op.kind === "exchange" ? 1 : op.copies;
				const results = await Promise.all(Array.from({ length: copies }, () => settled(() => service.exchange(session.token))));
				const error = predictedError(session, at);
				if (error !== null) {
					for (const result of results) assert.is(result, error, `${where}: exchange`);
					assert.is(touches, touchesBefore, `${where}: a refused exchange wrote`);
					assert.is(events.length - eventsBefore, error === "ERR_TOKEN_EXPIRED" ? copies : 0, `${where}: events of a refused exchange`);
					break;
				}
				const touched = use(session, at);
				for (const result of results) {
					assert.ok(typeof result !== "string", `${where}: exchange failed with ${String(result)}`);
					checkTokenSet(result, session, at, where);
				}
				if (copies === 1) assert.is(touches - touchesBefore, touched ? 1 : 0, `${where}: idle-slide writes`);
				else assert.ok(touched ? touches - touchesBefore >= 1 && touches - touchesBefore <= copies : touches === touchesBefore, `${where}: idle-slide writes`);
				assert.is(events.length, eventsBefore, `${where}: a reuse-mode exchange emits no event`);
				break;
			}
			case "forged": {
				const session = pickSession(op.session);
				if (session === null) break;
				const parts = parseRefreshToken(session.token);
				assert.ok(parts !== null);
				// The session's id with a family proof and secret nobody was given.
				const forged = formatRefreshToken({ sessionId: parts.sessionId, keyId: TEST_REFRESH_KEYS.current.id, familyProof: newFamilyProof(), secret: newSecret() });
				assert.is(await settled(() => service.exchange(forged)), "ERR_TOKEN_UNKNOWN", `${where}: forgery`);
				await service.revoke(forged);
				assert.is(events.length, eventsBefore, `${where}: a forgery changed something`);
				break;
			}
			case "revoke": {
				const session = pickSession(op.session);
				if (session === null) break;
				await service.revoke(session.token);
				const revokes = !session.pruned && session.revokedAt === null;
				if (revokes) session.revokedAt = at;
				assert.is(events.slice(eventsBefore).filter((event) => event.type === "revoked").length, revokes ? 1 : 0, `${where}: revoked events`);
				break;
			}
			case "revokeSubject": {
				const subject = SUBJECTS[op.subject] as string;
				const targets = sessions.filter((session) => session.subject === subject && live(session, at));
				assert.is(await service.revokeSubject(subject), targets.length, `${where}: revokeSubject count`);
				for (const session of targets) session.revokedAt = at;
				break;
			}
			case "advance":
				clock.advance(op.seconds);
				break;
			case "prune": {
				const dead = sessions.filter((session) => !session.pruned && ((session.revokedAt !== null && session.revokedAt <= at) || (session.expiresAt !== null && session.expiresAt <= at)));
				assert.is(await service.prune({ retention: "0s" }), dead.length, `${where}: prune count`);
				for (const session of dead) session.pruned = true;
				break;
			}
			case "verify": {
				const session = pickSession(op.session);
				if (session === null || session.lastAccess === null) break;
				await assertVerify(service, session.lastAccess, at, where);
				break;
			}
		}
		await checkInvariants(where, events.slice(eventsBefore));
	}
}

const model = suite("model: reuse mode vs reference model");

model(`random command sequences agree with the model (MODEL_RUNS=${process.env.MODEL_RUNS ?? 1000})`, async () => {
	const numRuns = Number(process.env.MODEL_RUNS ?? 1000);
	const seed = process.env.MODEL_SEED === undefined ? undefined : Number(process.env.MODEL_SEED);
	await fc.assert(
		fc.asyncProperty(scenarioArb, async ([config, ops]) => {
			await runScenario(config, [{ kind: "login", subject: 0, device: 0 }, ...ops]);
		}),
		{ numRuns, ...(seed === undefined ? {} : { seed }) },
	);
});

model("regression: concurrent logins after expiry open exactly one new session; the slide is throttled", async () => {
	await runScenario({ accessTtl: 30, idleTtl: 40, absoluteTtl: 100 }, [
		{ kind: "login", subject: 0, device: 2 },
		{ kind: "advance", seconds: 3 },
		{ kind: "exchange", session: 0 },
		{ kind: "advance", seconds: 1 },
		{ kind: "exchange", session: 0 },
		{ kind: "advance", seconds: 41 },
		{ kind: "concurrentLogin", subject: 0, device: 2, copies: 4 },
		{ kind: "exchange", session: 0 },
		{ kind: "prune" },
		{ kind: "exchange", session: 0 },
		{ kind: "concurrentExchange", session: 1, copies: 3 },
	]);
});

model("regression: absolute (60 s) shorter than idle (250 s): the first login's token expires at absolute", async () => {
	await runScenario({ accessTtl: 30, idleTtl: 250, absoluteTtl: 60 }, [
		{ kind: "login", subject: 0, device: 0 },
		{ kind: "advance", seconds: 59 },
		{ kind: "verify", session: 0 },
		{ kind: "advance", seconds: 1 },
		{ kind: "exchange", session: 0 },
		{ kind: "advance", seconds: 30 },
		{ kind: "exchange", session: 0 },
		{ kind: "login", subject: 0, device: 0 },
		{ kind: "prune" },
	]);
});

model.run();
