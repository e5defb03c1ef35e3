// Reliability, scenario 6: secrets.
// 1. Timing: an exchange of an unknown token (random session id) vs one naming a known session
//    id with a wrong family proof and secret. Both are ERR_TOKEN_UNKNOWN; the times are sampled
//    interleaved in random order (2000 each after a warm-up) on the memory store and on
//    PostgreSQL, and both distributions are reported with a statistical comparison.
// 2. Logs: the demo server (cookie mode) and a JSON-mode Node server with every logger this stack
//    has turned on (Drizzle's query logger, postgres.js `debug` with parameters, the service's
//    events, the HTTP hub's onError with full causes) run real traffic, failures included, on a
//    PostgreSQL that logs every statement with its parameters at debug5. Every log line is then
//    searched for every refresh token, its secret and family proof (base64url, base64, hex,
//    spaced hex, decimal bytes, and their halves) and every access token: 0 hits.
//
//   npm run test:reliability            (TIMING_SAMPLES=2000 by default)

import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { DefaultLogger } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createNodeHandler } from "../../adapters/node/index.js";
import { createTokenService, generateSigningKeys, isTokenError, type TokenService } from "../../core/index.js";
import type { TokenStore } from "../../core/port.js";
import { formatRefreshToken, newSessionId, parseRefreshToken } from "../../core/refresh-token.js";
import { drizzleStore, migrate, openStore } from "../../storage/drizzle/index.js";
import { memoryStore } from "../../storage/memory/index.js";
import { TEST_REFRESH_KEYS, TEST_REFRESH_SECRET, TEST_SECRET } from "../helpers.js";
import { seededRandom } from "../support/faulty-store.js";
import { createDatabase, startPostgres } from "../support/postgres.js";
import { startDemo } from "./lib/demo.js";
import { cookieValue, HttpClient } from "./lib/load.js";
import { sleep, startOwnedPostgres } from "./lib/pg.js";
import { recordScenario } from "./lib/report.js";
import { describe, ksCritical, ksStatistic, medianDifferenceInterval } from "./lib/stats.js";

const SAMPLES = Number(process.env.TIMING_SAMPLES ?? 2000);
const SERVICE = { keys: { secret: TEST_SECRET }, issuer: "https://auth.test", audience: "https://api.test", refresh: { secret: TEST_REFRESH_SECRET } } as const;

const timing = suite("reliability: exchange timing, unknown token vs known id with a wrong secret");
const closers: Array<() => Promise<void> | void> = [];
timing.after(async () => {
	for (const close of closers.reverse()) await close();
});

function randomBytes(length: number): Uint8Array {
	return crypto.getRandomValues(new Uint8Array(length));
}

async function measure(label: string, store: TokenStore): Promise<Record<string, unknown>> {
	const service = createTokenService({ ...SERVICE, store });
	const known = await Promise.all(Array.from({ length: 50 }, (_, i) => service.issue({ subject: `timing-${i}` })));
	const random = seededRandom(99);
	const unknownToken = (): string => formatRefreshToken({ sessionId: newSessionId(), keyId: TEST_REFRESH_KEYS.current.id, familyProof: randomBytes(16), secret: randomBytes(32) });
	const wrongSecret = (): string =>
		formatRefreshToken({ sessionId: (known[Math.floor(random() * known.length)] as { sessionId: string }).sessionId, keyId: TEST_REFRESH_KEYS.current.id, familyProof: randomBytes(16), secret: randomBytes(32) });
	const codes = new Map<string, number>();
	async function timeOne(token: string): Promise<number> {
		const started = process.hrtime.bigint();
		let code = "resolved";
		try {
			await service.exchange(token);
		} catch (error) {
			code = isTokenError(error) ? error.code : String(error);
		}
		const elapsed = Number(process.hrtime.bigint() - started) / 1000; // µs
		codes.set(code, (codes.get(code) ?? 0) + 1);
		return elapsed;
	}
	for (let i = 0; i < 300; i++) await timeOne(i % 2 === 0 ? unknownToken() : wrongSecret());
	codes.clear();
	// Interleaved in random order, so drift (GC, other processes on the machine) hits both alike.
	const order = [...Array<0>(SAMPLES).fill(0), ...Array<1>(SAMPLES).fill(1)];
	for (let i = order.length - 1; i > 0; i--) {
		const j = Math.floor(random() * (i + 1));
		[order[i], order[j]] = [order[j] as 0 | 1, order[i] as 0 | 1];
	}
	const unknown: number[] = [];
	const wrong: number[] = [];
	for (const kind of order) {
		if (kind === 0) unknown.push(await timeOne(unknownToken()));
		else wrong.push(await timeOne(wrongSecret()));
	}
	const a = describe(unknown);
	const b = describe(wrong);
	const iqr = (a.p75 - a.p25 + (b.p75 - b.p25)) / 2;
	const d = ksStatistic(unknown, wrong);
	const result = {
		store: label,
		samplesEach: SAMPLES,
		codes: Object.fromEntries(codes),
		unknownUs: a,
		knownIdWrongSecretUs: b,
		medianDifferenceUs: b.median - a.median,
		medianDifference95: medianDifferenceInterval(wrong, unknown, seededRandom(7)),
		medianDifferenceOverIqr: iqr === 0 ? 0 : (b.median - a.median) / iqr,
		ksD: d,
		ksCritical01: ksCritical(unknown.length, wrong.length, 0.01),
		distinguishableAt01: d > ksCritical(unknown.length, wrong.length, 0.01),
	};
	recordScenario(`timing-${label}`, result, { print: true });
	assert.equal(Object.fromEntries(codes), { ERR_TOKEN_UNKNOWN: SAMPLES * 2 }, "both kinds are ERR_TOKEN_UNKNOWN, nothing else");
	return result;
}

timing("memory store", async () => {
	const result = await measure("memory", memoryStore());
	// Robust bound only: a difference of a whole millisecond would be a different code path.
	assert.ok(Math.abs(result.medianDifferenceUs as number) < 1000);
});

timing("PostgreSQL (Drizzle store, postgres.js)", async () => {
	await startPostgres();
	const store = await openStore(await createDatabase("rel_timing"));
	closers.push(() => store.close());
	const result = await measure("postgres", store);
	assert.ok(Math.abs(result.medianDifferenceUs as number) < 5000);
});

// ---------------------------------------------------------------------------------------------

const logs = suite("reliability: no token material in any log line");
const logClosers: Array<() => Promise<void> | void> = [];
logs.after(async () => {
	for (const close of logClosers.reverse()) await close();
});

interface Collected {
	refreshTokens: Set<string>;
	accessTokens: Set<string>;
}

/** Every spelling of token material we search the logs for. */
function needles(collected: Collected): Map<string, string> {
	const out = new Map<string, string>();
	const add = (label: string, value: string, halve = true): void => {
		out.set(value, label);
		if (halve && value.length >= 32) {
			out.set(value.slice(0, Math.floor(value.length / 2)), `${label} (first half)`);
			out.set(value.slice(Math.floor(value.length / 2)), `${label} (second half)`);
		}
	};
	const bytes = (label: string, value: Uint8Array): void => {
		const buffer = Buffer.from(value);
		add(`${label} base64url`, buffer.toString("base64url"));
		add(`${label} base64`, buffer.toString("base64"), false);
		add(`${label} hex`, buffer.toString("hex"));
		add(`${label} HEX`, buffer.toString("hex").toUpperCase(), false);
		add(`${label} spaced hex`, [...buffer].map((byte) => byte.toString(16).padStart(2, "0")).join(" "));
		add(`${label} decimal bytes`, [...buffer].join(","));
	};
	for (const token of collected.refreshTokens) {
		add("refresh token", token);
		const parts = parseRefreshToken(token);
		if (parts === null) continue;
		bytes("secret", parts.secret);
		bytes("family proof", parts.familyProof);
	}
	// The server-held secrets and the keys derived from them are secrets too.
	add("refresh.secret", TEST_REFRESH_SECRET);
	bytes("refresh.secret", new TextEncoder().encode(TEST_REFRESH_SECRET));
	bytes("refresh hash key", TEST_REFRESH_KEYS.current.hashKey);
	bytes("refresh seal key", TEST_REFRESH_KEYS.current.sealKey);
	bytes("refresh reuse key", TEST_REFRESH_KEYS.current.reuseKey);
	for (const token of collected.accessTokens) {
		add("access token", token, false);
		add("access token signature", token.split(".")[2] as string, false);
	}
	return out;
}

function search(text: string, found: Map<string, string>): Array<{ what: string; line: string }> {
	const hits: Array<{ what: string; line: string }> = [];
	for (const [needle, label] of found) {
		const at = text.indexOf(needle);
		if (at >= 0) hits.push({ what: label, line: text.slice(Math.max(0, text.lastIndexOf("\n", at) + 1), at + needle.length + 40).slice(0, 300) });
	}
	return hits;
}

logs("demo server (cookie mode) and a JSON-mode server with Drizzle + postgres.js query logging, on a PostgreSQL logging every statement", async () => {
	const pg = await startOwnedPostgres({
		database: "demo",
		settings: {
			log_statement: "all",
			log_min_messages: "debug5",
			log_min_error_statement: "debug5",
			log_error_verbosity: "verbose",
			log_connections: "on",
			log_disconnections: "on",
			log_parameter_max_length: -1,
			log_parameter_max_length_on_error: -1,
			log_line_prefix: "'%m [%p] '",
		},
	});
	logClosers.push(() => pg.stop());
	const collected: Collected = { refreshTokens: new Set(), accessTokens: new Set() };
	const keys = await generateSigningKeys("EdDSA");

	// --- The demo, as shipped (its event and error logs), DATABASE_URL on this server.
	const demo = await startDemo({ databaseUrl: pg.url, authKeys: JSON.stringify(keys), issuer: "http://demo.reliability.test" });
	logClosers.push(() => demo.stop());
	const http = new HttpClient(demo.origin);
	logClosers.push(() => http.close());
	const form = (cookie: string | null): Record<string, string> => ({ origin: demo.origin, "content-type": "application/x-www-form-urlencoded", ...(cookie === null ? {} : { cookie: `rk_refresh=${cookie}` }) });
	const admin = postgres(pg.url, { max: 1, fetch_types: false, onnotice: () => {} });
	logClosers.push(() => admin.end({ timeout: 5 }));
	let demoRequests = 0;
	const demoSend = async (path: string, cookie: string | null, body: string): Promise<{ status: number; cookie: string | null; access: string | null }> => {
		demoRequests++;
		const result = await http.send("POST", path, form(cookie), body);
		const next = cookieValue(result.setCookie, "rk_refresh");
		if (next !== null && next !== "") collected.refreshTokens.add(next);
		const access = result.status === 200 && result.body !== "" ? ((JSON.parse(result.body) as { access_token?: string }).access_token ?? null) : null;
		if (access !== null) collected.accessTokens.add(access);
		return { status: result.status, cookie: next, access };
	};
	const demoStatuses: Record<number, number> = {};
	const tally = (status: number): void => {
		demoStatuses[status] = (demoStatuses[status] ?? 0) + 1;
	};
	for (let client = 0; client < 8; client++) {
		const login = await demoSend("/auth/login", null, "username=demo&password=demo-password");
		tally(login.status);
		let cookie = login.cookie as string;
		const chain = [cookie];
		for (let i = 0; i < 6; i++) {
			const tabs = i % 3 === 2 ? 3 : 1;
			const results = await Promise.all(Array.from({ length: tabs }, () => demoSend("/auth/token", cookie, "grant_type=refresh_token")));
			for (const result of results) tally(result.status);
			cookie = (results[0]?.cookie ?? cookie) as string;
			chain.push(cookie);
			demoRequests++;
			tally((await http.send("GET", "/api/me", { authorization: `Bearer ${results[0]?.access}` })).status);
		}
		if (client % 4 === 0)
			tally((await demoSend("/auth/token", chain[1] as string, "grant_type=refresh_token")).status); // reuse: revokes the session
		else if (client % 4 === 1) {
			tally((await demoSend("/auth/logout", cookie, "")).status);
			tally((await demoSend("/auth/token", cookie, "grant_type=refresh_token")).status); // revoked
		} else if (client % 4 === 2) {
			tally((await demoSend("/auth/revoke", null, `token=${encodeURIComponent(cookie)}`)).status);
		}
	}
	// Forgeries and garbage the hub must refuse without echoing.
	const forged = [
		formatRefreshToken({ sessionId: newSessionId(), keyId: TEST_REFRESH_KEYS.current.id, familyProof: randomBytes(16), secret: randomBytes(32) }),
		formatRefreshToken({ sessionId: (parseRefreshToken([...collected.refreshTokens][0]) as { sessionId: string }).sessionId, keyId: TEST_REFRESH_KEYS.current.id, familyProof: randomBytes(16), secret: randomBytes(32) }),
		`rk1_${Buffer.from(randomBytes(64)).toString("base64url").slice(0, 80)}`,
	];
	for (const token of forged) {
		collected.refreshTokens.add(token);
		tally((await demoSend("/auth/token", token, "grant_type=refresh_token")).status);
	}
	// Store failures: terminate the demo's backends while refreshes are in flight (503s logged with their cause).
	const victim = await demoSend("/auth/login", null, "username=demo&password=demo-password");
	let victimCookie = victim.cookie as string;
	for (let i = 0; i < 20; i++) {
		const inFlight = demoSend("/auth/token", victimCookie, "grant_type=refresh_token");
		await admin`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'refresh-kit'`;
		const result = await inFlight;
		tally(result.status);
		if (result.status === 200) victimCookie = result.cookie as string;
		await sleep(20);
	}

	// --- A JSON-mode server (refresh tokens in request and response bodies) with every logger on.
	const serverLog: string[] = [];
	const client = postgres(pg.url, {
		max: 4,
		fetch_types: false,
		onnotice: (notice) => serverLog.push(`[notice] ${inspect(notice)}`),
		debug: (connection, query, parameters, types) => serverLog.push(`[postgres.js debug] conn=${connection} ${query} ${inspect(parameters, { depth: 4, maxArrayLength: null, maxStringLength: null })} ${inspect(types)}`),
		connection: { application_name: "reliability-logging" },
	});
	logClosers.push(() => client.end({ timeout: 5 }));
	const db = drizzle(client, { logger: new DefaultLogger({ writer: { write: (message: string) => serverLog.push(`[drizzle] ${message}`) } }) });
	await migrate(db);
	const store = drizzleStore(db);
	const service: TokenService = createTokenService({
		store,
		keys,
		issuer: "http://json.reliability.test",
		audience: "json",
		refresh: { secret: TEST_REFRESH_SECRET },
		storeTimeout: "2s",
		onEvent: (event) => serverLog.push(`[event] ${inspect(event, { depth: 6 })}`),
	});
	const handler = createNodeHandler(service, {
		authenticate: (_request, params) => (params.username === "demo" ? { subject: "demo", device: "json" } : null),
		onError: (event) => serverLog.push(`[error] ${inspect(event, { depth: 8, maxArrayLength: null, maxStringLength: null })}`),
	});
	const server: Server = createServer((req, res) => void handler(req, res));
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	logClosers.push(
		() =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	);
	const json = new HttpClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
	logClosers.push(() => json.close());
	let jsonRequests = 0;
	const jsonSend = async (path: string, body: Record<string, string>): Promise<{ status: number; refresh: string | null }> => {
		jsonRequests++;
		const result = await json.send("POST", path, { "content-type": "application/json" }, JSON.stringify(body));
		let refresh: string | null = null;
		if (result.status === 200 && result.body !== "") {
			const parsed = JSON.parse(result.body) as { access_token?: string; refresh_token?: string };
			if (parsed.access_token !== undefined) collected.accessTokens.add(parsed.access_token);
			if (parsed.refresh_token !== undefined) collected.refreshTokens.add((refresh = parsed.refresh_token));
		}
		return { status: result.status, refresh };
	};
	const jsonStatuses: Record<number, number> = {};
	const jsonTally = (status: number): void => {
		jsonStatuses[status] = (jsonStatuses[status] ?? 0) + 1;
	};
	for (let c = 0; c < 6; c++) {
		const login = await jsonSend("/auth/login", { username: "demo" });
		jsonTally(login.status);
		let token = login.refresh as string;
		const chain = [token];
		for (let i = 0; i < 6; i++) {
			const tabs = i % 3 === 1 ? 4 : 1;
			const results = await Promise.all(Array.from({ length: tabs }, () => jsonSend("/auth/token", { grant_type: "refresh_token", refresh_token: token })));
			for (const result of results) jsonTally(result.status);
			token = (results[0]?.refresh ?? token) as string;
			chain.push(token);
		}
		if (c % 3 === 0) jsonTally((await jsonSend("/auth/token", { grant_type: "refresh_token", refresh_token: chain[2] as string })).status);
		if (c % 3 === 1) {
			jsonTally((await jsonSend("/auth/revoke", { token })).status);
			jsonTally((await jsonSend("/auth/token", { grant_type: "refresh_token", refresh_token: token })).status);
		}
		if (c % 3 === 2) jsonTally((await jsonSend("/auth/token", { grant_type: "password", refresh_token: token })).status);
	}
	for (const token of forged) jsonTally((await jsonSend("/auth/token", { grant_type: "refresh_token", refresh_token: token })).status);
	const survivor = await jsonSend("/auth/login", { username: "demo" });
	let survivorToken = survivor.refresh as string;
	for (let i = 0; i < 20; i++) {
		const inFlight = jsonSend("/auth/token", { grant_type: "refresh_token", refresh_token: survivorToken });
		await admin`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'reliability-logging'`;
		const result = await inFlight;
		jsonTally(result.status);
		if (result.status === 200) survivorToken = result.refresh as string;
		await sleep(20);
	}

	await demo.stop();
	await sleep(500); // let the server log catch up
	const sources: Record<string, string> = {
		"demo stdout+stderr": demo.lines.map((line) => line.text).join("\n"),
		"json server (drizzle, postgres.js debug, events, onError)": serverLog.join("\n"),
		"postgresql server log (log_statement=all, debug5)": readFileSync(pg.logFile, "utf8"),
	};
	const found = needles(collected);
	const hits: Array<{ source: string; what: string; line: string }> = [];
	for (const [source, text] of Object.entries(sources)) for (const hit of search(text, found)) hits.push({ source, ...hit });

	// The search is not vacuous: the logs hold what they should (ids, hashes, parameters).
	const pgLog = sources["postgresql server log (log_statement=all, debug5)"] as string;
	const anySession = parseRefreshToken([...collected.refreshTokens][0]) as { sessionId: string };
	const coverage = {
		demoLines: demo.lines.length,
		jsonServerLines: serverLog.length,
		drizzleQueryLines: serverLog.filter((line) => line.startsWith("[drizzle]")).length,
		postgresJsDebugLines: serverLog.filter((line) => line.startsWith("[postgres.js debug]")).length,
		errorLines: serverLog.filter((line) => line.startsWith("[error]")).length,
		pgLogBytes: pgLog.length,
		pgLogParameterLines: (pgLog.match(/parameters: \$1 = /g) ?? []).length,
		sessionIdInPgLog: pgLog.includes(anySession.sessionId),
		byteaParametersInPgLog: /\$\d+ = '\\x[0-9a-f]{64}'/.test(pgLog),
		demo503Lines: demo.lines.filter((line) => line.text.startsWith("[auth] 503")).length,
	};
	recordScenario(
		"log-grep",
		{ refreshTokens: collected.refreshTokens.size, accessTokens: collected.accessTokens.size, needles: found.size, demoRequests, jsonRequests, demoStatuses, jsonStatuses, coverage, hits: hits.length, sample: hits.slice(0, 5) },
		{ print: true },
	);
	assert.ok(coverage.drizzleQueryLines > 50 && coverage.postgresJsDebugLines > 50 && coverage.pgLogParameterLines > 100, JSON.stringify(coverage));
	assert.ok(coverage.sessionIdInPgLog && coverage.byteaParametersInPgLog, "parameters are logged, so their absence of secrets means something");
	assert.ok(coverage.errorLines > 0 && coverage.demo503Lines > 0, "failures (with causes) were logged");
	assert.ok(collected.refreshTokens.size > 100 && collected.accessTokens.size > 50);
	assert.equal(hits, []);
});

timing.run();
logs.run();
