// Child processes of the bench: start a server and wait for its "READY <port>" line, read CPU
// time and RSS from /proc, find a free port.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const BENCH_DIR = fileURLToPath(new URL("..", import.meta.url));
export const ROOT_DIR = fileURLToPath(new URL("../..", import.meta.url));
const CLOCK_TICKS = 100; // USER_HZ on Linux
/** tsx's loader as a URL, so children started in another working directory still find it. */
export const TSX = import.meta.resolve("tsx");

export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.unref();
		server.on("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const address = server.address();
			const port = typeof address === "object" && address !== null ? address.port : 0;
			server.close(() => resolve(port));
		});
	});
}

export interface NodeChild {
	child: ChildProcess;
	pid: number;
	/** The first value after READY on the child's stdout (a port, usually). */
	ready: string;
	/** Lines the child printed after READY. */
	lines: string[];
	stop: () => Promise<void>;
}

export interface SpawnOptions {
	env?: Record<string, string>;
	nodeArgs?: string[];
	/** Prefix the command (e.g. ["taskset", "-c", "1"]). */
	wrap?: string[];
	timeoutMs?: number;
	cwd?: string;
	/** The line that says the child is ready (default: starts with "READY"); `ready` is what follows the match. */
	readyPattern?: RegExp;
}

/** Spawns `node --import tsx <script> …args` and resolves once it prints "READY <value>". */
export function spawnNode(script: string, args: string[], options: SpawnOptions = {}): Promise<NodeChild> {
	const argv = [...(options.wrap ?? []), process.execPath, ...(options.nodeArgs ?? []), "--import", TSX, script, ...args];
	const child = spawn(argv[0] as string, argv.slice(1), {
		cwd: options.cwd ?? ROOT_DIR,
		env: { ...process.env, ...options.env },
		stdio: ["ignore", "pipe", "pipe"],
	});
	const lines: string[] = [];
	let stderr = "";
	child.stderr?.on("data", (chunk: Buffer) => {
		stderr += chunk.toString();
		if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
	});
	return new Promise((resolve, reject) => {
		let settled = false;
		const timer = setTimeout(() => fail(new Error(`${script} did not become ready within ${options.timeoutMs ?? 60_000} ms\n${stderr}`)), options.timeoutMs ?? 60_000);
		function fail(error: Error): void {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			child.kill("SIGKILL");
			reject(error);
		}
		child.on("exit", (code, signal) => fail(new Error(`${script} exited early (${code ?? signal})\n${stderr}`)));
		const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
		const pattern = options.readyPattern ?? /^READY ?/;
		rl.on("line", (line) => {
			const match = settled ? null : pattern.exec(line);
			if (match !== null) {
				settled = true;
				clearTimeout(timer);
				resolve({
					child,
					pid: child.pid as number,
					ready: line.slice(match.index + match[0].length).trim(),
					lines,
					stop: () => stopChild(child),
				});
				return;
			}
			// Only the last lines are kept: a server that logs every request must not grow our heap.
			lines.push(line);
			if (lines.length > 200) lines.splice(0, 100);
		});
	});
}

/** SIGTERM (the servers exit cleanly on it: pools closed, profiles written), SIGKILL after 10 s. */
export function stopChild(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
	return new Promise((resolve) => {
		const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
		child.once("exit", () => {
			clearTimeout(timer);
			resolve();
		});
		child.kill("SIGTERM");
	});
}

/** user + system CPU seconds of a process (0 when it is gone). */
export function cpuSeconds(pid: number): number {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
		const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
		// fields[11] = utime, fields[12] = stime (fields 14 and 15 of stat(5), 0-based after comm)
		return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
	} catch {
		return 0;
	}
}

/** CPU seconds of a process's children that have exited and been waited for (cutime + cstime). */
export function reapedChildrenCpuSeconds(pid: number): number {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
		const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
		return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
	} catch {
		return 0;
	}
}

export function sumCpuSeconds(pids: readonly number[]): number {
	let total = 0;
	for (const pid of pids) total += cpuSeconds(pid);
	return total;
}

/** Resident set size in bytes (VmRSS) and its peak (VmHWM). */
export function memoryOf(pid: number): { rss: number; hwm: number } {
	try {
		const status = readFileSync(`/proc/${pid}/status`, "utf8");
		const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
		return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
	} catch {
		return { rss: 0, hwm: 0 };
	}
}

/** Total CPU time of the machine (all cores, jiffies→s) and its idle part, for load notes. */
export function machineCpu(): { total: number; idle: number } {
	const line = readFileSync("/proc/stat", "utf8").split("\n")[0] as string;
	const values = line.trim().split(/\s+/).slice(1).map(Number);
	const total = values.reduce((sum, value) => sum + value, 0) / CLOCK_TICKS;
	const idle = ((values[3] ?? 0) + (values[4] ?? 0)) / CLOCK_TICKS;
	return { total, idle };
}
