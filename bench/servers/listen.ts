// What every bench server shares: listen on 127.0.0.1 (PORT or a free port), announce
// "READY <port>" to the orchestrator, and exit cleanly on SIGTERM so that `--cpu-prof`
// profiles get written.
import { writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { Session } from "node:inspector";

export function listen(server: Server, onClose: () => Promise<void> = async () => undefined): void {
	server.keepAliveTimeout = 60_000;
	server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
		const address = server.address();
		process.stdout.write(`READY ${typeof address === "object" && address !== null ? address.port : ""}\n`);
	});
	let closing = false;
	function shutdown(): void {
		if (closing) return;
		closing = true;
		server.closeAllConnections();
		server.close();
		onClose().finally(() => process.exit(0));
		setTimeout(() => process.exit(0), 5000).unref();
	}
	process.on("SIGTERM", shutdown);
	process.on("SIGINT", shutdown);
	if (process.env.BENCH_PROFILE !== undefined) profileOnSignal(process.env.BENCH_PROFILE);
}

/**
 * CPU profiling of the measured window only (startup and module loading left out): the first
 * SIGUSR2 starts the V8 profiler, the second writes a .cpuprofile to `file` and prints PROFILED.
 */
function profileOnSignal(file: string): void {
	const session = new Session();
	session.connect();
	let running = false;
	process.on("SIGUSR2", () => {
		if (!running) {
			running = true;
			session.post("Profiler.enable", () => session.post("Profiler.start"));
			return;
		}
		running = false;
		session.post("Profiler.stop", (error, result) => {
			if (error === null) writeFileSync(file, JSON.stringify(result.profile));
			process.stdout.write("PROFILED\n");
		});
	});
}

/** Reads a request body (bounded) as a string. */
export function readBody(request: import("node:http").IncomingMessage, limit = 16_384): Promise<string> {
	return new Promise((resolve, reject) => {
		let body = "";
		request.setEncoding("utf8");
		request.on("data", (chunk: string) => {
			body += chunk;
			if (body.length > limit) reject(new Error("body too large"));
		});
		request.on("end", () => resolve(body));
		request.on("error", reject);
	});
}

/** The BATCH variable of the refresh-kit servers: "off", "on" (the store's defaults, also when unset), or the `batch` option as JSON. */
export function batchOption(value: string | undefined): boolean | Record<string, number> {
	if (value === undefined || value === "on") return true;
	if (value === "off") return false;
	return JSON.parse(value) as Record<string, number>;
}
