// The report's numbered sections, one function each: the part of RESULTS.md that shows a
// section's figures (empty when the section did not run).

import type { DiskUsage } from "../lib/sql.js";
import { fmt, fmtRatio, fmtSummary, type Summary, summarize } from "../lib/stats.js";
import type { Report } from "../results.js";
import { httpOf, msSummary, pgCpu, profileMarkdown, us } from "./format.js";
import { projectScale } from "./projection.js";

const VERIFY_ROWS = [
	["jose", "raw `jwtVerify(token, cryptoKey, options)`"],
	["verify", "`service.verify(token)`"],
	["jose+getKey", "ablation: raw jose, key passed as a resolving function (what `createAccessTokenVerifier` does for a header it has not seen signed by a loaded key)"],
	["jose+options", "ablation: raw jose, a fresh `{ ...options, currentDate: new Date() }` per call (what `createVerifierFunction` did before it kept one options object with a `currentDate` getter)"],
	["jose+wrapper", "ablation: the same async wrapper and claim checks as `verifyAccessToken`, around raw jose with the CryptoKey and one static options object (what `service.verify` now does for its own tokens)"],
] as const;

/** Sections 1 and 2: the core's exchange against the crypto floor, verify against raw jose. */
export function renderCore({ settings, results }: Report): string[] {
	if (results.core === undefined) return [];
	const out: string[] = [];
	const { result } = results.core;
	const s = (name: string): Summary => summarize(result.ops[name] ?? []);
	const cpuOf = (name: string): number => summarize(result.cpu?.[name] ?? []).median;
	const floor = s("floor");
	const exchange = s("exchange");
	out.push("## 1. Core on the memory store (one process)", "");
	out.push(`${result.ops.floor?.length ?? 0} run(s) of ${settings.core.ms} ms per op, ${settings.core.concurrency} calls in flight, HS256, order rotated per run.`, "");
	out.push("| op | ops/s | µs/op (wall, 32 in flight) | CPU µs/op (all threads) |", "|---|---|---|---|");
	const row = (label: string, summary: Summary, name: string): void => void out.push(`| ${label} | ${fmtSummary(summary)} | ${fmt(1e6 / summary.median)} | ${fmt(cpuOf(name))} |`);
	row("floor: HS256 access token (JWS signing input + HMAC-SHA256) + 3× HMAC-SHA256 (token hashes and seal) + 48 CSPRNG bytes, all node:crypto", floor, "floor");
	row("`service.exchange()` (rotate, memory store)", exchange, "exchange");
	out.push("");
	out.push(`Core overhead over the floor: **${fmt(1e6 / exchange.median - 1e6 / floor.median)} µs per exchange**; the exchange runs at ${fmtRatio(exchange.median / floor.median)} of the floor's rate.`);
	if (results.core.exchangeProfile !== undefined) out.push("", profileMarkdown(results.core.exchangeProfile, "CPU profile of service.exchange on the memory store (V8 profiler, measured runs only)"));
	const micro = result.micro;
	if (Object.keys(micro).length > 0) {
		out.push(
			"",
			"Primitives, one call at a time: " +
				Object.entries(micro)
					.map(([name, value]) => `${name} ${value.toFixed(2)} µs`)
					.join("; ") +
				".",
		);
	}
	out.push("", "## 2. `service.verify()` vs raw `jose.jwtVerify`", "");
	out.push("| op | verifies/s | µs/op (wall) | CPU µs/op | vs raw jose |", "|---|---|---|---|---|");
	const jose = s("jose");
	for (const [name, label] of VERIFY_ROWS) {
		const summary = s(name);
		if (summary.n > 0) out.push(`| ${label} | ${fmtSummary(summary)} | ${fmt(1e6 / summary.median)} | ${fmt(cpuOf(name))} | ${fmtRatio(summary.median / jose.median)} |`);
	}
	if (results.core.verifyProfile !== undefined) out.push("", profileMarkdown(results.core.verifyProfile, "CPU profile of service.verify (V8 profiler, measured runs only)"));
	out.push("");
	return out;
}

/** Section 3: one table per concurrency, every workload and the PostgreSQL ceiling. */
export function renderHttp({ settings, machine, results }: Report): string[] {
	if (results.http.length === 0) return [];
	const out: string[] = [];
	out.push("## 3. HTTP refresh throughput", "");
	out.push(
		`Chained: each virtual client sends the refresh token it got back. ${settings.runs} run(s) of ${settings.durationMs / 1000} s (+${settings.warmupMs / 1000} s warmup) per workload, interleaved. PostgreSQL default durability (fsync=on, synchronous_commit=on); every PostgreSQL-backed server has a pool of ${settings.pool} connections. CPU columns: CPU time per request of the load generator, the server process and all PostgreSQL processes, measured from /proc over the window.`,
		"",
	);
	for (const concurrency of settings.concurrency) {
		out.push(`### ${concurrency} connections`, "");
		out.push("| workload | req/s | p50 ms | p99 ms | vs tutorial | vs rotate | CPU µs/req: client / server / PostgreSQL | server busy (cores) | errors |", "|---|---|---|---|---|---|---|---|---|");
		const tutorial = httpOf(results, "tutorial", concurrency)?.rps.median ?? Number.NaN;
		const rotate = httpOf(results, "rotate", concurrency)?.rps.median ?? Number.NaN;
		for (const entry of results.http.filter((candidate) => candidate.concurrency === concurrency)) {
			out.push(
				`| ${entry.label} | ${fmtSummary(entry.rps)} | ${msSummary(entry.p50)} | ${msSummary(entry.p99)} | ${fmtRatio(entry.rps.median / tutorial)} | ${fmtRatio(entry.rps.median / rotate)} | ${us(entry.cpu.client)} / ${us(entry.cpu.server)} / ${us(entry.cpu.postgres)} | ${(entry.rps.median * entry.cpu.server).toFixed(2)} | ${entry.errors}${entry.firstError !== undefined ? ` (${entry.firstError.slice(0, 80).replaceAll("|", "/")})` : ""} |`,
			);
		}
		const pgbench = results.pgbench.find((entry) => entry.concurrency === concurrency);
		if (pgbench !== undefined) {
			out.push(
				`| PostgreSQL ceiling: the rotation statement alone, \`pgbench -M prepared -c ${concurrency}\` | ${fmtSummary(pgbench.tps)} TPS | ${fmtSummary(pgbench.latencyMs)} (mean) | – | ${fmtRatio(pgbench.tps.median / tutorial)} | ${fmtRatio(pgbench.tps.median / rotate)} | – / – / ${us(pgCpu(pgbench.runs))} | – | ${pgbench.runs.reduce((sum, run) => sum + run.failed, 0)} |`,
			);
		}
		out.push("");
		out.push(...cpuSplit(results, concurrency));
		const entry = httpOf(results, "rotate", concurrency);
		if (entry !== undefined) {
			const total = entry.cpu.client + entry.cpu.server + entry.cpu.postgres;
			out.push(
				`Rotate mode at ${concurrency} connections uses ${us(total)} µs of CPU per refresh in all (load generator ${us(entry.cpu.client)}, server ${us(entry.cpu.server)}, PostgreSQL ${us(entry.cpu.postgres)}); ${machine.cpus} cores therefore allow at most ≈ ${fmt(machine.cpus / total)} refreshes/s, and ${fmt(entry.rps.median)} were measured (${(((entry.rps.median * total) / machine.cpus) * 100).toFixed(0)} % of that CPU bound).`,
				"",
			);
		}
	}
	out.push(
		"Peers, as configured: the tutorial baseline is `bench/baselines/tutorial.ts` (see its header; `jsonwebtoken` with a string secret, refresh JWT without expiry on the `users` row, `jwt.verify` + `SELECT` + `jwt.sign` per refresh). node-oidc-provider runs its `refresh_token` grant with `rotateRefreshToken: true`, its default in-memory adapter and RFC 9068 JWT access tokens signed HS256 (the same work as refresh-kit's exchange, minus durability); refresh tokens are obtained headlessly by creating a Grant and a RefreshToken through the provider's own models (`bench/baselines/oidc-provider.ts`). Because it keeps its state in memory, the fair like-for-like line is refresh-kit on the memory store; the target compares it with refresh-kit on PostgreSQL as stated.",
		"",
	);
	out.push(
		"The PostgreSQL ceiling runs the statement the Drizzle store sends (captured from the driver, below) with every parameter computed from a random id over pre-filled live sessions; it rotates each row to the same hash, so every transaction does a real rotation's writes.",
		"",
	);
	return out;
}

/** The workloads of the before/after CPU split (issue 15), in the order drawn. */
const CPU_SPLIT_ROWS = [
	["rotate-before", "before the performance work (one statement per refresh)"],
	["rotate-unbatched", "after, one statement per refresh"],
	["rotate", "after, batched rotations (the default)"],
	["minimal-hs256", "the minimal rotating endpoint, HS256"],
] as const;

/** CPU per refresh of each party, before and after, next to the minimal endpoint's, at one concurrency. */
function cpuSplit(results: Report["results"], concurrency: number): string[] {
	const rows = CPU_SPLIT_ROWS.flatMap(([key, label]) => {
		const entry = httpOf(results, key, concurrency);
		return entry === undefined ? [] : [{ label, rps: entry.rps.median, cpu: entry.cpu }];
	});
	if (rows.length < 2) return [];
	const out = [
		`CPU per refresh at ${concurrency} connection${concurrency === 1 ? "" : "s"}, HS256, side by side (µs, medians over the runs):`,
		"",
		"| | req/s | load generator | server | PostgreSQL | all three |",
		"|---|---|---|---|---|---|",
	];
	for (const { label, rps, cpu } of rows) out.push(`| ${label} | ${fmt(rps)} | ${us(cpu.client)} | ${us(cpu.server)} | ${us(cpu.postgres)} | ${us(cpu.client + cpu.server + cpu.postgres)} |`);
	out.push("");
	return out;
}

/** Section 3, continued: the rotate server's CPU profile, HOT updates, EXPLAIN ANALYZE. */
export function renderRotateProfile({ results }: Report): string[] {
	if (results.rotateProfile === undefined) return [];
	const out: string[] = ["### Where the rotate server's CPU goes", ""];
	out.push(profileMarkdown(results.rotateProfile.summary, `V8 CPU profile of the rotate server over one measured window at ${results.rotateProfile.concurrency} connections (node:inspector Profiler, startup excluded)`), "");
	if (results.hot !== undefined) {
		out.push(
			`Heap-only (HOT) updates during the profiled run: ${results.hot.hotUpdates.toLocaleString("en-US")} of ${results.hot.updates.toLocaleString("en-US")} updates of \`${results.hot.table}\` (${((results.hot.hotUpdates / Math.max(1, results.hot.updates)) * 100).toFixed(0)} %). A rotation changes no indexed column, so PostgreSQL can update the row heap-only whenever its page has room.`,
			"",
		);
	}
	if (results.explain !== undefined) out.push("EXPLAIN ANALYZE of one rotation (a filler row):", "", "```", results.explain, "```", "");
	return out;
}

/** Section 4: statements per exchange path, and the rotation statement as sent. */
export function renderRoundTrips({ results }: Report): string[] {
	if (results.roundTrips === undefined) return [];
	const out: string[] = ["## 4. Statements per exchange", ""];
	out.push(
		"Counted by the driver (postgres.js `debug` hook: statements sent) and by PostgreSQL (`pg_stat_statements`, top-level, reset per path). A manual clock places replays inside (grace) and after (reuse) the 10 s window.",
		"",
	);
	out.push("| path | sent by the driver | executed by PostgreSQL | statements |", "|---|---|---|---|");
	for (const entry of results.roundTrips) out.push(`| ${entry.path} | ${entry.clientStatements} | ${entry.serverStatements} | ${entry.kinds.replaceAll("|", "/") || "–"} |`);
	out.push("");
	if (results.statement !== undefined)
		out.push("The rotation statement, as sent (parameters: " + results.statement.roles.map((role, index) => `$${index + 1} ${role}`).join(", ") + "):", "", "```sql", results.statement.text, "```", "");
	return out;
}

/** Section 5: each larger table against the 10 k one, disk per session, prune under traffic. */
export function renderScale(report: Report): string[] {
	const { settings, results } = report;
	if (results.scale.length === 0) return [];
	const out: string[] = ["## 5. Scale", ""];
	out.push(
		`Rotate mode through HTTP at ${settings.scaleConcurrency} connections. The larger tables live in a second database (filler bulk-loaded with INSERT … SELECT generate_series, shaped like rotated sessions: every hash column filled; 10 % expired 8 days ago; indexes rebuilt after the load, so denser than a table grown by traffic; VACUUM ANALYZE), served by its own rotate server; the 10 k table is the HTTP section's (reindexed and vacuumed the same way). The two are measured in alternation, ${settings.runs} run(s) each, so every ratio is side by side.`,
		"",
	);
	out.push(
		"| sessions in table | req/s | p50 ms | p99 ms | the 10 k table alongside: req/s, p50 ms | p50 ratio | bytes/session on disk (heap + indexes) | table size | primary key: size, levels above the leaves | shared-buffer hits, heap / indexes | bulk load |",
		"|---|---|---|---|---|---|---|---|---|---|---|",
	);
	const small = results.scaleSmallDisk;
	const key = (disk: DiskUsage): string => (disk.primaryKey === undefined ? "–" : `${(disk.primaryKey.bytes / 1e6).toFixed(1)} MB, ${disk.primaryKey.levels}`);
	if (small !== undefined)
		out.push(
			`| ${small.rows.toLocaleString("en-US")} | – | – | – | – | – | ${fmt(small.bytesPerSession)} (${fmt(small.heapBytes / small.rows)} + ${fmt(small.indexBytes / small.rows)}) | ${(small.totalBytes / 1e6).toFixed(0)} MB | ${key(small)} | – | – |`,
		);
	for (const entry of results.scale) {
		const hits = entry.hitRatio === undefined ? "–" : `${(entry.hitRatio.heap * 100).toFixed(1)} % / ${(entry.hitRatio.index * 100).toFixed(1)} %`;
		out.push(
			`| ${entry.disk.rows.toLocaleString("en-US")} | ${fmtSummary(entry.load.rps)} | ${msSummary(entry.load.p50)} | ${msSummary(entry.load.p99)} | ${fmtSummary(entry.baseline.rps)}, ${msSummary(entry.baseline.p50)} | ${fmtRatio(entry.load.p50.median / entry.baseline.p50.median)} | ${fmt(entry.disk.bytesPerSession)} (${fmt(entry.disk.heapBytes / entry.disk.rows)} + ${fmt(entry.disk.indexBytes / entry.disk.rows)}) | ${(entry.disk.totalBytes / 1e6).toFixed(0)} MB | ${key(entry.disk)} | ${hits} | ${entry.fill.seconds.toFixed(1)} s |`,
		);
	}
	out.push("");
	out.push(...renderProjection(report));
	if (results.prune !== undefined) {
		const p = results.prune;
		out.push(
			`**Prune while traffic runs** (${p.size.toLocaleString("en-US")} sessions): ${p.rowsDeleted.toLocaleString("en-US")} expired sessions deleted in ${p.seconds.toFixed(1)} s = **${fmt(p.rowsPerSecond)} rows/s** (\`store.prune\` in batches of 1000, as \`service.prune()\` does, on its own connection), while rotate traffic ran at ${fmt(p.during.rps.median)} req/s (p99 ${(p.during.p99.median / 1000).toFixed(2)} ms) against ${fmt(p.baseline.rps.median)} req/s (p99 ${(p.baseline.p99.median / 1000).toFixed(2)} ms) without pruning = ${fmtRatio(p.during.rps.median / p.baseline.rps.median)}.`,
			"",
		);
	}
	return out;
}

/** Section 5, continued: 100 M sessions, projected from the largest table measured. */
function renderProjection({ machine, results }: Report): string[] {
	const projection = projectScale(results);
	const largest = results.scale[results.scale.length - 1];
	if (projection === null || largest === undefined) return [];
	const gb = (bytes: number): string => `${(bytes / 1e9).toFixed(1)} GB`;
	const fits = projection.totalBytes < machine.memoryBytes;
	return [
		`**100 M sessions, projected** (not loaded: ${gb(projection.totalBytes)} on a disk and 2 cores shared with other work, and at least ${(projection.loadSeconds / 60).toFixed(0)} minutes of bulk load, index builds and VACUUM by a linear extrapolation of the ${largest.size.toLocaleString("en-US")} load, more once the table outgrows RAM). From the ${largest.size.toLocaleString("en-US")}-session table: ${fmt(largest.disk.bytesPerSession)} bytes per session, so ${gb(projection.totalBytes)} of heap and indexes, against ${gb(machine.memoryBytes)} (${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB) of RAM; the primary key (the one index a rotation descends) grows to ${gb(projection.primaryKeyBytes)} and from ${projection.measuredLevels.map((entry) => `${entry.levels} level${entry.levels === 1 ? "" : "s"} at ${entry.size.toLocaleString("en-US")}`).join(", ")} to ${projection.projectedLevels} above its leaves (about 260 downlinks per page): one more page per rotation. A rotation touches one heap page and one page per level; in this bench the sessions rotated are the ones its clients just opened, whose pages stay in memory at any size (shared-buffer hits above), so their p50 is projected within 1.5× of 10 k as it is at ${largest.size.toLocaleString("en-US")} (${fmtRatio(largest.load.p50.median / largest.baseline.p50.median)}). ${fits ? "The whole table would still fit in RAM." : `The whole table would not fit in RAM: sessions that refresh after a long idle period would miss the cache and read their heap page (and, at worst, the lowest levels of the primary key) from disk, one random read each, which this machine cannot measure apart from its other tenants; that, not the index depth, is what 100 M sessions cost.`}`,
		"",
	];
}

/** Section 6: the demo server's RSS and the memory store's bytes per session. */
export function renderMemory({ settings, results }: Report): string[] {
	if (results.demo === undefined && results.memory === undefined) return [];
	const out: string[] = ["## 6. Memory", ""];
	if (results.demo !== undefined) {
		const d = results.demo;
		out.push(
			`**Demo server** (\`examples/node-server\`, run as \`node --import tsx\` like \`npm start\`, cookie mode, EdDSA keys, Drizzle store on the same PostgreSQL) under 50 connections of chained refreshes for ${settings.demoMs / 1000} s: RSS idle ${(d.idleRss / 1e6).toFixed(1)} MB, under load median ${(d.rssMedian / 1e6).toFixed(1)} MB, max ${(d.rssMax / 1e6).toFixed(1)} MB (peak VmHWM ${(d.hwm / 1e6).toFixed(1)} MB), serving ${fmt(d.run.rps)} req/s (p99 ${(d.run.p99 / 1000).toFixed(2)} ms, ${d.errors} errors). The demo logs every event to stdout, which is part of what it costs.`,
			"",
		);
	}
	if (results.memory !== undefined) {
		const m = results.memory;
		out.push(
			`**Memory store** at ${m.sessions.toLocaleString("en-US")} sessions (\`--expose-gc\`, heapUsed + external delta / sessions): **${fmt(m.bytesPerSessionFresh)} bytes per fresh session**, ${fmt(m.bytesPerSessionRotated)} bytes after one rotation each (previous hash and sealed successor filled in). Calibration through \`service.issue()\` at ${m.calibrationSessions.toLocaleString("en-US")} sessions: ${fmt(m.calibrationBytesPerSession)} bytes per session.`,
			"",
		);
	}
	return out;
}
