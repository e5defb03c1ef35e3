// What the sections share: the run's context, load specs, CPU pinning, and the child scripts
// (bench/core.ts, bench/memory-store.ts) that print one RESULT line.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Config } from "../config.js";
import { BENCH_DIR, ROOT_DIR, TSX } from "../lib/proc.js";
import type { LoadSpec } from "../loadgen.js";

export interface BenchContext {
	config: Config;
	/** This run's scratch directory (profiles, the pgbench script). */
	scratch: string;
	/** A progress line on stdout, stamped with the seconds since the start. */
	log: (message: string) => void;
	/** Seconds since the run started (the scale section keeps the full run within its budget). */
	elapsedSeconds: () => number;
}

/** What a workload sends; the run fills in where and for how long. */
export type Workload = Omit<LoadSpec, "host" | "port" | "connections" | "warmupMs" | "durationMs" | "tag">;

export const FORM = "application/x-www-form-urlencoded";

/**
 * The concurrencies most workloads and targets use: every one above a single connection (which
 * only checks that batching costs a lone client nothing), or all of them if there is no other.
 */
export function busyLevels(concurrency: readonly number[]): number[] {
	const busy = concurrency.filter((c) => c > 1);
	return busy.length > 0 ? busy : [...concurrency];
}

/** `--pin`: the load generator (and pgbench) on CPU 0. */
export function clientWrap(config: Config): string[] {
	return config.pin ? ["taskset", "-c", "0"] : [];
}

/** `--pin`: every server on CPU 1. */
export function serverWrap(config: Config): string[] {
	return config.pin ? ["taskset", "-c", "1"] : [];
}

export function loadSpec(config: Config, options: { port: number; connections: number; tag: string; workload: Workload; durationMs?: number }): LoadSpec {
	return { host: "127.0.0.1", port: options.port, connections: options.connections, warmupMs: config.warmupMs, durationMs: options.durationMs ?? config.durationMs, tag: options.tag, ...options.workload };
}

/** Runs `node [nodeArgs] --import tsx bench/<script> <json arg>` and resolves with its RESULT line. */
export function runScript<T>(script: string, arg: unknown, options: { nodeArgs?: string[] } = {}): Promise<T> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [...(options.nodeArgs ?? []), "--import", TSX, join(BENCH_DIR, script), JSON.stringify(arg)], { cwd: ROOT_DIR, stdio: ["ignore", "pipe", "pipe"] });
		let stderr = "";
		child.stderr.on("data", (chunk: Buffer) => {
			stderr = (stderr + chunk.toString()).slice(-5000);
		});
		let result: T | null = null;
		createInterface({ input: child.stdout }).on("line", (line) => {
			if (line.startsWith("RESULT ")) result = JSON.parse(line.slice(7)) as T;
		});
		child.on("exit", (code) => (result === null ? reject(new Error(`${script} failed (${code}): ${stderr}`)) : resolve(result)));
	});
}
