// A mixed workload of virtual clients over a (fault-injecting) store, with the checks of
// invariants 1 and 3 made while it runs and at the end. Shared by the in-memory scenario
// (tests/reliability/store-faults.test.ts) and the PostgreSQL one (store-faults-postgres.long.ts).
//
// Each client owns one subject and, while logged in, one session. Per round every client does
// one operation, all clients concurrently: log in, exchange its token once, exchange it from
// 2-5 "tabs" at once, or log out. A store failure (ERR_STORE_UNAVAILABLE) is retried with the
// same input after a short pause, as a real client retries a 503; any other error is a
// violation, since every token a client presents is one it was just handed.
import { createTokenService, isTokenError, type TokenEvent, type TokenService, type TokenServiceOptions } from "../../../core/index.js";
import type { SessionRecord, TokenStore } from "../../../core/port.js";
import { hex, storedHash } from "../../helpers.js";
import type { FaultyStore, InjectedFault } from "../../support/faulty-store.js";

export interface WorkloadOptions {
	/** The service under test, over `store`. */
	service: TokenService;
	store: FaultyStore;
	/** The store without faults, to read state and to build the end-of-run probe service. */
	inspect: TokenStore;
	/** Options to build the probe service (keys, issuer, audience) - the probe adds its own clock and store. */
	serviceOptions: Pick<TokenServiceOptions, "keys" | "issuer" | "audience" | "refresh">;
	/** The events the service emitted (the test's onEvent pushes into this array). */
	events: TokenEvent[];
	/** The service's clock, to stamp the probe after the grace window. */
	now: () => Date;
	clients: number;
	/** Stop after this many rounds, or when `deadline` (epoch ms) passes, whichever is first. */
	rounds: number;
	deadline?: number;
	random: () => number;
	/** Runs between rounds: advance a manual clock, or sleep. */
	between: () => Promise<void> | void;
	/** Attempts per operation, and the pause between attempts (ms). */
	attempts: number;
	retryDelayMs: number;
	/** The service's storeTimeout in ms: a hung attempt must fail no sooner than this. */
	storeTimeoutMs: number;
	/** Operation mix (the rest is single exchanges). */
	burstShare: number;
	logoutShare: number;
	subjectPrefix: string;
	/** Probe at most this many retired tokens per client at the end (all when undefined). */
	probeLimit?: number;
}

export interface WorkloadReport {
	rounds: number;
	operations: { login: number; exchange: number; burst: number; burstRequests: number; logout: number };
	/** Attempts that failed with ERR_STORE_UNAVAILABLE and were retried. */
	retries: number;
	/**
	 * ERR_STORE_UNAVAILABLE with no injected fault: the real store itself failed or was slower
	 * than storeTimeout (a loaded machine). Retried like any other failure; reported, not a violation.
	 */
	unplannedFailures: number;
	/** The first few of them, as the service described them. */
	unplannedSamples: string[];
	/** Operations that still failed after every attempt (the run then cannot check them). */
	gaveUp: number;
	/** A `before` fault on a single exchange, after which the session row was byte-for-byte unchanged. */
	beforeUnchanged: number;
	/** An `after` fault on a single exchange (committed, answer lost) healed by the retry: same successor, one rotation. */
	afterHealed: number;
	/** Attempts that hung and failed with ERR_STORE_UNAVAILABLE no sooner than storeTimeout. */
	hangsTimedOut: number;
	/** The slowest such failure (ms): how long a client waited on a hung store. */
	hangMaxMs: number;
	/** Sessions a lost login answer left behind (committed, never handed to anyone). */
	orphanSessions: number;
	/** Tokens probed at the end: retired ones must be dead (reuse), each head must rotate. */
	probedRetired: number;
	probedHeads: number;
	/** Sessions whose client can no longer continue its chain. Must be 0. */
	sessionsLost: number;
	/** Revocations not asked for by a logout (reuse verdicts). Must be 0. */
	spuriousRevocations: number;
	events: Partial<Record<TokenEvent["type"], number>>;
	violations: string[];
}

interface Client {
	subject: string;
	sessionId: string | null;
	token: string | null;
	/** Rotations this client's session went through, as the client saw them. */
	generation: number;
	/** Every token this client ever held, per session, oldest first. */
	chains: Map<string, string[]>;
	revokedSessions: Set<string>;
}

class StoreUnavailable extends Error {}

function tokenHash(token: string): string {
	return hex(storedHash(token)) as string;
}

function snapshot(session: SessionRecord | null): string {
	return JSON.stringify(session, (_key, value: unknown) => (value instanceof Uint8Array ? hex(value) : value));
}

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function runWorkload(options: WorkloadOptions): Promise<WorkloadReport> {
	const { service, store, inspect, random } = options;
	const report: WorkloadReport = {
		rounds: 0,
		operations: { login: 0, exchange: 0, burst: 0, burstRequests: 0, logout: 0 },
		retries: 0,
		unplannedFailures: 0,
		unplannedSamples: [],
		gaveUp: 0,
		beforeUnchanged: 0,
		afterHealed: 0,
		hangsTimedOut: 0,
		hangMaxMs: 0,
		orphanSessions: 0,
		probedRetired: 0,
		probedHeads: 0,
		sessionsLost: 0,
		spuriousRevocations: 0,
		events: {},
		violations: [],
	};
	const violation = (message: string): void => {
		if (report.violations.length < 50) report.violations.push(message);
	};
	/** token hash -> the successor every successful exchange of it returned. Two different ones = a forked session. */
	const successorOf = new Map<string, string>();

	/** Runs one logical request with retries; returns its result and the faults that hit its attempts. */
	async function attempt<T>(label: string, run: () => Promise<T>, concerns: (fault: InjectedFault) => boolean, onFailedAttempt?: (faults: InjectedFault[], attemptNo: number) => Promise<void>, timed = true): Promise<T> {
		for (let attemptNo = 1; ; attemptNo++) {
			const mark = store.faults.length;
			const started = performance.now();
			try {
				return await run();
			} catch (error) {
				const elapsed = performance.now() - started;
				if (!isTokenError(error, "ERR_STORE_UNAVAILABLE")) throw error;
				const hit = store.faults.slice(mark).filter(concerns);
				// In a burst the tabs share a session, so a hang may belong to another tab: time only single requests.
				if (timed && hit.some((fault) => fault.fault === "hang")) {
					if (elapsed + 2 < options.storeTimeoutMs) violation(`${label}: a hung call failed after ${elapsed.toFixed(0)} ms, before storeTimeout ${options.storeTimeoutMs} ms`);
					report.hangsTimedOut++;
					report.hangMaxMs = Math.max(report.hangMaxMs, elapsed);
				}
				if (hit.length === 0) {
					report.unplannedFailures++;
					if (report.unplannedSamples.length < 5) report.unplannedSamples.push(`${label}: ${(error as Error).message}`);
				}
				await onFailedAttempt?.(hit, attemptNo);
				if (attemptNo >= options.attempts) throw new StoreUnavailable(label);
				report.retries++;
				await sleep(options.retryDelayMs);
			}
		}
	}

	function recordSuccessor(client: Client, presented: string, successor: string): void {
		const key = tokenHash(presented);
		const known = successorOf.get(key);
		if (known !== undefined && known !== successor) violation(`${client.subject}: one token yielded two different successors (two live tokens in one session)`);
		successorOf.set(key, successor);
	}

	async function login(client: Client): Promise<void> {
		report.operations.login++;
		const tokens = await attempt(
			`${client.subject} login`,
			() => service.issue({ subject: client.subject }),
			(fault) => fault.subject === client.subject,
		);
		client.sessionId = tokens.sessionId;
		client.token = tokens.refreshToken;
		client.generation = 0;
		client.chains.set(tokens.sessionId, [tokens.refreshToken]);
	}

	async function exchangeOnce(client: Client): Promise<void> {
		report.operations.exchange++;
		const presented = client.token as string;
		const sessionId = client.sessionId as string;
		const before = await inspect.findSession(sessionId);
		let lostCommit = false;
		const tokens = await attempt(
			`${client.subject} exchange`,
			() => service.exchange(presented),
			(fault) => fault.sessionId === sessionId,
			async (hit, attemptNo) => {
				// Only the first attempt: a hung earlier attempt of this operation may commit at any time.
				if (attemptNo !== 1 || hit.length !== 1 || hit[0]?.method !== "rotateToken") return;
				const now = await inspect.findSession(sessionId);
				if (hit[0].fault === "before") {
					if (snapshot(now) === snapshot(before)) report.beforeUnchanged++;
					else violation(`${client.subject}: a rotation that failed before the store call changed the session`);
				}
				if (hit[0].fault === "after" && hit[0].committed === true) {
					if (now?.generation === client.generation + 1) lostCommit = true;
					else violation(`${client.subject}: an 'after' fault did not leave exactly one committed rotation (generation ${now?.generation}, expected ${client.generation + 1})`);
				}
			},
		);
		client.generation++;
		const after = await inspect.findSession(sessionId);
		if (after?.generation !== client.generation) violation(`${client.subject}: after one exchange the session is at generation ${after?.generation}, the client expected ${client.generation}`);
		if (hex(after?.tokenHash) !== tokenHash(tokens.refreshToken)) violation(`${client.subject}: the client's new token is not the session's current token`);
		else if (lostCommit) report.afterHealed++;
		recordSuccessor(client, presented, tokens.refreshToken);
		client.token = tokens.refreshToken;
		client.chains.get(sessionId)?.push(tokens.refreshToken);
	}

	async function exchangeBurst(client: Client, tabs: number): Promise<void> {
		report.operations.burst++;
		report.operations.burstRequests += tabs;
		const presented = client.token as string;
		const sessionId = client.sessionId as string;
		const results = await Promise.allSettled(
			Array.from({ length: tabs }, (_, tab) =>
				attempt(
					`${client.subject} tab ${tab}`,
					() => service.exchange(presented),
					(fault) => fault.sessionId === sessionId,
					undefined,
					false,
				),
			),
		);
		const rejected = results.find((result) => result.status === "rejected");
		if (rejected !== undefined) throw (rejected as PromiseRejectedResult).reason;
		const successors = new Set(results.map((result) => (result as PromiseFulfilledResult<{ refreshToken: string }>).value.refreshToken));
		if (successors.size !== 1) violation(`${client.subject}: ${tabs} concurrent exchanges of one token got ${successors.size} different successors`);
		const successor = [...successors][0] as string;
		client.generation++;
		const after = await inspect.findSession(sessionId);
		if (after?.generation !== client.generation) violation(`${client.subject}: after a burst of ${tabs} the session is at generation ${after?.generation}, expected ${client.generation}`);
		if (hex(after?.tokenHash) !== tokenHash(successor)) violation(`${client.subject}: the burst's successor is not the session's current token`);
		recordSuccessor(client, presented, successor);
		client.token = successor;
		client.chains.get(sessionId)?.push(successor);
	}

	async function logout(client: Client): Promise<void> {
		report.operations.logout++;
		const token = client.token as string;
		const sessionId = client.sessionId as string;
		await attempt(
			`${client.subject} logout`,
			() => service.revoke(token),
			(fault) => fault.sessionId === sessionId,
		);
		const session = await inspect.findSession(sessionId);
		if (session?.revokedAt === null || session === null) violation(`${client.subject}: logout returned but the session is not revoked`);
		client.revokedSessions.add(sessionId);
		client.sessionId = null;
		client.token = null;
		try {
			await attempt(
				`${client.subject} exchange after logout`,
				() => service.exchange(token),
				(fault) => fault.sessionId === sessionId,
			);
			violation(`${client.subject}: a logged-out token still exchanged`);
		} catch (error) {
			if (!(error instanceof StoreUnavailable) && !isTokenError(error, "ERR_TOKEN_REVOKED")) violation(`${client.subject}: a logged-out token gave ${describe(error)}, expected ERR_TOKEN_REVOKED`);
		}
	}

	async function step(client: Client): Promise<void> {
		try {
			if (client.token === null) return await login(client);
			const roll = random();
			if (roll < options.logoutShare) return await logout(client);
			if (roll < options.logoutShare + options.burstShare) return await exchangeBurst(client, 2 + Math.floor(random() * 4));
			return await exchangeOnce(client);
		} catch (error) {
			if (error instanceof StoreUnavailable) {
				// The fault rate beat the retry budget: the client keeps its token and tries again next round.
				report.gaveUp++;
				return;
			}
			violation(`${client.subject}: ${describe(error)} for a token the client was just handed`);
			// Continue from a clean slate so that one violation does not cascade.
			client.token = null;
			client.sessionId = null;
		}
	}

	const clients: Client[] = Array.from({ length: options.clients }, (_, index) => ({
		subject: `${options.subjectPrefix}-${index}`,
		sessionId: null,
		token: null,
		generation: 0,
		chains: new Map(),
		revokedSessions: new Set(),
	}));

	for (let round = 0; round < options.rounds; round++) {
		if (options.deadline !== undefined && Date.now() >= options.deadline) break;
		await Promise.all(clients.map((client) => step(client)));
		report.rounds++;
		await options.between();
	}
	await store.drain();

	// End of run, without faults: each head must be the session's current token, at the
	// generation the client counted; every other token the client ever held must be dead.
	const probeAt = new Date(options.now().getTime() + 3600_000);
	const probeEvents: TokenEvent[] = [];
	const probe = createTokenService({ ...options.serviceOptions, store: inspect, clock: { now: () => probeAt }, refresh: { ...options.serviceOptions.refresh, onReuse: "report-only" }, onEvent: (event) => probeEvents.push(event) });
	for (const client of clients) {
		const live = await inspect.listSessions(client.subject, options.now(), 1000);
		const held = client.sessionId;
		report.orphanSessions += live.filter((session) => session.id !== held).length;
		for (const [sessionId, chain] of client.chains) {
			const revoked = client.revokedSessions.has(sessionId);
			const retired = revoked ? chain : chain.slice(0, -1);
			const sample = options.probeLimit === undefined ? retired : retired.slice(-options.probeLimit);
			for (const token of sample) {
				report.probedRetired++;
				try {
					await probe.exchange(token);
					violation(`${client.subject}: a retired token of session ${sessionId.slice(0, 8)} still rotates (two live tokens)`);
				} catch (error) {
					const expected = revoked ? "ERR_TOKEN_REVOKED" : "ERR_TOKEN_REUSED";
					if (!isTokenError(error, expected)) violation(`${client.subject}: a retired token gave ${describe(error)}, expected ${expected}`);
				}
			}
		}
		if (held !== null && client.token !== null) {
			const session = await inspect.findSession(held);
			if (session === null || session.revokedAt !== null || hex(session.tokenHash) !== tokenHash(client.token) || session.generation !== client.generation) {
				report.sessionsLost++;
				violation(`${client.subject}: the held token is not the live current token of its session (generation ${session?.generation} vs ${client.generation}, revoked ${session?.revokedAt})`);
				continue;
			}
			report.probedHeads++;
			try {
				await probe.exchange(client.token);
			} catch (error) {
				report.sessionsLost++;
				violation(`${client.subject}: the held token did not rotate at the end: ${describe(error)}`);
			}
		}
	}
	if (probeEvents.some((event) => event.type === "revoked")) violation("the report-only probe revoked something");

	for (const event of options.events) report.events[event.type] = (report.events[event.type] ?? 0) + 1;
	const spurious = options.events.filter((event) => event.type === "reuse-detected" || (event.type === "revoked" && event.reason !== "logout"));
	report.spuriousRevocations = spurious.length;
	if (spurious.length > 0)
		violation(
			`${spurious.length} reuse/revocation events nobody asked for: ${spurious
				.slice(0, 3)
				.map((event) => `${event.type}:${event.subject}`)
				.join(", ")}`,
		);
	return report;
}

function describe(error: unknown): string {
	return isTokenError(error) ? error.code : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
