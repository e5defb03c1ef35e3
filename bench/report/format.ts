// Small pure helpers of the report: units, and looking figures up in the results.

import type { ProfileSummary } from "../lib/profile.js";
import type { PgbenchResult } from "../lib/sql.js";
import { fmt, fmtSummary, mapSummary, type Summary, summarize } from "../lib/stats.js";
import type { HttpSummary, Results } from "../results.js";

/** Seconds as µs with three significant digits. */
export function us(seconds: number): string {
	return `${fmt(seconds * 1e6)}`;
}

/** A latency summary taken in µs, shown in ms: "6.27 (5.25–7.55)". */
export function msSummary(summary: Summary): string {
	return fmtSummary(mapSummary(summary, (value) => value / 1000));
}

export function httpOf(results: Results, key: string, concurrency: number): HttpSummary | undefined {
	return results.http.find((entry) => entry.key === key && entry.concurrency === concurrency);
}

/** The pgbench ceiling (median TPS) at a concurrency; NaN when not measured. */
export function ceilingOf(results: Results, concurrency: number): number {
	return results.pgbench.find((entry) => entry.concurrency === concurrency)?.tps.median ?? Number.NaN;
}

/** PostgreSQL CPU seconds per pgbench transaction, median over the runs. */
export function pgCpu(runs: PgbenchResult[]): number {
	return summarize(runs.map((run) => run.postgresCpuPerTransaction ?? Number.NaN)).median;
}

/** Markdown tables of a CPU profile: share by owner, hottest functions, inclusive time. */
export function profileMarkdown(summary: ProfileSummary, title: string): string {
	const lines = [`**${title}** (${summary.totalMs.toFixed(0)} ms of samples, idle excluded)`, "", "| owner | share of CPU |", "|---|---|"];
	for (const { owner, share } of summary.byOwner.slice(0, 10)) lines.push(`| ${owner} | ${(share * 100).toFixed(1)} % |`);
	lines.push("", "| hottest functions (self time) | owner | share |", "|---|---|---|");
	for (const { name, owner, share } of summary.bySelf) lines.push(`| \`${name}\` | ${owner} | ${(share * 100).toFixed(1)} % |`);
	if (summary.inclusive.length > 0) {
		lines.push("", "| inclusive time of | share |", "|---|---|");
		for (const { name, share } of summary.inclusive) lines.push(`| \`${name}\` | ${(share * 100).toFixed(1)} % |`);
	}
	return lines.join("\n");
}
