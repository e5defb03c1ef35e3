import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { RunSettings } from "../../bench/config.js";
import type { CoreResult } from "../../bench/core.js";
import type { Summary } from "../../bench/lib/stats.js";
import { renderConsole, renderMarkdown } from "../../bench/report/index.js";
import { comparison, ratioPoint, type Target, target, targetDetail } from "../../bench/report/targets.js";
import { emptyResults, type HttpSummary, type Report, type Results } from "../../bench/results.js";
import { collectTargets } from "../../bench/sections/index.js";

const SETTINGS: RunSettings = { quick: false, runs: 5, warmupMs: 700, durationMs: 3000, concurrency: [10, 50], pool: 10, core: { runs: 5, ms: 1000, concurrency: 32 }, scaleConcurrency: 10, demoMs: 8000, pin: false, batch: "on" };

function range(median: number, min: number, max: number): Summary {
	return { median, min, max, n: 5 };
}

/** An HTTP row with fixed figures: rps and latencies (µs) as [median, min, max]. */
function http(key: string, concurrency: number, rps: [number, number, number], p50: [number, number, number] = [6270, 5250, 7550]): HttpSummary {
	return {
		key,
		label: `${key} workload`,
		concurrency,
		runs: [],
		rps: range(...rps),
		p50: range(...p50),
		p99: range(16_900, 15_400, 22_800),
		cpu: { client: 127e-6, server: 475e-6, postgres: 333e-6 },
		machineBusy: 1.5,
		foreign: 0,
		errors: 0,
		requests: 1000,
	};
}

function core(verify: number, jose: number): CoreResult {
	return { ops: { floor: [24_775], exchange: [9_565], jose: [jose], verify: [verify] }, cpu: {}, totals: {}, micro: {} };
}

function report(results: Results, settings: RunSettings = SETTINGS): Report {
	return {
		settings,
		machine: { cpuModel: "Test CPU", cpus: 64, memoryBytes: 8 * 2 ** 30, node: "v0.0.0-test", postgres: "15.99", loadavgStart: [1, 2, 3], loadavgEnd: [0.5, 0.25, 0.125], busyCores: 1.5 },
		writtenAt: "2030-01-02T03:04:05.000Z",
		results,
		targets: collectTargets(results, settings),
	};
}

function measured(): Results {
	const results = emptyResults();
	results.http.push(http("rotate", 10, [1431, 1214, 1784]), http("tutorial", 10, [525, 417, 564]), http("rotate", 50, [2206, 2078, 2474]), http("tutorial", 50, [645, 595, 733]));
	results.core = { result: core(8306, 8801) };
	results.roundTrips = [{ path: "exchange, happy path (rotate)", clientStatements: 1, serverStatements: 1, kinds: '1.00× with "updated"' }];
	return results;
}

function line(markdown: string, start: string): string {
	const found = markdown.split("\n").find((candidate) => candidate.startsWith(start));
	assert.ok(found !== undefined, `no line starting with ${start}`);
	return found as string;
}

const targets = suite("bench report: targets");

targets("ratioPoint is met at the threshold and not below it; ratios show two decimals", () => {
	const at = ratioPoint({ ours: 1500, theirs: 1000, unit: "req/s", threshold: 1.5 });
	const below = ratioPoint({ ours: 1499, theirs: 1000, unit: "req/s", threshold: 1.5 });
	assert.is(at?.met, true);
	assert.is(below?.met, false);
	assert.is(targetDetail(target({ label: "x", threshold: 1.5, points: [below] })), "1,499 vs 1,000 req/s = 1.50×");
	assert.is(ratioPoint({ ours: Number.NaN, theirs: 1000, unit: "req/s", threshold: 1 }), null);
});

targets("a latency target is met at or below its threshold", () => {
	assert.is(comparison({ detail: "", ratio: 1.5, threshold: 1.5, better: "lower" }).met, true);
	assert.is(comparison({ detail: "", ratio: 1.51, threshold: 1.5, better: "lower" }).met, false);
});

targets("a target is met only where every point is, and says where it was met", () => {
	const partly = target({ label: "x", threshold: 3, points: [ratioPoint({ at: "c=10", ours: 2, theirs: 1, unit: "req/s", threshold: 3 }), ratioPoint({ at: "c=50", ours: 4, theirs: 1, unit: "req/s", threshold: 3 })] });
	assert.is(partly.met, false);
	assert.is(targetDetail(partly), "c=10: 2.00 vs 1.00 req/s = 2.00×; c=50: 4.00 vs 1.00 req/s = 4.00× (met at c=50 only)");
	const none: Target = target({ label: "x", threshold: 3, points: [null, null] });
	assert.is(none.met, null);
	assert.is(targetDetail(none), "not measured");
	const standIn = target({ label: "x", threshold: 1.5, points: [comparison({ detail: "d", ratio: 9, threshold: 1.5, better: "lower" })], standIn: true, note: "(shown only)" });
	assert.is(standIn.met, null);
	assert.is(targetDetail(standIn), "d = 9.00× (shown only)");
});

const markdown = suite("bench report: RESULTS.md");

markdown("target rows: met, not met (with where it was met) and not evaluated", () => {
	const text = renderMarkdown(report(measured()));
	assert.is(line(text, "| rotate mode ≥ 3× the tutorial"), "| rotate mode ≥ 3× the tutorial baseline's refresh throughput | **not met** | c=10: 1,431 vs 525 req/s = 2.73×; c=50: 2,206 vs 645 req/s = 3.42× (met at c=50 only) |");
	assert.is(line(text, "| rotate mode ≥ 1.5× node-oidc"), "| rotate mode ≥ 1.5× node-oidc-provider's | not evaluated | not measured |");
	assert.is(line(text, "| `verify()`"), "| `verify()` ≥ 1.0× raw jose | **not met** | 8,306 vs 8,801 verifies/s = 0.94× |");
	assert.is(line(text, "| one statement"), "| one statement per happy-path exchange | **met** | 1 sent by the driver, 1 executed (pg_stat_statements) |");
	assert.is(line(text, "| p50 at 10 M"), "| p50 at 10 M sessions ≤ 1.5× p50 at 10 k | not evaluated | not measured |");
});

markdown("throughput rows: medians with the min–max range, latencies in ms, ratios with two decimals", () => {
	const text = renderMarkdown(report(measured()));
	assert.is(line(text, "| rotate workload"), "| rotate workload | 1,431 (1,214–1,784) | 6.27 (5.25–7.55) | 16.9 (15.4–22.8) | 2.73× | 1.00× | 127 / 475 / 333 | 0.68 | 0 |");
	assert.is(line(text, "| tutorial workload"), "| tutorial workload | 525 (417–564) | 6.27 (5.25–7.55) | 16.9 (15.4–22.8) | 1.00× | 0.37× | 127 / 475 / 333 | 0.25 | 0 |");
});

markdown("the machine comes from the data, not from the process rendering it", () => {
	const text = renderMarkdown(report(measured()));
	assert.ok(text.startsWith("# refresh-kit benchmark results\n\nWritten by `npm run bench` on 2030-01-02T03:04:05.000Z. Every figure is the median of 5 runs"));
	assert.is(line(text, "- CPU:"), "- CPU: Test CPU × 64 (os.cpus())");
	assert.is(line(text, "- Memory:"), "- Memory: 8.0 GiB (os.totalmem())");
	assert.is(line(text, "- Node"), "- Node v0.0.0-test, PostgreSQL 15.99");
	assert.is(renderMarkdown(report(measured())), text);
});

markdown("a skipped scale size is the p50 target's note, and the quick run's stand-in is shown unjudged", () => {
	const skipped = emptyResults();
	skipped.notes.push("10,000,000 sessions skipped: no time");
	assert.is(line(renderMarkdown(report(skipped)), "| p50 at 10 M"), "| p50 at 10 M sessions ≤ 1.5× p50 at 10 k | not evaluated | 10,000,000 sessions skipped: no time |");
	const quick = emptyResults();
	const disk = { rows: 100_000, totalBytes: 34_300_000, heapBytes: 26_400_000, indexBytes: 7_900_000, bytesPerSession: 343 };
	quick.scale.push({ size: 100_000, fill: { rows: 90_000, seconds: 1 }, disk, load: http("rotate", 10, [1200, 1100, 1300], [9000, 8000, 10_000]), baseline: http("rotate", 10, [1300, 1200, 1400], [6000, 5000, 7000]) });
	const text = renderMarkdown(report(quick, { ...SETTINGS, quick: true, runs: 1 }));
	assert.is(
		line(text, "| p50 at 10 M"),
		"| p50 at 10 M sessions ≤ 1.5× p50 at 10 k | not evaluated | 9.00 ms at 100,000 vs 6.00 ms at 10,000, measured alternately = 1.50× (quick run: 10 M not loaded, shown for the harness only) |",
	);
	assert.ok(text.includes("**Quick (smoke) run:"));
});

markdown("the 10 M p50 target is judged in a full run: met at or below 1.5×, not met above", () => {
	const disk = { rows: 10_000_000, totalBytes: 3_430_000_000, heapBytes: 2_640_000_000, indexBytes: 790_000_000, bytesPerSession: 343 };
	const rows = (p50: number): string => {
		const results = emptyResults();
		results.scale.push({ size: 10_000_000, fill: { rows: 9_000_000, seconds: 96 }, disk, load: http("rotate", 10, [1500, 1400, 1600], [p50, p50, p50]), baseline: http("rotate", 10, [1500, 1400, 1600], [6000, 5000, 7000]) });
		return line(renderMarkdown(report(results)), "| p50 at 10 M");
	};
	assert.is(rows(5340), "| p50 at 10 M sessions ≤ 1.5× p50 at 10 k | **met** | 5.34 ms at 10,000,000 vs 6.00 ms at 10,000, measured alternately = 0.89× |");
	assert.is(rows(9000), "| p50 at 10 M sessions ≤ 1.5× p50 at 10 k | **met** | 9.00 ms at 10,000,000 vs 6.00 ms at 10,000, measured alternately = 1.50× |");
	assert.is(rows(9600), "| p50 at 10 M sessions ≤ 1.5× p50 at 10 k | **not met** | 9.60 ms at 10,000,000 vs 6.00 ms at 10,000, measured alternately = 1.60× |");
});

markdown("issue 15's rows: per algorithm against the minimal endpoint, batching at 50 connections (throughput, p99 lower is better) and at 1", () => {
	const results = emptyResults();
	const settings = { ...SETTINGS, concurrency: [1, 10, 50] };
	results.http.push(
		http("rotate", 1, [300, 290, 310]),
		http("rotate-unbatched", 1, [310, 300, 320]),
		http("rotate", 10, [2000, 1900, 2100]),
		http("minimal-hs256", 10, [1900, 1800, 2000]),
		http("rotate", 50, [4500, 4400, 4600]),
		http("minimal-hs256", 50, [2700, 2600, 2800]),
		{ ...http("rotate-unbatched", 50, [2300, 2200, 2400]), p99: { median: 120_000, min: 110_000, max: 130_000, n: 5 } },
		http("rotate-es256", 10, [1500, 1400, 1600]),
		http("minimal-es256", 10, [1600, 1500, 1700]),
	);
	const text = renderMarkdown(report(results, settings));
	assert.is(line(text, "| rotate mode, HS256 ≥ 1.0×"), "| rotate mode, HS256 ≥ 1.0× the minimal rotating endpoint, HS256 | **met** | c=10: 2,000 vs 1,900 req/s = 1.05×; c=50: 4,500 vs 2,700 req/s = 1.67× |");
	assert.is(line(text, "| rotate mode, ES256 ≥ 1.0×"), "| rotate mode, ES256 ≥ 1.0× the minimal rotating endpoint, ES256 | **not met** | c=10: 1,500 vs 1,600 req/s = 0.94× |");
	assert.is(line(text, "| rotate mode, EdDSA ≥ 1.0×"), "| rotate mode, EdDSA ≥ 1.0× the minimal rotating endpoint, EdDSA | not evaluated | not measured |");
	assert.is(line(text, "| batched rotations at 50 connections ≥ 1.5×"), "| batched rotations at 50 connections ≥ 1.5× the minimal one-statement endpoint | **met** | c=50: 4,500 vs 2,700 req/s = 1.67× |");
	// 16.9 ms (the http() helper's p99) against 120 ms: lower is better.
	assert.is(line(text, "| batched rotations at 50 connections: p99"), "| batched rotations at 50 connections: p99 ≤ 1.2× that of one statement per refresh | **met** | c=50: p99 16.9 vs 120.0 ms = 0.14× |");
	assert.is(line(text, "| batched rotations at 1 connection"), "| batched rotations at 1 connection ≥ 1.0× one statement per refresh (no slower) | **not met** | c=1: 300 vs 310 req/s = 0.97× |");
	assert.is(line(text, "| rotate mode ≥ 0.95× the tree before"), "| rotate mode ≥ 0.95× the tree before refresh.secret (issue 10) | not evaluated | not measured |");
	// The issue-5 rows are judged above a single connection only.
	assert.ok(!line(text, "| rotate mode ≥ 3× the tutorial").includes("c=1:"));
	// The before/after CPU split appears where two of its workloads ran.
	assert.ok(text.includes("CPU per refresh at 50 connections, HS256, side by side"));
	assert.ok(text.includes("| after, batched rotations (the default) | 4,500 | 127 | 475 | 333 | 935 |"));
	assert.ok(text.includes("CPU per refresh at 1 connection, HS256"));
	assert.ok(!renderMarkdown(report({ ...emptyResults(), http: [http("rotate", 50, [1, 1, 1])] }, settings)).includes("CPU per refresh at "), "drawn only where two of its workloads ran");
});

markdown("100 M sessions: never judged here, projected from the largest table measured", () => {
	const results = emptyResults();
	const disk = { rows: 10_000_000, totalBytes: 3_430_000_000, heapBytes: 2_640_000_000, indexBytes: 790_000_000, bytesPerSession: 343, primaryKey: { bytes: 301_000_000, levels: 2 } };
	results.scale.push({
		size: 10_000_000,
		fill: { rows: 9_990_000, seconds: 96 },
		disk,
		load: http("rotate", 10, [1500, 1400, 1600], [6000, 5500, 6500]),
		baseline: http("rotate", 10, [1500, 1400, 1600], [6000, 5000, 7000]),
		hitRatio: { heap: 0.999, index: 1 },
	});
	const text = renderMarkdown(report(results));
	const row = line(text, "| p50 at 100 M");
	assert.ok(row.startsWith("| p50 at 100 M sessions ≤ 1.5× p50 at 10 k (issue 15) | not evaluated | not measured here: 34.3 GB on a shared disk and at least 16 min of bulk load"), row);
	assert.ok(row.includes("the primary key has 2 levels above its leaves at 10,000,000 and would have 3"), row);
	assert.ok(text.includes("| 10,000,000 | 1,500 (1,400–1,600) |"));
	assert.ok(text.includes("| 301.0 MB, 2 | 99.9 % / 100.0 % |"));
	// 34.3 GB against the test machine's 8 GiB: the projection says what does not fit.
	assert.ok(text.includes("The whole table would not fit in RAM"));
});

const summary = suite("bench report: console summary");

summary("one line per target, marked met, NOT or --", () => {
	const results = measured();
	results.core = { result: core(7000, 8801) };
	const lines = renderConsole(report(results)).split("\n");
	assert.ok(lines.includes("[ NOT ] rotate mode ≥ 3× the tutorial baseline's refresh throughput: c=10: 1,431 vs 525 req/s = 2.73×; c=50: 2,206 vs 645 req/s = 3.42× (met at c=50 only)"));
	assert.ok(lines.includes("[ NOT ] `verify()` ≥ 1.0× raw jose: 7,000 vs 8,801 verifies/s = 0.80×"));
	assert.ok(lines.includes("[ met ] one statement per happy-path exchange: 1 sent by the driver, 1 executed (pg_stat_statements)"));
	assert.ok(lines.includes("[ -- ] p50 at 10 M sessions ≤ 1.5× p50 at 10 k: not measured"));
	assert.ok(lines.includes("rotate          10    1,431 (1,214–1,784)           6.27      16.90     127+475+333"));
});

targets.run();
markdown.run();
summary.run();
