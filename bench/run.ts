// refresh-kit benchmarks: `npm run bench` (full, about 25 min) or `npm run bench -- --quick` (< 90 s,
// the CI smoke: proves the harness works, never gates on targets). Prints a summary and writes
// bench/RESULTS.md. See bench/README.md for what each section measures and how, and USAGE in
// bench/config.ts for the options.
//
// This file is the CLI: it checks the options, runs the sections (bench/sections/) in order,
// reads the machine, and writes what the pure renderer (bench/report/) makes of the results.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { type Config, parseConfig, type RunSettings, runSettings, USAGE, UsageError } from "./config.js";
import { startPostgres } from "./lib/postgres.js";
import { machineCpu, type NodeChild } from "./lib/proc.js";
import { captureRotateStatement, growFiller } from "./lib/sql.js";
import { renderConsole, renderMarkdown } from "./report/index.js";
import { emptyResults, type Machine, type Report, type Results } from "./results.js";
import type { BenchContext } from "./sections/common.js";
import { runCore } from "./sections/core.js";
import { runDemo } from "./sections/demo.js";
import { runHttp } from "./sections/http.js";
import { collectTargets } from "./sections/index.js";
import { runMemoryStore } from "./sections/memory.js";
import { runRotateProfile } from "./sections/profile.js";
import { runRoundTrips } from "./sections/roundtrips.js";
import { runScale } from "./sections/scale.js";
import { BASE_DATABASE, serverDefs, startServers } from "./sections/servers.js";

/** Filler sessions in the HTTP section's table (ids 1..10 000); the scale section grows another database. */
const FILLER_ROWS = 10_000;

/** What `--json` writes and `--render` reads: the report without its targets, which are recomputed. */
type Dump = Omit<Report, "targets">;

async function measure(config: Config): Promise<void> {
	const started = Date.now();
	const log = (message: string): void => void process.stdout.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}\n`);
	const scratch = mkdtempSync(join(tmpdir(), "rk-bench."));
	const ctx: BenchContext = { config, scratch, log, elapsedSeconds: () => (Date.now() - started) / 1000 };
	const results = emptyResults();
	const loadavgStart = loadavg();
	const machineStart = machineCpu();
	let postgresVersion = "?";
	try {
		log(`${config.quick ? "QUICK (smoke) run" : "full run"}: ${config.runs} run(s) per figure, ${config.durationMs / 1000} s per load run`);
		const pg = await startPostgres();
		postgresVersion = pg.version;
		let servers = new Map<string, NodeChild>();
		try {
			log(`PostgreSQL ${pg.version} on port ${pg.port}: fsync=${pg.settings.fsync}, synchronous_commit=${pg.settings.synchronous_commit}, full_page_writes=${pg.settings.full_page_writes}`);
			pg.psql("create database bench");
			// Creates the refresh-kit table (migrate) so filler and statement capture can run first.
			const { openStore } = await import("../storage/drizzle/index.js");
			await (await openStore(pg.url("bench"), { maxConnections: 1 })).close();
			if (config.baseTree !== null) pg.psql(`create database ${BASE_DATABASE}`);
			const statement = await captureRotateStatement(pg.url("bench"));
			results.statement = statement;
			await growFiller(pg, "bench", 0, FILLER_ROWS);

			const skip = config.skip;
			if (!skip.has("core")) results.core = await runCore(ctx);
			if (!skip.has("roundtrips")) results.roundTrips = await runRoundTrips(ctx, { pg });
			const defs = serverDefs(pg, config);
			// The scale section needs the rotate server for its 10 k side.
			if (!skip.has("http") || !skip.has("scale"))
				servers = await startServers(
					ctx,
					defs.filter((def) => !skip.has("http") || def.key === "rotate"),
				);
			if (!skip.has("http")) Object.assign(results, await runHttp(ctx, { pg, servers, defs, statement, fillerRows: FILLER_ROWS }));
			if (!skip.has("profile")) Object.assign(results, await runRotateProfile(ctx, { pg, statement, fillerRows: FILLER_ROWS }));
			// Only the rotate server is needed from here on.
			for (const [key, server] of servers) {
				if (key !== "rotate") {
					await server.stop();
					servers.delete(key);
				}
			}
			if (!skip.has("demo")) results.demo = await runDemo(ctx, { pg });
			const memory = async (): Promise<void> => {
				if (!skip.has("memory")) results.memory = await runMemoryStore(ctx);
			};
			if (!skip.has("scale")) {
				const { notes, ...scale } = await runScale(ctx, { pg, smallServer: servers.get("rotate") as NodeChild, alongsideLastLoad: memory });
				Object.assign(results, scale);
				results.notes.push(...notes);
			} else await memory();
		} finally {
			for (const server of servers.values()) await server.stop();
			pg.stop();
		}
	} finally {
		if (process.env.BENCH_KEEP === undefined) rmSync(scratch, { recursive: true, force: true });
		else log(`kept ${scratch}`);
	}
	const machine = machineNote({ postgres: postgresVersion, loadavgStart, busyCores: busyCoresSince(machineStart) });
	const dump: Dump = { settings: runSettings(config), machine, writtenAt: new Date().toISOString(), results };
	if (config.json !== null) writeFileSync(config.json, JSON.stringify(dump));
	const report = withTargets(dump);
	if (config.out !== null) writeFileSync(config.out, renderMarkdown(report));
	process.stdout.write("\n" + renderConsole(report) + "\n");
	log(`${config.out === null ? "done, nothing written (--no-write)" : `wrote ${config.out}`} (${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
}

function machineNote(options: { postgres: string; loadavgStart: number[]; busyCores: number }): Machine {
	const cpu = cpus();
	return {
		cpuModel: cpu[0]?.model ?? "unknown",
		cpus: cpu.length,
		memoryBytes: totalmem(),
		node: process.version,
		postgres: options.postgres,
		loadavgStart: options.loadavgStart,
		loadavgEnd: loadavg(),
		busyCores: options.busyCores,
	};
}

/** Average cores busy (all processes) since `start`. */
function busyCoresSince(start: { total: number; idle: number }): number {
	const end = machineCpu();
	return (end.total - end.idle - (start.total - start.idle)) / ((end.total - start.total) / cpus().length);
}

function withTargets(dump: Dump): Report {
	return { ...dump, targets: collectTargets(dump.results, dump.settings) };
}

/** --render FILE: RESULTS.md again from a --json dump, without measuring anything. */
function renderOnly(config: Config, file: string): void {
	const dump = JSON.parse(readFileSync(file, "utf8")) as { settings?: RunSettings; results?: Results };
	if (dump.settings === undefined || dump.results === undefined) throw new UsageError(`--render: ${file} is not a dump written by --json`);
	const report = withTargets(dump as Dump);
	if (config.out !== null) writeFileSync(config.out, renderMarkdown(report));
	process.stdout.write(renderConsole(report) + "\n");
}

function fail(error: unknown): never {
	if (error instanceof UsageError) {
		process.stderr.write(`bench: ${error.message}\n\n${USAGE}\n`);
		process.exit(2);
	}
	process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
	process.exit(1);
}

try {
	const config = parseConfig(process.argv.slice(2));
	if (config.help) process.stdout.write(USAGE + "\n");
	else if (config.render !== null) renderOnly(config, config.render);
	else await measure(config);
} catch (error) {
	fail(error);
}
