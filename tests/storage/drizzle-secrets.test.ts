// What the database and its logs see, on a real PostgreSQL server: statements per exchange
// (pg_stat_statements and a Drizzle query counter), query parameters captured by a Drizzle
// logger, and a pg_dump after traffic in both modes. None may contain a usable token.
import { encodeBase64, encodeBase64urlNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as assert from "uvu/assert";
import type { TokenService, TokenSet } from "../../core/index.js";
import { parseRefreshToken } from "../../core/refresh-token.js";
import { drizzleStore, migrate } from "../../storage/drizzle/index.js";
import { type ManualClock, manualClock, rejects, storedHash } from "../helpers.js";
import { createDatabase, pgDump, postgresOrSkip } from "../support/postgres.js";
import { guardedSuite } from "../support/suite.js";
import { serviceOn } from "./drizzle-cases.js";

const server = await postgresOrSkip();

/** Renders a query parameter the way a log line could: bytes in every common encoding. */
function render(value: unknown): string {
	if (value instanceof Uint8Array) return `${encodeHexLowerCase(value)} ${encodeBase64urlNoPadding(value)} ${encodeBase64(value)}`;
	if (value instanceof Date) return value.toISOString();
	return typeof value === "string" ? value : JSON.stringify(value);
}

/** Every spelling of token material that must never reach the database or its logs. */
function forbidden(tokens: TokenSet[]): string[] {
	const out = new Set<string>();
	for (const tokens_ of tokens) {
		out.add(tokens_.refreshToken);
		out.add(tokens_.accessToken);
		const parts = parseRefreshToken(tokens_.refreshToken);
		assert.ok(parts);
		for (const secret of [parts.secret, parts.familyProof]) {
			out.add(encodeBase64urlNoPadding(secret));
			out.add(encodeHexLowerCase(secret));
			out.add(encodeBase64(secret).replace(/=+$/, ""));
		}
	}
	return [...out];
}

/** Real traffic through the service in both modes; returns every token set it handed out. */
async function traffic(rotate: TokenService, reuse: TokenService, clock: ManualClock): Promise<TokenSet[]> {
	const seen: TokenSet[] = [];
	const keep = (tokens: TokenSet): TokenSet => {
		seen.push(tokens);
		return tokens;
	};
	for (let user = 0; user < 5; user++) {
		let current = keep(await rotate.issue({ subject: `user-${user}`, claims: { tier: "gold" }, device: "web" }));
		const first = current;
		for (let step = 0; step < 4; step++) current = keep(await rotate.exchange(current.refreshToken));
		keep(await rotate.exchange(first.refreshToken).catch(() => current)); // a reuse: revokes the session
		const other = keep(await rotate.issue({ subject: `user-${user}` }));
		const next = keep(await rotate.exchange(other.refreshToken));
		keep(await rotate.exchange(other.refreshToken)); // grace replay
		await rotate.listSessions(`user-${user}`);
		await rotate.revoke(next.refreshToken);
		let live = keep(await rotate.issue({ subject: `user-${user}`, device: "tablet" }));
		for (let step = 0; step < 2; step++) live = keep(await rotate.exchange(live.refreshToken));
		const reused = keep(await reuse.issue({ subject: `user-${user}`, device: "phone" }));
		clock.advance(7200);
		keep(await reuse.issue({ subject: `user-${user}`, device: "phone" }));
		keep(await reuse.exchange(reused.refreshToken));
		await reuse.revokeSubject(`other-${user}`);
	}
	await rotate.prune({ retention: "5h" }); // the first users' revoked sessions go, the rest stay
	return seen;
}

if (server !== null) {
	const test = guardedSuite("postgres: what the database sees");
	const clients: postgres.Sql[] = [];
	let admin: postgres.Sql;

	function client(url: string, max = 1): postgres.Sql {
		const sql = postgres(url, { max, onnotice: () => {}, fetch_types: false, idle_timeout: 20 });
		clients.push(sql);
		return sql;
	}

	test.before(() => {
		admin = client(server.url);
	});
	test.after(async () => {
		await Promise.all(clients.splice(0).map((sql) => sql.end({ timeout: 5 })));
	});

	test("statements per call, counted by the server (pg_stat_statements) and by a Drizzle logger", async () => {
		const url = await createDatabase("rk_storage_statements");
		let logged = 0;
		const db = drizzle(client(url), { logger: { logQuery: () => void logged++ } });
		await migrate(db);
		const clock = manualClock();
		const rotate = serviceOn(drizzleStore(db), clock, [], { refresh: { reuseGrace: "10s" } });
		const reuse = serviceOn(drizzleStore(db), clock, [], { refresh: { mode: "reuse" } });
		const useStats = server.statStatements;
		// The view lives in the maintenance database; the counts are filtered to the test database.
		if (useStats) await admin.unsafe(`create extension if not exists pg_stat_statements`);
		async function count(run: () => Promise<unknown>): Promise<{ server: number | null; drizzle: number; detail: string }> {
			if (useStats) await admin`select pg_stat_statements_reset()`;
			logged = 0;
			await run();
			const drizzleCount = logged;
			if (!useStats) return { server: null, drizzle: drizzleCount, detail: "" };
			const rows = await admin`select s.calls::int as calls, left(regexp_replace(s.query, '\\s+', ' ', 'g'), 60) as query
				from pg_stat_statements s join pg_database d on d.oid = s.dbid where d.datname = 'rk_storage_statements' order by s.calls desc`;
			const total = rows.reduce((sum, row) => sum + Number(row.calls), 0);
			return { server: total, drizzle: drizzleCount, detail: rows.map((row) => `${row.calls}× ${row.query}`).join(" | ") };
		}
		// Warm up: every statement prepared on the (single) connection.
		let tokens = await rotate.issue({ subject: "counted" });
		tokens = await rotate.exchange(tokens.refreshToken);
		const report: Record<string, string> = {};
		const N = 20;
		const happy = await count(async () => {
			for (let i = 0; i < N; i++) tokens = await rotate.exchange(tokens.refreshToken);
		});
		report.happyExchange = `${(happy.server ?? happy.drizzle) / N} (${happy.detail || "server count unavailable"})`;
		assert.is(happy.drizzle, N);
		if (happy.server !== null) assert.is(happy.server, N);
		let previous = tokens;
		tokens = await rotate.exchange(tokens.refreshToken);
		const grace = await count(() => rotate.exchange(previous.refreshToken));
		report.graceReplay = String(grace.server ?? grace.drizzle);
		assert.is(grace.drizzle, 1);
		clock.advance(60);
		previous = tokens;
		tokens = await rotate.exchange(tokens.refreshToken);
		clock.advance(60);
		const reused = await count(() => rejects(rotate.exchange(previous.refreshToken), "ERR_TOKEN_REUSED"));
		report.reuseDetected = String(reused.server ?? reused.drizzle);
		assert.is(reused.drizzle, 2);
		const issued = await count(() => rotate.issue({ subject: "counted" }));
		report.issueRotateMode = String(issued.server ?? issued.drizzle);
		assert.is(issued.drizzle, 1);
		const miss = await count(() => reuse.issue({ subject: "counted-reuse", device: "d" }));
		report.issueReuseModeNew = `${miss.server ?? "?"} (${miss.detail})`;
		const hit = await count(() => reuse.issue({ subject: "counted-reuse", device: "d" }));
		report.issueReuseModeExisting = String(hit.server ?? hit.drizzle);
		const reusable = await reuse.issue({ subject: "counted-reuse", device: "d" });
		const reuseExchange = await count(() => reuse.exchange(reusable.refreshToken));
		report.exchangeReuseMode = String(reuseExchange.server ?? reuseExchange.drizzle);
		assert.is(reuseExchange.drizzle, 1);
		clock.advance(7200);
		const touched = await count(() => reuse.exchange(reusable.refreshToken));
		report.exchangeReuseModeWithTouch = String(touched.server ?? touched.drizzle);
		// Reuse mode: a first login is the fast-path lookup plus one transaction (begin, isolation
		// level, the advisory lock, a second look, the insert: 6 statements on the server, 5 through
		// Drizzle, whose logger does not see the driver's BEGIN); a returning login is the lookup alone;
		// an exchange is one read, plus the touch once touchInterval has passed. A change in these
		// numbers is a change in the round trips of every login: make it on purpose.
		assert.equal([miss.drizzle, hit.drizzle, reuseExchange.drizzle, touched.drizzle], [5, 1, 1, 2], "reuse mode: Drizzle statements of a first login, a returning login, an exchange, an exchange that slides the idle expiry");
		if (miss.server !== null) assert.equal([miss.server, hit.server, reuseExchange.server, touched.server], [6, 1, 1, 2], `reuse mode, counted by the server: ${miss.detail}`);
		console.log(`    [statements] ${JSON.stringify(report, null, 1).replace(/\n\s*/g, " ")}`);
		if (grace.server !== null) assert.is(grace.server, 1);
		if (reused.server !== null) assert.is(reused.server, 2);
	});

	test("a Drizzle logger capturing every query and parameter sees no token material", async () => {
		const url = await createDatabase("rk_storage_logged");
		const log: string[] = [];
		const db = drizzle(client(url, 4), {
			logger: { logQuery: (query, params) => void log.push(`${query} -- ${params.map(render).join(" | ")}`) },
		});
		await migrate(db);
		const clock = manualClock();
		const issued = await traffic(serviceOn(drizzleStore(db), clock, []), serviceOn(drizzleStore(db), clock, [], { refresh: { mode: "reuse" } }), clock);
		const text = log.join("\n");
		assert.ok(log.length > 100, `only ${log.length} queries captured`);
		const first = parseRefreshToken((issued[0] as TokenSet).refreshToken);
		assert.ok(text.includes(first?.sessionId as string), "the log does carry the (public) session ids");
		// Control: the search does find byte parameters, e.g. the first token's hash.
		assert.ok(text.includes(encodeHexLowerCase(storedHash((issued[0] as TokenSet).refreshToken))), "hash parameters are in the captured log");
		for (const needle of forbidden(issued)) assert.not.ok(text.includes(needle), "token material in the query log");
	});

	test("pg_dump after traffic in rotate and reuse mode holds no token and no secret part", async () => {
		const url = await createDatabase("rk_storage_dumped");
		const db = drizzle(client(url, 4));
		await migrate(db);
		const clock = manualClock();
		const issued = await traffic(serviceOn(drizzleStore(db), clock, []), serviceOn(drizzleStore(db), clock, [], { refresh: { mode: "reuse" } }), clock);
		const dump = await pgDump(server, "rk_storage_dumped");
		const rows = await client(url)`select count(*)::int as n, count(*) filter (where mode = 'reuse')::int as reuse from refresh_kit_sessions`;
		assert.ok((rows[0]?.n ?? 0) - (rows[0]?.reuse ?? 0) >= 5 && (rows[0]?.reuse ?? 0) >= 5, `the dump covers sessions of both modes: ${JSON.stringify(rows[0])}`);
		const last = parseRefreshToken((issued.at(-1) as TokenSet).refreshToken);
		assert.ok(dump.includes(last?.sessionId as string), "the dump does contain the session rows");
		// Control: bytea columns are searchable in the dump, e.g. the last token's hash.
		assert.ok(dump.includes(encodeHexLowerCase(storedHash((issued.at(-1) as TokenSet).refreshToken))), "the stored hash is in the dump");
		for (const needle of forbidden(issued)) assert.not.ok(dump.includes(needle), "token material in pg_dump output");
	});

	test.run();
}
