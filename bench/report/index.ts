// The report renderer: a Report (bench/results.ts) in, text out. Pure: it reads no file, no
// clock and no process state (the CLI puts the machine and the time into the Report), so the
// same data always renders the same RESULTS.md and a `--json` dump can be rendered again.
import { fmt, fmtRatio, fmtSummary, summarize } from "../lib/stats.js";
import { loadSummaries, type Report } from "../results.js";
import { renderBounds } from "./bounds.js";
import { us } from "./format.js";
import { renderCore, renderHttp, renderMemory, renderRotateProfile, renderRoundTrips, renderScale } from "./sections.js";
import { targetLines, targetTable } from "./targets.js";

/** The report's sections in order; a new section is one renderer here. */
const SECTION_RENDERERS = [renderCore, renderHttp, renderRotateProfile, renderRoundTrips, renderScale, renderMemory, renderBounds];

/**
 * RESULTS.md.
 *
 * @example
 * writeFileSync("bench/RESULTS.md", renderMarkdown(report));
 */
export function renderMarkdown(report: Report): string {
	const { settings, machine, results } = report;
	const out: string[] = [];
	const foreign = summarize(loadSummaries(results).flatMap((entry) => entry.runs.map((run) => run.machine.foreignCores)));
	out.push("# refresh-kit benchmark results", "");
	out.push(
		`Written by \`npm run bench${settings.quick ? " -- --quick" : ""}\` on ${report.writtenAt}. ${settings.quick ? "**Quick (smoke) run: one short run per figure and small scale sizes; the figures only show that the harness works. Use the full run for numbers.**" : `Every figure is the median of ${settings.runs} runs with the min–max range in parentheses; every comparison was measured side by side in this run.`}`,
		"",
	);
	out.push("## Machine", "");
	out.push(`- CPU: ${machine.cpuModel} × ${machine.cpus} (os.cpus())`);
	out.push(`- Memory: ${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB (os.totalmem())`);
	out.push(`- Node ${machine.node}, PostgreSQL ${machine.postgres}`);
	out.push(
		`- Load average at start ${machine.loadavgStart.map((v) => v.toFixed(2)).join(", ")}; at end ${machine.loadavgEnd.map((v) => v.toFixed(2)).join(", ")}. During the measured load windows, processes outside this benchmark used ${foreign.median.toFixed(2)} cores (median; ${foreign.min.toFixed(2)}–${foreign.max.toFixed(2)}) of ${machine.cpus}; the whole run, its own work included, kept ${machine.busyCores.toFixed(2)} cores busy on average.`,
	);
	out.push(
		`- Load generator, servers and PostgreSQL share these ${machine.cpus} cores (${settings.pin ? "pinned with taskset: load generator and pgbench on CPU 0, servers on CPU 1, PostgreSQL free" : "not pinned: every party needs CPU and the scheduler balances them; an A/B of pinning (load generator on CPU 0, server on CPU 1) was inconclusive on this shared machine, `--pin` turns it on"}): every HTTP figure is bounded by the sum of the three parties' CPU per request, which is reported next to it. The load generator is a separate process that speaks HTTP/1.1 over raw keep-alive sockets (one connection per virtual client, closed loop) to keep its own cost per request low.`,
	);
	out.push("");
	out.push("## Targets", "", ...targetTable(report.targets), "");
	for (const render of SECTION_RENDERERS) out.push(...render(report));
	out.push("## Method notes", "");
	out.push(
		"- Load generator (`bench/loadgen.ts`): a separate Node process, one persistent HTTP/1.1 keep-alive connection per virtual client, closed loop, fixed duration after a warmup, per-request latency in a log-linear histogram (≈ 1 % buckets). Seeding (logins) is not measured.",
	);
	out.push("- Servers are started once and kept running; the workloads are interleaved, with the order rotated every run, so machine drift hits all of them alike.");
	out.push(
		"- PostgreSQL is a throwaway 15.x cluster started by the bench with default settings except `max_connections` (every server's pool plus pgbench) and `pg_stat_statements` preloaded with tracking off (switched on only for section 4).",
	);
	out.push("- Numbers on a shared 2-core machine are noisy: read them as ratios measured side by side, not as absolutes.");
	for (const note of results.notes) out.push(`- ${note}`);
	out.push("");
	return out.join("\n");
}

/**
 * The console summary: one line per HTTP workload, pgbench ceiling, scale size and core op,
 * then one line per target.
 */
export function renderConsole(report: Report): string {
	const { results } = report;
	const lines: string[] = [];
	const pad = (text: string, width: number): string => (text.length >= width ? text : text + " ".repeat(width - text.length));
	const ms = (micros: number): string => (micros / 1000).toFixed(2);
	lines.push(pad("workload", 16) + pad("conn", 6) + pad("req/s median (min–max)", 30) + pad("p50 ms", 10) + pad("p99 ms", 10) + "CPU µs/req client+server+pg");
	for (const entry of results.http) {
		lines.push(
			pad(entry.key, 16) +
				pad(String(entry.concurrency), 6) +
				pad(fmtSummary(entry.rps), 30) +
				pad(ms(entry.p50.median), 10) +
				pad(ms(entry.p99.median), 10) +
				`${us(entry.cpu.client)}+${us(entry.cpu.server)}+${us(entry.cpu.postgres)}`,
		);
	}
	for (const entry of results.pgbench) lines.push(pad("pgbench ceiling", 16) + pad(String(entry.concurrency), 6) + pad(fmtSummary(entry.tps), 30) + pad(entry.latencyMs.median.toFixed(2), 10) + "(avg)");
	for (const entry of results.scale) {
		const name = entry.size >= 1e6 ? `${entry.size / 1e6}M` : `${entry.size / 1e3}k`;
		lines.push(
			pad(`scale ${name}`, 16) +
				pad(String(entry.load.concurrency), 6) +
				pad(fmtSummary(entry.load.rps), 30) +
				pad(ms(entry.load.p50.median), 10) +
				pad(ms(entry.load.p99.median), 10) +
				`${fmt(entry.disk.bytesPerSession)} B/session on disk`,
		);
		lines.push(
			pad(`  10k alongside`, 16) +
				pad(String(entry.baseline.concurrency), 6) +
				pad(fmtSummary(entry.baseline.rps), 30) +
				pad(ms(entry.baseline.p50.median), 10) +
				pad(ms(entry.baseline.p99.median), 10) +
				`p50 ratio ${fmtRatio(entry.load.p50.median / entry.baseline.p50.median)}`,
		);
	}
	if (results.core !== undefined) {
		for (const [name, values] of Object.entries(results.core.result.ops)) lines.push(pad(`core ${name}`, 22) + `${fmtSummary(summarize(values))} ops/s`);
	}
	lines.push("", ...targetLines(report.targets));
	return lines.join("\n");
}
