// PostgreSQL-side helpers of the bench: bulk-loading sessions, the exact statements the store
// sends (captured from the driver), the pgbench script of the rotation statement, and
// statement counts per exchange path.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { type Clock, createTokenService } from "../../core/index.js";
import { drizzleStore, migrate } from "../../storage/drizzle/index.js";
import { PGBIN, type PostgresServer } from "./postgres.js";
import { BENCH_REFRESH_SECRET, BENCH_SIGNING_SECRET } from "./secrets.js";

export const TABLE = "refresh_kit_sessions";

/**
 * Filler sessions with ids 1..N as UUIDs (`lpad(to_hex(g), 32, '0')::uuid`) whose token hash
 * pgbench can compute from the id (the UUID's 16 bytes twice), shaped like rotated sessions:
 * every 32-byte hash column filled. Every tenth row (g % 10 = 0) expired 8 days ago: prunable
 * with the default 7-day retention, and never picked by the pgbench script. `prune_after` is
 * the expiry, as the store writes it for a session created with that expiry. Constants are
 * computed once (the cross join) so that each row pays only for its own values: per-row work is
 * what a bulk load's time is made of (bench/README.md, "known costs").
 */
export function fillSql(from: number, to: number): string {
	return `insert into ${TABLE} (id, created_at, last_used_at, rotated_at, expires_at, absolute_expires_at, revoked_at, generation, mode, subject, device, family_hash, token_hash, previous_hash, sealed_successor, claims, prune_after)
select u.id, k.created, k.used, k.used, e.expires, k.absolute, null, 1, 'rotate', 'user-' || g, null,
	k.hash, uuid_send(u.id) || uuid_send(u.id), k.hash, k.hash, null, e.expires
from (select now() - interval '20 days' as created, now() - interval '1 day' as used, now() - interval '8 days' as dead,
	now() + interval '29 days' as live, now() + interval '70 days' as absolute, sha256('filler'::bytea) as hash) as k,
	generate_series(${from}, ${to}) as g, lateral (select lpad(to_hex(g), 32, '0')::uuid as id) as u,
	lateral (select case when g % 10 = 0 then k.dead else k.live end as expires) as e`;
}

export interface FillReport {
	rows: number;
	seconds: number;
}

/**
 * Grows the filler to `target` rows (ids `have+1..target`) the fast way: for a big step the
 * indexes and the primary key are dropped, rows inserted in chunks with INSERT … SELECT
 * generate_series by two sessions at once (one per core), the primary key and indexes rebuilt
 * (each a single sort), then VACUUM ANALYZE so that autovacuum does not start mid-measurement.
 */
export async function growFiller(pg: PostgresServer, database: string, have: number, target: number): Promise<FillReport> {
	if (target <= have) return { rows: 0, seconds: 0 };
	const t0 = performance.now();
	const bulk = target - have > 200_000;
	const indexes = pg
		.psql(`select indexname || '|' || indexdef from pg_indexes where tablename = '${TABLE}' and indexname not like '%_pkey'`, database)
		.split("\n")
		.filter((line) => line.includes("|"))
		.map((line) => ({ name: line.slice(0, line.indexOf("|")), definition: line.slice(line.indexOf("|") + 1) }));
	const primaryKey = pg.psql(`select conname || '|' || pg_get_constraintdef(oid) from pg_constraint where conrelid = '${TABLE}'::regclass and contype = 'p'`, database);
	if (bulk) {
		for (const index of indexes) pg.psql(`drop index ${index.name}`, database);
		if (primaryKey !== "") pg.psql(`alter table ${TABLE} drop constraint ${primaryKey.split("|")[0]}`, database);
	}
	const chunk = 500_000;
	const ranges: [number, number][] = [];
	for (let from = have + 1; from <= target; from += chunk) ranges.push([from, Math.min(target, from + chunk - 1)]);
	async function worker(): Promise<void> {
		for (let range = ranges.shift(); range !== undefined; range = ranges.shift()) await psqlAsync(pg, database, fillSql(range[0], range[1]));
	}
	await Promise.all([worker(), worker()]);
	if (bulk) {
		if (primaryKey !== "") {
			const [name, definition] = primaryKey.split("|") as [string, string];
			pg.psql(`set maintenance_work_mem = '512MB'; alter table ${TABLE} add constraint ${name} ${definition}`, database);
		}
		await Promise.all(indexes.map((index) => psqlAsync(pg, database, `set maintenance_work_mem = '256MB'; ${index.definition}`)));
	}
	pg.psql(`vacuum analyze ${TABLE}`, database);
	return { rows: target - have, seconds: (performance.now() - t0) / 1000 };
}

function psqlAsync(pg: PostgresServer, database: string, sql: string): Promise<void> {
	return new Promise((resolve, reject) => {
		const child = spawn("psql", ["-h", "127.0.0.1", "-p", String(pg.port), "-U", "postgres", "-d", database, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], { stdio: ["ignore", "ignore", "pipe"] });
		let stderr = "";
		child.stderr.on("data", (chunk: Buffer) => {
			stderr += chunk.toString();
		});
		child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`psql failed (${sql.slice(0, 120)}): ${stderr}`))));
	});
}

export interface DiskUsage {
	rows: number;
	totalBytes: number;
	heapBytes: number;
	indexBytes: number;
	bytesPerSession: number;
	/** The primary key (what every rotation descends): its size and its B-tree levels above the leaves (pageinspect's bt_metap). */
	primaryKey?: { bytes: number; levels: number };
}

export function diskUsage(pg: PostgresServer, database: string): DiskUsage {
	const [rows, total, heap, index] = pg.psql(`select count(*), pg_total_relation_size('${TABLE}'), pg_relation_size('${TABLE}'), pg_indexes_size('${TABLE}') from ${TABLE}`, database).split("|").map(Number) as [
		number,
		number,
		number,
		number,
	];
	pg.psql("create extension if not exists pageinspect", database);
	const [pkeyBytes, levels] = pg.psql(`select pg_relation_size('${TABLE}_pkey'), (select level from bt_metap('${TABLE}_pkey'))`, database).split("|").map(Number) as [number, number];
	return { rows, totalBytes: total, heapBytes: heap, indexBytes: index, bytesPerSession: total / rows, primaryKey: { bytes: pkeyBytes, levels } };
}

/** Block reads and buffer hits of the sessions table and its indexes so far (pg_statio_user_tables). */
export function blockCounters(pg: PostgresServer, database: string): { heapRead: number; heapHit: number; indexRead: number; indexHit: number } {
	const [heapRead, heapHit, indexRead, indexHit] = pg
		.psql(`select heap_blks_read, heap_blks_hit, coalesce(idx_blks_read, 0), coalesce(idx_blks_hit, 0) from pg_statio_user_tables where relname = '${TABLE}'`, database)
		.split("|")
		.map(Number) as [number, number, number, number];
	return { heapRead, heapHit, indexRead, indexHit };
}

export interface CapturedStatement {
	text: string;
	/** What each $n is: the rotation field it carries. */
	roles: string[];
}

/**
 * The rotation statement exactly as the store sends it, captured from postgres.js's debug
 * hook while rotating a session that does not exist (nothing changes), with each parameter
 * identified by value.
 */
export async function captureRotateStatement(url: string): Promise<CapturedStatement> {
	let captured: { text: string; params: unknown[] } | null = null;
	const client = postgres(url, {
		max: 1,
		onnotice: () => undefined,
		debug: (_connection, query, params) => {
			if (/update/i.test(query) && /returning/i.test(query)) captured = { text: query, params: params as unknown[] };
		},
	});
	try {
		const store = drizzleStore(drizzle(client));
		const input = {
			sessionId: "00000000-0000-4000-8000-00000000beef",
			presentedHash: new Uint8Array(32).fill(1),
			successorHash: new Uint8Array(32).fill(2),
			sealedSuccessor: new Uint8Array(32).fill(3),
			now: new Date("2030-01-01T00:00:00.000Z"),
			idleExpiresAt: new Date("2030-01-31T00:00:00.000Z"),
		};
		await store.rotateToken(input);
		const statement = captured as { text: string; params: unknown[] } | null;
		if (statement === null) throw new Error("the rotation statement was not seen");
		const roles = statement.params.map((value) => {
			if (value === input.sessionId) return "sessionId";
			if (value === input.now.toISOString()) return "now";
			if (value === input.idleExpiresAt.toISOString()) return "idleExpiresAt";
			// postgres.js hands bytea to the hook either as bytes or already serialized as "\\x…" text.
			const hex = value instanceof Uint8Array ? `\\x${Buffer.from(value).toString("hex")}` : String(value);
			for (const name of ["presentedHash", "successorHash", "sealedSuccessor"] as const) {
				if (hex === `\\x${Buffer.from(input[name]).toString("hex")}`) return name;
			}
			return `unknown(${String(value)})`;
		});
		return { text: statement.text, roles };
	} finally {
		await client.end({ timeout: 5 });
	}
}

const ROLE_EXPRESSIONS: Record<string, string> = {
	sessionId: "lpad(to_hex(:id::bigint), 32, '0')::uuid",
	// The filler's token hash is derived from the id; rotating "to" the same hash keeps every
	// row rotatable forever while doing the same writes as a real rotation.
	presentedHash: "(uuid_send(lpad(to_hex(:id::bigint), 32, '0')::uuid) || uuid_send(lpad(to_hex(:id::bigint), 32, '0')::uuid))",
	successorHash: "(uuid_send(lpad(to_hex(:id::bigint), 32, '0')::uuid) || uuid_send(lpad(to_hex(:id::bigint), 32, '0')::uuid))",
	sealedSuccessor: "(uuid_send(lpad(to_hex(:id::bigint), 32, '0')::uuid) || uuid_send(lpad(to_hex(:id::bigint), 32, '0')::uuid))",
	now: "now()",
	idleExpiresAt: "(now() + interval '30 days')",
};

/**
 * A pgbench script running the store's rotation statement alone on random live filler rows
 * (`-M prepared`, like postgres.js). Each $n becomes an expression of a random id.
 */
export function pgbenchScript(statement: CapturedStatement, fillerRows: number): string {
	let text = statement.text;
	for (let n = statement.roles.length; n >= 1; n--) {
		const role = statement.roles[n - 1] as string;
		const expression = ROLE_EXPRESSIONS[role];
		if (expression === undefined) throw new Error(`cannot express parameter $${n} (${role}) in pgbench`);
		text = text.replaceAll(new RegExp(`\\$${n}(?![0-9])`, "g"), expression);
	}
	const live = Math.floor((fillerRows / 10) * 9);
	// Skip ids that are multiples of 10 (expired filler): k in 0..live-1 -> id = (k / 9) * 10 + k % 9 + 1.
	return `\\set k random(0, ${live - 1})\n\\set id (:k / 9) * 10 + (:k % 9) + 1\n${text.replace(/\s+/g, " ").trim()};\n`;
}

export interface PgbenchResult {
	/** PostgreSQL CPU seconds per transaction, when the caller measured it. */
	postgresCpuPerTransaction?: number;
	tps: number;
	latencyMs: number;
	transactions: number;
	failed: number;
}

export function runPgbench(pg: PostgresServer, database: string, script: string, clients: number, seconds: number, dir: string, wrap: string[] = []): PgbenchResult {
	const file = join(dir, "rotate.pgbench.sql");
	writeFileSync(file, script);
	const argv = [...wrap, existsSync(`${PGBIN}/pgbench`) ? `${PGBIN}/pgbench` : "pgbench"];
	const result = spawnSync(argv[0] as string, [...argv.slice(1), "-n", "-M", "prepared", "-c", String(clients), "-j", "1", "-T", String(seconds), "-f", file, "-h", "127.0.0.1", "-p", String(pg.port), "-U", "postgres", database], {
		encoding: "utf8",
	});
	if (result.status !== 0) throw new Error(`pgbench failed: ${result.stderr}\n${result.stdout}`);
	const out = result.stdout;
	const number = (pattern: RegExp): number => Number(pattern.exec(out)?.[1] ?? Number.NaN);
	return {
		tps: number(/tps = ([\d.]+) \(without initial connection time\)/),
		latencyMs: number(/latency average = ([\d.]+) ms/),
		transactions: number(/number of transactions actually processed: (\d+)/),
		failed: number(/number of failed transactions: (\d+)/) || 0,
	};
}

export interface RoundTrips {
	path: string;
	/** Statements the driver sent per exchange (client side). */
	clientStatements: number;
	/** Statements PostgreSQL executed per exchange (pg_stat_statements, top level, incl. BEGIN/COMMIT). */
	serverStatements: number;
	/** The statements by kind, as PostgreSQL saw them. */
	kinds: string;
}

/**
 * Statements per exchange on each path, counted twice: by the driver (postgres.js debug hook)
 * and by PostgreSQL (pg_stat_statements, reset before each path). A manual clock places the
 * replays inside and outside the grace window.
 */
export async function countRoundTrips(pg: PostgresServer, database: string, repetitions: number): Promise<RoundTrips[]> {
	pg.psql("alter system set pg_stat_statements.track = 'top'");
	pg.psql("select pg_reload_conf()");
	await new Promise((resolve) => setTimeout(resolve, 300));
	let sent = 0;
	const client = postgres(pg.url(database), { max: 1, onnotice: () => undefined, debug: () => void sent++ });
	const db = drizzle(client);
	await migrate(db);
	const store = drizzleStore(db);
	let now = Date.parse("2030-06-01T00:00:00.000Z");
	const clock: Clock = { now: () => new Date(now) };
	const common = { store, keys: { secret: BENCH_SIGNING_SECRET }, issuer: "https://a.test", audience: "https://b.test", clock };
	const rotating = createTokenService({ ...common, refresh: { mode: "rotate", reuseGrace: "10s", secret: BENCH_REFRESH_SECRET } });
	const reusing = createTokenService({ ...common, refresh: { mode: "reuse", secret: BENCH_REFRESH_SECRET } });
	const results: RoundTrips[] = [];
	const dbOid = pg.psql(`select oid from pg_database where datname = '${database}'`);

	async function measure(path: string, prepare: () => Promise<() => Promise<unknown>>): Promise<void> {
		const actions: (() => Promise<unknown>)[] = [];
		for (let i = 0; i < repetitions; i++) actions.push(await prepare());
		pg.psql("select pg_stat_statements_reset()");
		const before = sent;
		for (const action of actions) await action();
		const clientStatements = (sent - before) / repetitions;
		const rows = pg
			.psql(`select calls || '|' || regexp_replace(left(query, 60), '\\s+', ' ', 'g') from pg_stat_statements where dbid = ${dbOid} and query not like '%pg_stat_statements%' order by calls desc`)
			.split("\n")
			.filter((line) => line.includes("|"));
		let serverStatements = 0;
		const kinds: string[] = [];
		for (const row of rows) {
			const calls = Number(row.slice(0, row.indexOf("|")));
			serverStatements += calls;
			kinds.push(`${(calls / repetitions).toFixed(2)}× ${row.slice(row.indexOf("|") + 1).trim()}`);
		}
		results.push({ path, clientStatements, serverStatements: serverStatements / repetitions, kinds: kinds.join("; ") });
	}

	let counter = 0;
	const subject = (): string => `rt-${process.pid}-${counter++}`;
	try {
		await measure("issue (login, rotate mode)", async () => () => rotating.issue({ subject: subject() }));
		await measure("exchange, happy path (rotate)", async () => {
			const set = await rotating.issue({ subject: subject() });
			return () => rotating.exchange(set.refreshToken);
		});
		await measure("exchange, grace replay (old token within reuseGrace)", async () => {
			const set = await rotating.issue({ subject: subject() });
			await rotating.exchange(set.refreshToken);
			return () => rotating.exchange(set.refreshToken);
		});
		await measure("exchange, reuse detected (old token after reuseGrace; revokes)", async () => {
			const set = await rotating.issue({ subject: subject() });
			await rotating.exchange(set.refreshToken);
			return async () => {
				const saved = now;
				now += 60_000;
				try {
					await rotating.exchange(set.refreshToken);
				} catch {
					// ERR_TOKEN_REUSED is the expected outcome
				} finally {
					now = saved;
				}
			};
		});
		await measure("exchange, reuse mode (long-lived token)", async () => {
			const set = await reusing.issue({ subject: subject() });
			return () => reusing.exchange(set.refreshToken);
		});
		await measure("verify (access token)", async () => {
			const set = await rotating.issue({ subject: subject() });
			return () => rotating.verify(set.accessToken);
		});
	} finally {
		await client.end({ timeout: 5 });
		pg.psql("alter system set pg_stat_statements.track = 'none'");
		pg.psql("select pg_reload_conf()");
	}
	return results;
}
