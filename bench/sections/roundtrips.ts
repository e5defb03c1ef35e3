// Section 4: statements per exchange path, counted by the driver and by PostgreSQL.
import type { PostgresServer } from "../lib/postgres.js";
import { countRoundTrips, type RoundTrips } from "../lib/sql.js";
import { type Target, target } from "../report/targets.js";
import type { Results } from "../results.js";
import type { BenchContext } from "./common.js";

export async function runRoundTrips(ctx: BenchContext, options: { pg: PostgresServer }): Promise<RoundTrips[]> {
	ctx.log("4. statements per exchange (driver count and pg_stat_statements)");
	return countRoundTrips(options.pg, "bench", ctx.config.quick ? 20 : 100);
}

export function roundTripTargets(results: Results): Target[] {
	const happy = results.roundTrips?.find((entry) => entry.path.startsWith("exchange, happy"));
	const point = happy === undefined ? null : { detail: `${happy.clientStatements} sent by the driver, ${happy.serverStatements} executed (pg_stat_statements)`, met: happy.clientStatements === 1 && happy.serverStatements === 1 };
	return [target({ label: "one statement per happy-path exchange", threshold: 1, points: [point] })];
}
