// Section 3, continued: where the rotate server's CPU goes (V8 profiler over one measured window,
// started and stopped by signal so startup is not in it), the share of heap-only updates, and
// EXPLAIN ANALYZE of the rotation statement.
import { join } from "node:path";
import { runLoad } from "../lib/load.js";
import type { PostgresServer } from "../lib/postgres.js";
import { BENCH_DIR, spawnNode } from "../lib/proc.js";
import { summarizeProfile } from "../lib/profile.js";
import { type CapturedStatement, pgbenchScript, TABLE } from "../lib/sql.js";
import type { Results } from "../results.js";
import { type BenchContext, clientWrap, loadSpec, serverWrap } from "./common.js";
import { refreshKitWorkload } from "./servers.js";

export async function runRotateProfile(ctx: BenchContext, options: { pg: PostgresServer; statement: CapturedStatement; fillerRows: number }): Promise<Pick<Results, "rotateProfile" | "explain" | "hot">> {
	const { config } = ctx;
	const { pg } = options;
	const concurrency = 50;
	const data: Pick<Results, "rotateProfile" | "explain" | "hot"> = {};
	ctx.log(`   profiling the rotate server (V8 profiler over the measured window) at ${concurrency} connections; EXPLAIN ANALYZE of the statement`);
	const file = join(ctx.scratch, "rotate.cpuprofile");
	pg.psql(`select pg_stat_reset_single_table_counters('${TABLE}'::regclass)`, "bench");
	const server = await spawnNode(join(BENCH_DIR, "servers/refresh-kit.ts"), [], {
		env: { DATABASE_URL: pg.url("bench"), MODE: "rotate", POOL: String(config.pool), BENCH_PROFILE: file },
		wrap: serverWrap(config),
	});
	try {
		await runLoad(loadSpec(config, { port: Number(server.ready), connections: concurrency, tag: `profile-${Date.now()}`, workload: refreshKitWorkload, durationMs: config.quick ? 1000 : 4000 }), {
			wrap: clientWrap(config),
			onWindow: () => server.child.kill("SIGUSR2"),
		});
		for (let i = 0; i < 100 && !server.lines.includes("PROFILED"); i++) await new Promise((resolve) => setTimeout(resolve, 50));
	} finally {
		await server.stop();
	}
	if (server.lines.includes("PROFILED")) {
		data.rotateProfile = {
			concurrency,
			summary: summarizeProfile(file, {
				top: 20,
				inclusive:
					/nodeAuthHandler|handleAuthRequest|dispatch|writeResponse|readBody|parseParams|exchangeRotating|rotateToken|signAccessToken|tokenSet|hashFamilyProof|sealSuccessor|parseRefreshToken|formatRefreshToken|storeCall|toRecord|execute|sign node_modules\/jose/,
			}),
		};
	}
	// One execution of the statement on a live filler row (it rotates to the same hash).
	const text = pgbenchScript(options.statement, options.fillerRows).split("\n")[2] as string;
	data.explain = pg.psql(`explain (analyze, buffers, costs off, timing on) ${text.replaceAll(":id", "4")}`, "bench");
	const [updates, hot] = pg.psql(`select n_tup_upd, n_tup_hot_upd from pg_stat_user_tables where relname = '${TABLE}'`, "bench").split("|").map(Number) as [number, number];
	data.hot = { table: TABLE, updates, hotUpdates: hot };
	return data;
}
