// The bench's command line: parsed and checked before PostgreSQL starts, so that a typo fails
// at once with a clear message instead of being ignored, or failing, after minutes of measuring.
import { join } from "node:path";
import { BENCH_DIR } from "./lib/proc.js";
import { WORKLOAD_KEYS } from "./sections/servers.js";

/** The sections `--skip` can leave out, in the order the run measures them. */
export const SECTIONS = ["core", "roundtrips", "http", "profile", "demo", "memory", "scale"] as const;
export type SectionName = (typeof SECTIONS)[number];

export interface Config {
	quick: boolean;
	runs: number;
	warmupMs: number;
	durationMs: number;
	concurrency: number[];
	pool: number;
	core: { runs: number; ms: number; concurrency: number };
	memorySessions: number;
	scaleSizes: number[];
	scaleConcurrency: number;
	demoMs: number;
	/** --pin: load generator and pgbench on CPU 0, servers on CPU 1 (taskset); PostgreSQL unpinned. */
	pin: boolean;
	/** --batch: the refresh-kit servers' store batches rotations ("on", the store's default) or runs one statement per refresh ("off"). */
	batch: "on" | "off";
	/** --workloads: only these section-3 workloads (keys of bench/sections/servers.ts); null = all. */
	workloads: ReadonlySet<string> | null;
	/** --base-tree: the root of a checkout from before refresh.secret, whose rotate and reuse servers run beside ours (issue 10). */
	baseTree: string | null;
	/** --before-tree: the root of a checkout from before this tree's performance work, whose rotate server runs beside ours (before/after). */
	beforeTree: string | null;
	skip: Set<SectionName>;
	/** Where RESULTS.md goes; null with --no-write (the CI smoke run must not touch the committed file). */
	out: string | null;
	/** --json FILE: also write the raw results there; --render FILE: only re-render RESULTS.md from such a file. */
	json: string | null;
	render: string | null;
	help: boolean;
}

/** What the report needs to know about how the figures were taken. */
export type RunSettings = Pick<Config, "quick" | "runs" | "warmupMs" | "durationMs" | "concurrency" | "pool" | "core" | "scaleConcurrency" | "demoMs" | "pin" | "batch">;

export const USAGE = `usage: npm run bench [-- options]

  --quick             smoke run (< 90 s): one short run per figure, small scale sizes
  --runs N            runs per figure (default 5, quick 1)
  --duration S        seconds per load run (default 3, quick 1)
  --pool N            PostgreSQL pool of every HTTP server (default 10)
  --max-sessions N    largest table of the scale section
  --skip a,b          leave out sections: ${SECTIONS.join(",")}
  --pin               load generator and pgbench on CPU 0, servers on CPU 1 (taskset)
  --batch on|off      whether refresh-kit's servers batch rotations (default on, the store's default)
  --concurrency a,b   section 3's connection counts (default 1,10,50)
  --workloads a,b     section 3 runs only these workloads (${WORKLOAD_KEYS.join(",")})
  --base-tree DIR     also run the rotate and reuse servers of a checkout from before refresh.secret
  --before-tree DIR   also run the rotate server of a checkout from before the performance work
  --out FILE          where the report goes (default bench/RESULTS.md)
  --no-write          print the summary only, write no report
  --json FILE         also write the raw results as JSON
  --render FILE       render the report again from such a JSON file, measuring nothing
  --help              this text`;

/** A command line the bench refuses; the message names the option and what it expects. */
export class UsageError extends Error {
	override name = "UsageError";
}

const FLAGS = new Set(["quick", "pin", "no-write", "help"]);
const VALUES = new Set(["runs", "duration", "pool", "max-sessions", "skip", "out", "json", "render", "batch", "workloads", "base-tree", "before-tree", "concurrency"]);

/**
 * Reads `--name value`, `--name=value` and bare flags; anything else is a UsageError.
 *
 * @example
 * parseConfig(["--quick", "--no-write"]).out; // null
 * parseConfig(["--runs", "0"]); // throws UsageError: --runs must be a whole number ≥ 1, got "0"
 */
export function parseConfig(argv: readonly string[]): Config {
	const { flags, values } = readArguments(argv);
	const quick = flags.has("quick");
	const runs = positive(values, "runs", { whole: true }) ?? (quick ? 1 : 5);
	const duration = positive(values, "duration", { whole: false }) ?? (quick ? 1 : 3);
	const maxSessions = positive(values, "max-sessions", { whole: true }) ?? Number.POSITIVE_INFINITY;
	return {
		quick,
		runs,
		warmupMs: quick ? 400 : 700,
		durationMs: duration * 1000,
		concurrency: concurrencyList(values.get("concurrency")),
		pool: positive(values, "pool", { whole: true }) ?? 10,
		core: quick ? { runs: 1, ms: 300, concurrency: 32 } : { runs, ms: 1000, concurrency: 32 },
		memorySessions: quick ? 50_000 : 1_000_000,
		scaleSizes: (quick ? [10_000, 100_000] : [10_000, 1_000_000, 10_000_000]).filter((size) => size <= maxSessions),
		scaleConcurrency: 10,
		demoMs: quick ? 1500 : 8000,
		pin: flags.has("pin"),
		batch: batchMode(values.get("batch")),
		workloads: workloadList(values.get("workloads")),
		baseTree: values.get("base-tree") ?? null,
		beforeTree: values.get("before-tree") ?? null,
		skip: sectionList(values.get("skip")),
		out: flags.has("no-write") ? null : (values.get("out") ?? join(BENCH_DIR, "RESULTS.md")),
		json: values.get("json") ?? null,
		render: values.get("render") ?? null,
		help: flags.has("help"),
	};
}

function readArguments(argv: readonly string[]): { flags: Set<string>; values: Map<string, string> } {
	const flags = new Set<string>();
	const values = new Map<string, string>();
	for (let index = 0; index < argv.length; index++) {
		const arg = argv[index] as string;
		if (!arg.startsWith("--")) throw new UsageError(`unexpected argument "${arg}" (options start with --)`);
		const equals = arg.indexOf("=");
		const name = equals < 0 ? arg.slice(2) : arg.slice(2, equals);
		if (FLAGS.has(name)) {
			if (equals >= 0) throw new UsageError(`--${name} takes no value`);
			flags.add(name);
			continue;
		}
		if (!VALUES.has(name)) throw new UsageError(`unknown option --${name}`);
		const value = equals >= 0 ? arg.slice(equals + 1) : argv[++index];
		if (value === undefined || value === "" || (equals < 0 && value.startsWith("--"))) throw new UsageError(`--${name} needs a value`);
		if (values.has(name)) throw new UsageError(`--${name} is given twice`);
		values.set(name, value);
	}
	return { flags, values };
}

function positive(values: Map<string, string>, name: string, options: { whole: boolean }): number | undefined {
	const text = values.get(name);
	if (text === undefined) return undefined;
	const value = Number(text);
	const valid = Number.isFinite(value) && (options.whole ? Number.isSafeInteger(value) && value >= 1 : value > 0);
	if (!valid) throw new UsageError(`--${name} must be ${options.whole ? "a whole number ≥ 1" : "a number > 0"}, got "${text}"`);
	return value;
}

function sectionList(text: string | undefined): Set<SectionName> {
	const names = (text ?? "").split(",").filter((name) => name !== "");
	const unknown = names.filter((name) => !(SECTIONS as readonly string[]).includes(name));
	if (unknown.length > 0) throw new UsageError(`--skip: unknown section ${unknown.map((name) => `"${name}"`).join(", ")} (sections: ${SECTIONS.join(", ")})`);
	return new Set(names as SectionName[]);
}

function batchMode(text: string | undefined): "on" | "off" {
	if (text === undefined || text === "on" || text === "off") return text ?? "on";
	throw new UsageError(`--batch must be "on" or "off", got "${text}"`);
}

function concurrencyList(text: string | undefined): number[] {
	if (text === undefined) return [1, 10, 50];
	const values = text.split(",").map(Number);
	if (values.length === 0 || values.some((value) => !Number.isSafeInteger(value) || value < 1 || value > 200)) throw new UsageError(`--concurrency must be connection counts from 1 to 200, got "${text}"`);
	return [...new Set(values)].sort((a, b) => a - b);
}

function workloadList(text: string | undefined): ReadonlySet<string> | null {
	if (text === undefined) return null;
	const names = text.split(",").filter((name) => name !== "");
	const unknown = names.filter((name) => !(WORKLOAD_KEYS as readonly string[]).includes(name));
	if (unknown.length > 0 || names.length === 0) throw new UsageError(`--workloads: unknown workload ${unknown.map((name) => `"${name}"`).join(", ") || "(none given)"} (workloads: ${WORKLOAD_KEYS.join(", ")})`);
	return new Set(names);
}

export function runSettings(config: Config): RunSettings {
	const { quick, runs, warmupMs, durationMs, concurrency, pool, core, scaleConcurrency, demoMs, pin, batch } = config;
	return { quick, runs, warmupMs, durationMs, concurrency, pool, core, scaleConcurrency, demoMs, pin, batch };
}
