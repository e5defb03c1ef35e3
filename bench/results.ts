// What a bench run measures, as plain data: each section (bench/sections/) returns its part,
// bench/report/ renders the whole, and `--json` dumps it so that `--render` can render it again
// without measuring anything.
import type { RunSettings } from "./config.js";
import type { CoreResult } from "./core.js";
import type { LoadRun } from "./lib/load.js";
import type { ProfileSummary } from "./lib/profile.js";
import type { CapturedStatement, DiskUsage, FillReport, PgbenchResult, RoundTrips } from "./lib/sql.js";
import { type Summary, summarize } from "./lib/stats.js";
import type { Target } from "./report/targets.js";

/** One workload at one concurrency: medians and ranges over its runs. */
export interface HttpSummary {
	key: string;
	label: string;
	concurrency: number;
	runs: LoadRun[];
	rps: Summary;
	p50: Summary;
	p99: Summary;
	cpu: { client: number; server: number; postgres: number };
	/** Median CPU use of the whole machine during the runs, in cores. */
	machineBusy: number;
	/** Median CPU use of processes outside the bench during the runs, in cores. */
	foreign: number;
	errors: number;
	requests: number;
	firstError?: string;
}

export interface PgbenchSummary {
	concurrency: number;
	runs: PgbenchResult[];
	tps: Summary;
	latencyMs: Summary;
}

export interface CoreData {
	result: CoreResult;
	verifyProfile?: ProfileSummary;
	exchangeProfile?: ProfileSummary;
}

export interface MemoryStoreData {
	sessions: number;
	bytesPerSessionFresh: number;
	bytesPerSessionRotated: number;
	calibrationBytesPerSession: number;
	calibrationSessions: number;
}

/** A larger table, with the 10 k table measured in alternation with it. */
export interface ScalePoint {
	size: number;
	fill: FillReport;
	disk: DiskUsage;
	load: HttpSummary;
	baseline: HttpSummary;
	/** Share of the table's and its indexes' block requests served from shared buffers during the load runs at this size. */
	hitRatio?: { heap: number; index: number };
}

export interface PruneData {
	size: number;
	rowsDeleted: number;
	seconds: number;
	rowsPerSecond: number;
	during: HttpSummary;
	baseline: HttpSummary;
}

export interface DemoData {
	idleRss: number;
	run: LoadRun;
	rssMax: number;
	rssMedian: number;
	hwm: number;
	errors: number;
}

export interface Results {
	core?: CoreData;
	memory?: MemoryStoreData;
	roundTrips?: RoundTrips[];
	statement?: CapturedStatement;
	http: HttpSummary[];
	pgbench: PgbenchSummary[];
	rotateProfile?: { summary: ProfileSummary; concurrency: number };
	explain?: string;
	/** pg_stat_user_tables counters of the sessions table over the profiled run. */
	hot?: { table: string; updates: number; hotUpdates: number };
	scale: ScalePoint[];
	scaleSmallDisk?: DiskUsage;
	prune?: PruneData;
	demo?: DemoData;
	/** Said under "Method notes" (e.g. a scale size skipped to stay within the time limit). */
	notes: string[];
}

/** The machine the figures were taken on, read by the CLI: the renderer reads no process state. */
export interface Machine {
	cpuModel: string;
	cpus: number;
	memoryBytes: number;
	node: string;
	postgres: string;
	loadavgStart: number[];
	loadavgEnd: number[];
	/** Average cores busy over the whole run. */
	busyCores: number;
}

/** Everything RESULTS.md and the console summary are rendered from. */
export interface Report {
	settings: RunSettings;
	machine: Machine;
	/** When the run finished (ISO). */
	writtenAt: string;
	results: Results;
	targets: Target[];
}

export function emptyResults(): Results {
	return { http: [], pgbench: [], scale: [], notes: [] };
}

export function summarizeHttp(options: { key: string; label: string; concurrency: number; runs: LoadRun[] }): HttpSummary {
	const { runs } = options;
	const median = (pick: (run: LoadRun) => number): number => summarize(runs.map(pick)).median;
	const first = runs.find((run) => run.firstError !== undefined)?.firstError;
	return {
		key: options.key,
		label: options.label,
		concurrency: options.concurrency,
		runs,
		rps: summarize(runs.map((run) => run.rps)),
		p50: summarize(runs.map((run) => run.p50)),
		p99: summarize(runs.map((run) => run.p99)),
		cpu: { client: median((run) => run.cpuPerRequest.client), server: median((run) => run.cpuPerRequest.server), postgres: median((run) => run.cpuPerRequest.postgres) },
		machineBusy: median((run) => run.machine.busyCores),
		foreign: median((run) => run.machine.foreignCores),
		errors: runs.reduce((sum, run) => sum + run.errors, 0),
		requests: runs.reduce((sum, run) => sum + run.requests, 0),
		...(first === undefined ? {} : { firstError: first }),
	};
}

/** Every HTTP summary of the run (the load windows whose foreign CPU the machine note quotes). */
export function loadSummaries(results: Results): HttpSummary[] {
	return [...results.http, ...results.scale.flatMap((entry) => [entry.load, entry.baseline]), ...(results.prune === undefined ? [] : [results.prune.during])];
}
