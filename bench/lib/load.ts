// Runs one load-generator process against a server and accounts for where the CPU went
// during the measured window: load generator, server, PostgreSQL.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { LoadResult, LoadSpec } from "../loadgen.js";
import { BENCH_DIR, machineCpu, memoryOf, ROOT_DIR, sumCpuSeconds, TSX } from "./proc.js";

export interface LoadRun extends LoadResult {
	/** CPU seconds per request in the window, by party. */
	cpuPerRequest: { client: number; server: number; postgres: number };
	/** CPU use of the whole machine during the window, in cores (of os.cpus().length), and the part no party of this run used. */
	machine: { busyCores: number; foreignCores: number };
	/** Server RSS samples (bytes) during the window, when asked for. */
	rss?: { max: number; median: number; hwm: number };
}

export interface LoadOptions {
	serverPids?: () => number[];
	/** CPU seconds used so far by PostgreSQL (see PostgresServer.cpuSeconds). */
	postgresCpu?: () => number;
	/** Sample this pid's RSS every 200 ms during the window. */
	rssPid?: number;
	/** Runs alongside the measured window (e.g. a pruner); gets a signal that aborts at the end. */
	during?: (signal: AbortSignal) => Promise<void>;
	/** End the measured window as soon as `during` has finished. */
	endWithDuring?: boolean;
	wrap?: string[];
	/** Called when the measured window starts and ends (e.g. to toggle a profiler). */
	onWindow?: (phase: "start" | "end") => void;
}

export function runLoad(spec: LoadSpec, options: LoadOptions = {}): Promise<LoadRun> {
	const argv = [...(options.wrap ?? []), process.execPath, "--import", TSX, `${BENCH_DIR}loadgen.ts`, JSON.stringify(spec)];
	const child = spawn(argv[0] as string, argv.slice(1), { cwd: ROOT_DIR, stdio: ["pipe", "pipe", "pipe"] });
	child.stdin.on("error", () => undefined);
	let stderr = "";
	child.stderr.on("data", (chunk: Buffer) => {
		stderr = (stderr + chunk.toString()).slice(-5000);
	});
	const serverPids = options.serverPids ?? (() => []);
	const postgresCpu = options.postgresCpu ?? (() => 0);
	let cpuStart = { server: 0, postgres: 0, machine: machineCpu() };
	let cpuEnd = { server: 0, postgres: 0, machine: machineCpu() };
	const rssSamples: number[] = [];
	let rssTimer: ReturnType<typeof setInterval> | undefined;
	const abort = new AbortController();
	let during: Promise<void> = Promise.resolve();
	return new Promise((resolve, reject) => {
		const timeout = setTimeout(() => child.kill("SIGKILL"), spec.warmupMs + spec.durationMs + 120_000);
		const rl = createInterface({ input: child.stdout });
		let result: LoadResult | null = null;
		rl.on("line", (line) => {
			if (line === "MEASURE_START") {
				cpuStart = { server: sumCpuSeconds(serverPids()), postgres: postgresCpu(), machine: machineCpu() };
				if (options.rssPid !== undefined) {
					const pid = options.rssPid;
					rssTimer = setInterval(() => rssSamples.push(memoryOf(pid).rss), 200);
				}
				if (options.during !== undefined) {
					during = options.during(abort.signal);
					if (options.endWithDuring === true)
						during.then(
							() => child.stdin.write("STOP\n"),
							() => child.stdin.write("STOP\n"),
						);
				}
				options.onWindow?.("start");
			} else if (line === "MEASURE_END") {
				cpuEnd = { server: sumCpuSeconds(serverPids()), postgres: postgresCpu(), machine: machineCpu() };
				clearInterval(rssTimer);
				abort.abort();
				options.onWindow?.("end");
			} else if (line.startsWith("RESULT ")) {
				result = JSON.parse(line.slice(7)) as LoadResult;
			}
		});
		child.on("exit", (code) => {
			clearTimeout(timeout);
			clearInterval(rssTimer);
			abort.abort();
			during.then(
				() => {
					if (result === null) return reject(new Error(`load generator failed (${code}): ${stderr}`));
					const n = Math.max(1, result.requests);
					const busy = cpuEnd.machine.total - cpuEnd.machine.idle - (cpuStart.machine.total - cpuStart.machine.idle);
					const ours = result.clientCpuSeconds + (cpuEnd.server - cpuStart.server) + (cpuEnd.postgres - cpuStart.postgres);
					const run: LoadRun = {
						...result,
						machine: { busyCores: busy / result.seconds, foreignCores: Math.max(0, busy - ours) / result.seconds },
						cpuPerRequest: {
							client: result.clientCpuSeconds / n,
							server: (cpuEnd.server - cpuStart.server) / n,
							postgres: (cpuEnd.postgres - cpuStart.postgres) / n,
						},
					};
					if (options.rssPid !== undefined && rssSamples.length > 0) {
						const sorted = [...rssSamples].sort((a, b) => a - b);
						run.rss = { max: sorted[sorted.length - 1] as number, median: sorted[Math.floor(sorted.length / 2)] as number, hwm: memoryOf(options.rssPid).hwm };
					}
					resolve(run);
				},
				(error: unknown) => reject(error),
			);
		});
	});
}
