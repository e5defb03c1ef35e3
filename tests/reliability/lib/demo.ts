// The demo server (examples/node-server/server.ts) as a real child process: `node --import tsx`,
// PORT=0 on 127.0.0.1, DATABASE_URL and AUTH_KEYS from the test, a temp working directory.
// Every line it prints is kept (with the time it arrived) for the tests to count and grep.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { TEST_REFRESH_SECRET } from "../../helpers.js";

const SERVER = fileURLToPath(new URL("../../../examples/node-server/server.ts", import.meta.url));

export interface DemoProcess {
	origin: string;
	pid: number;
	/** Everything it printed on stdout and stderr, line by line. */
	lines: Array<{ at: number; stream: "stdout" | "stderr"; text: string }>;
	/** Resident set size (bytes) from /proc, or null when it exited. */
	rss(): number | null;
	exited(): boolean;
	/** SIGTERM (the demo closes its pool), then SIGKILL after 10 s. */
	stop(): Promise<void>;
}

export interface DemoOptions {
	databaseUrl: string;
	authKeys: string;
	issuer: string;
	accessTokenTtl?: string;
	/** Extra environment. */
	env?: Record<string, string>;
}

export async function startDemo(options: DemoOptions): Promise<DemoProcess> {
	const cwd = mkdtempSync(join(tmpdir(), "rk-rel-demo-"));
	const env: NodeJS.ProcessEnv = {
		...process.env,
		PORT: "0",
		HOST: "127.0.0.1",
		DATABASE_URL: options.databaseUrl,
		AUTH_KEYS: options.authKeys,
		// The tests compute stored hashes, which are keyed by the refresh secret.
		REFRESH_SECRET: TEST_REFRESH_SECRET,
		ISSUER: options.issuer,
		ACCESS_TOKEN_TTL: options.accessTokenTtl ?? "60s",
		...options.env,
	};
	const child: ChildProcess = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), SERVER], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
	const lines: DemoProcess["lines"] = [];
	let exited = false;
	const partial = { stdout: "", stderr: "" };
	for (const stream of ["stdout", "stderr"] as const) {
		child[stream]?.on("data", (chunk: Buffer) => {
			const text = partial[stream] + chunk.toString("utf8");
			const parts = text.split("\n");
			partial[stream] = parts.pop() ?? "";
			const at = Date.now();
			for (const line of parts) lines.push({ at, stream, text: line });
		});
	}
	const exit = new Promise<void>((resolve) =>
		child.once("exit", () => {
			exited = true;
			for (const stream of ["stdout", "stderr"] as const) if (partial[stream] !== "") lines.push({ at: Date.now(), stream, text: partial[stream] });
			rmSync(cwd, { recursive: true, force: true });
			resolve();
		}),
	);
	const origin = await new Promise<string>((resolve, reject) => {
		const started = Date.now();
		const timer = setInterval(() => {
			const all = lines.map((line) => line.text).join("\n");
			const url = /demo on (http:\/\/127\.0\.0\.1:\d+)/.exec(all);
			const ready = all.includes("[store] ready");
			if (url !== null && ready) {
				clearInterval(timer);
				resolve(url[1] as string);
			} else if (exited || Date.now() - started > 30_000) {
				clearInterval(timer);
				reject(new Error(`the demo did not become ready:\n${all}`));
			}
		}, 25);
	});
	return {
		origin,
		pid: child.pid as number,
		lines,
		rss() {
			try {
				const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
				return match === null ? null : Number(match[1]) * 1024;
			} catch {
				return null;
			}
		},
		exited: () => exited,
		async stop() {
			if (exited) return;
			child.kill("SIGTERM");
			const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
			await exit;
			clearTimeout(timer);
		},
	};
}
