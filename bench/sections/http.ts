// Section 3: HTTP refresh throughput of every workload in serverDefs(), and the PostgreSQL
// ceiling of the rotation statement under pgbench, at each concurrency, interleaved.

import { type LoadRun, runLoad } from "../lib/load.js";
import type { PostgresServer } from "../lib/postgres.js";
import type { NodeChild } from "../lib/proc.js";
import { type CapturedStatement, type PgbenchResult, pgbenchScript, runPgbench } from "../lib/sql.js";
import { fmt, fmtSummary, summarize } from "../lib/stats.js";
import { ceilingOf, httpOf } from "../report/format.js";
import { comparison, ratioPoint, type Target, type TargetPoint, target } from "../report/targets.js";
import { type Results, summarizeHttp } from "../results.js";
import { type BenchContext, busyLevels, clientWrap, loadSpec } from "./common.js";
import type { ServerDef } from "./servers.js";

interface ThroughputTarget {
	label: string;
	ours: string;
	/** A workload key, or "pgbench" for the PostgreSQL ceiling. */
	versus: string;
	threshold: number;
	/** The one concurrency where it is judged; default every one above a single connection. */
	at?: number;
	/** What is compared: requests per second (default, higher is better) or the p99 latency (lower is better). */
	metric?: "p99";
}

/**
 * The throughput targets: issue 5's against the peers, issue 15's against the minimal rotating
 * endpoint and for batching, issue 10's against the tree before refresh.secret. A new one is a
 * line here; a target whose workloads were not run shows as not measured.
 */
const TARGETS: readonly ThroughputTarget[] = [
	{ label: "rotate mode ≥ 3× the tutorial baseline's refresh throughput", ours: "rotate", versus: "tutorial", threshold: 3 },
	{ label: "rotate mode ≥ 1.5× node-oidc-provider's", ours: "rotate", versus: "oidc", threshold: 1.5 },
	{ label: "reuse mode ≥ 5× the tutorial baseline", ours: "reuse", versus: "tutorial", threshold: 5 },
	{ label: "rotate mode ≥ 0.5× the PostgreSQL ceiling of its own statement", ours: "rotate", versus: "pgbench", threshold: 0.5 },
	{ label: "rotate mode, HS256 ≥ 1.0× the minimal rotating endpoint, HS256", ours: "rotate", versus: "minimal-hs256", threshold: 1 },
	{ label: "rotate mode, ES256 ≥ 1.0× the minimal rotating endpoint, ES256", ours: "rotate-es256", versus: "minimal-es256", threshold: 1 },
	{ label: "rotate mode, EdDSA ≥ 1.0× the minimal rotating endpoint, EdDSA", ours: "rotate-eddsa", versus: "minimal-eddsa", threshold: 1 },
	{ label: "reuse mode ≥ 1.0× the tutorial with its secret as a KeyObject (one read per refresh each)", ours: "reuse", versus: "tutorial-keyobject", threshold: 1 },
	{ label: "batched rotations at 50 connections ≥ 1.5× the minimal one-statement endpoint", ours: "rotate", versus: "minimal-hs256", threshold: 1.5, at: 50 },
	{ label: "batched rotations at 50 connections: p99 ≤ 1.2× that of one statement per refresh", ours: "rotate", versus: "rotate-unbatched", threshold: 1.2, at: 50, metric: "p99" },
	{ label: "batched rotations at 1 connection ≥ 1.0× one statement per refresh (no slower)", ours: "rotate", versus: "rotate-unbatched", threshold: 1, at: 1 },
	{ label: "rotate mode ≥ 0.95× the tree before refresh.secret (issue 10)", ours: "rotate", versus: "rotate-base", threshold: 0.95 },
	{ label: "reuse mode ≥ 0.95× the tree before refresh.secret (issue 10)", ours: "reuse", versus: "reuse-base", threshold: 0.95 },
];

export async function runHttp(ctx: BenchContext, options: { pg: PostgresServer; servers: Map<string, NodeChild>; defs: ServerDef[]; statement: CapturedStatement; fillerRows: number }): Promise<Pick<Results, "http" | "pgbench">> {
	const { config, log } = ctx;
	const { pg, servers, defs } = options;
	const data: Pick<Results, "http" | "pgbench"> = { http: [], pgbench: [] };
	log(`3. HTTP refresh, ${config.concurrency.join(" and ")} connections, ${config.runs} run(s) × ${config.durationMs / 1000} s per workload, interleaved`);
	const script = pgbenchScript(options.statement, options.fillerRows);
	for (const concurrency of config.concurrency) {
		const runs = new Map<string, LoadRun[]>(defs.map((def) => [def.key, []]));
		const pgbench: PgbenchResult[] = [];
		const here = defs.filter((def) => def.concurrency === undefined || def.concurrency.includes(concurrency));
		// The ceiling is the statement under concurrency: not measured for a single connection.
		const ceiling = busyLevels(config.concurrency).includes(concurrency) && config.workloads === null;
		for (let run = 0; run < config.runs; run++) {
			// Rotate the order every run so drift and warm caches favour no one.
			const order = [...here.map((def) => def.key), ...(ceiling ? ["pgbench"] : [])];
			const shifted = order.map((_, index) => order[(index + run) % order.length] as string);
			for (const key of shifted) {
				if (key === "pgbench") {
					const before = pg.cpuSeconds();
					const result = runPgbench(pg, "bench", script, concurrency, Math.max(1, Math.round(config.durationMs / 1000)), ctx.scratch, clientWrap(config));
					// Includes connection setup and pgbench's init (their share: bench/README.md, "known costs").
					result.postgresCpuPerTransaction = (pg.cpuSeconds() - before) / Math.max(1, result.transactions);
					pgbench.push(result);
					continue;
				}
				const def = defs.find((candidate) => candidate.key === key) as ServerDef;
				const server = servers.get(key) as NodeChild;
				const result = await runLoad(loadSpec(config, { port: Number(server.ready), connections: concurrency, tag: `${key}-${concurrency}-${run}`, workload: def.workload }), {
					wrap: clientWrap(config),
					serverPids: () => [server.pid],
					postgresCpu: () => (def.postgres ? pg.cpuSeconds() : 0),
				});
				(runs.get(key) as LoadRun[]).push(result);
				log(
					`   c=${concurrency} run ${run + 1}/${config.runs} ${key.padEnd(18)} ${fmt(result.rps).padStart(7)} req/s  p50 ${(result.p50 / 1000).toFixed(2)} ms  p99 ${(result.p99 / 1000).toFixed(2)} ms  CPU µs/req ${[result.cpuPerRequest.client, result.cpuPerRequest.server, result.cpuPerRequest.postgres].map((seconds) => fmt(seconds * 1e6)).join(" / ")}${result.errors > 0 ? `  ERRORS ${result.errors}: ${result.firstError}` : ""}`,
				);
			}
		}
		for (const def of here) data.http.push(summarizeHttp({ key: def.key, label: def.label, concurrency, runs: runs.get(def.key) as LoadRun[] }));
		if (!ceiling) continue;
		data.pgbench.push({ concurrency, runs: pgbench, tps: summarize(pgbench.map((r) => r.tps)), latencyMs: summarize(pgbench.map((r) => r.latencyMs)) });
		log(`   c=${concurrency} pgbench ceiling ${fmtSummary(summarize(pgbench.map((r) => r.tps)))} TPS`);
	}
	return data;
}

/** Each throughput target where it is judged: met only where it is met at all of those concurrencies. */
export function httpTargets(results: Results, options: { concurrency: readonly number[] }): Target[] {
	return TARGETS.map((entry) => {
		const levels = entry.at !== undefined ? [entry.at] : busyLevels(options.concurrency);
		const points = levels.map((concurrency) => (entry.metric === "p99" ? p99Point(results, entry, concurrency) : rpsPoint(results, entry, concurrency)));
		return target({ label: entry.label, threshold: entry.threshold, points });
	});
}

function rpsPoint(results: Results, entry: ThroughputTarget, concurrency: number): TargetPoint | null {
	return ratioPoint({
		at: `c=${concurrency}`,
		ours: httpOf(results, entry.ours, concurrency)?.rps.median ?? Number.NaN,
		theirs: entry.versus === "pgbench" ? ceilingOf(results, concurrency) : (httpOf(results, entry.versus, concurrency)?.rps.median ?? Number.NaN),
		unit: entry.versus === "pgbench" ? "TPS (pgbench)" : "req/s",
		threshold: entry.threshold,
	});
}

function p99Point(results: Results, entry: ThroughputTarget, concurrency: number): TargetPoint | null {
	const ours = httpOf(results, entry.ours, concurrency)?.p99.median;
	const theirs = httpOf(results, entry.versus, concurrency)?.p99.median;
	if (ours === undefined || theirs === undefined) return null;
	return comparison({ at: `c=${concurrency}`, detail: `p99 ${(ours / 1000).toFixed(1)} vs ${(theirs / 1000).toFixed(1)} ms`, ratio: ours / theirs, threshold: entry.threshold, better: "lower" });
}
