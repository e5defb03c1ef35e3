// A PostgreSQL server this test owns outright (its own data directory and port), so that it can
// be killed with SIGKILL and restarted the way a supervisor (systemd, a container runtime)
// would. tests/support/postgres.ts shares one server per process and must not be killed.
import { execFile, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";

const run = promisify(execFile);

export interface OwnedPostgres {
	port: number;
	/** Superuser URL of database `name` (created at start). */
	url: string;
	dir: string;
	logFile: string;
	/** PID of the running postmaster, read from postmaster.pid. */
	postmasterPid(): number;
	/** The postmaster's child processes (backends and auxiliary processes): pid and command line. */
	children(): Array<{ pid: number; command: string }>;
	/** SIGKILL to the postmaster only. Returns the children it left behind. */
	killPostmaster(): Array<{ pid: number; command: string }>;
	/** SIGKILL to the postmaster and every child at once (a host or container crash). */
	killAll(): Array<{ pid: number; command: string }>;
	/**
	 * Starts the server again from its data directory, retrying while the old one's processes or
	 * shared memory are still around, as a supervisor would. Returns the attempts it took.
	 */
	restart(options?: { timeoutMs?: number }): Promise<{ attempts: number; ms: number }>;
	stop(): Promise<void>;
}

interface RunAs {
	name: string;
	uid: number;
	gid: number;
}

function binDir(): string {
	const candidates = [process.env.PGBIN, "/usr/lib/postgresql/15/bin"];
	if (existsSync("/usr/lib/postgresql")) {
		for (const version of readdirSync("/usr/lib/postgresql").sort().reverse()) candidates.push(`/usr/lib/postgresql/${version}/bin`);
	}
	const found = candidates.find((dir) => dir !== undefined && existsSync(join(dir, "pg_ctl")));
	if (found === undefined) throw new Error("no PostgreSQL binaries (set PGBIN)");
	return found;
}

async function runAsUser(): Promise<RunAs | null> {
	if (process.getuid?.() !== 0) return null;
	const lookup = async (): Promise<RunAs | null> => {
		try {
			return { name: "postgres", uid: Number((await run("id", ["-u", "postgres"])).stdout), gid: Number((await run("id", ["-g", "postgres"])).stdout) };
		} catch {
			return null;
		}
	};
	const found = await lookup();
	if (found !== null) return found;
	await run("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"]);
	return (await lookup()) as RunAs;
}

export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const probe = createServer();
		probe.once("error", reject);
		probe.listen(0, "127.0.0.1", () => {
			const { port } = probe.address() as { port: number };
			probe.close(() => resolve(port));
		});
	});
}

/** Whether `pid` still runs. A zombie (exited, not yet reaped by whoever adopted it) counts as gone. */
function alive(pid: number): boolean {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
		return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
	} catch {
		try {
			process.kill(pid, 0);
			return true;
		} catch {
			return false;
		}
	}
}

export async function sleep(ms: number): Promise<void> {
	await new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * initdb + start. `settings` are extra `-c name=value` server settings. Durability: fsync is
 * off (only a host crash could lose data then; these tests kill processes, not the host) but
 * synchronous_commit stays on, so an answered commit survives a SIGKILL of the server.
 */
export async function startOwnedPostgres(options: { database: string; settings?: Record<string, string | number> }): Promise<OwnedPostgres> {
	const bin = binDir();
	const runAs = await runAsUser();
	const dir = mkdtempSync(join(tmpdir(), "rk-rel-pg-"));
	if (runAs !== null) chownSync(dir, runAs.uid, runAs.gid);
	const data = join(dir, "data");
	const logFile = join(dir, "server.log");
	const exec = async (binary: string, args: string[]): Promise<void> => {
		if (runAs === null) await run(join(bin, binary), args);
		else await run("runuser", ["-u", runAs.name, "--", join(bin, binary), ...args]);
	};
	await exec("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]);
	const settings: Record<string, string | number> = { fsync: "off", max_connections: 200, shared_buffers: "64MB", ...options.settings };
	let port = 0;
	const startOnce = async (): Promise<void> => {
		const flags = [`-h 127.0.0.1 -p ${port} -k ${dir}`, ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`)].join(" ");
		await exec("pg_ctl", ["-D", data, "-l", logFile, "-w", "-t", "30", "-o", flags, "start"]);
	};
	let started = false;
	for (let attempt = 0; attempt < 4 && !started; attempt++) {
		port = await freePort();
		started = await startOnce().then(
			() => true,
			() => false,
		);
	}
	if (!started) {
		const log = existsSync(logFile) ? readFileSync(logFile, "utf8").slice(-2000) : "";
		rmSync(dir, { recursive: true, force: true });
		throw new Error(`could not start PostgreSQL:\n${log}`);
	}
	const admin = postgres(`postgres://postgres@127.0.0.1:${port}/postgres`, { max: 1, onnotice: () => {} });
	await admin.unsafe(`create database ${options.database}`);
	await admin.end({ timeout: 5 });

	let stopped = false;
	const postmasterPid = (): number => Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
	const children = (): Array<{ pid: number; command: string }> => {
		const out = spawnSync("ps", ["-o", "pid=,args=", "--ppid", String(postmasterPid())], { encoding: "utf8" }).stdout;
		return out
			.split("\n")
			.map((line) => line.trim())
			.filter((line) => line !== "")
			.map((line) => {
				const [pid, ...command] = line.split(/\s+/);
				return { pid: Number(pid), command: command.join(" ") };
			});
	};
	const stopSync = (): void => {
		if (stopped) return;
		stopped = true;
		const args = ["-D", data, "-m", "immediate", "-w", "-t", "20", "stop"];
		if (runAs === null) spawnSync(join(bin, "pg_ctl"), args, { stdio: "ignore" });
		else spawnSync("runuser", ["-u", runAs.name, "--", join(bin, "pg_ctl"), ...args], { stdio: "ignore" });
		rmSync(dir, { recursive: true, force: true });
	};
	process.once("exit", stopSync);

	return {
		port,
		url: `postgres://postgres@127.0.0.1:${port}/${options.database}`,
		dir,
		logFile,
		postmasterPid,
		children,
		killPostmaster() {
			const left = children();
			process.kill(postmasterPid(), "SIGKILL");
			return left;
		},
		killAll() {
			const left = children();
			const pm = postmasterPid();
			process.kill(pm, "SIGKILL");
			for (const child of left) {
				try {
					process.kill(child.pid, "SIGKILL");
				} catch {
					// already gone
				}
			}
			return left;
		},
		async restart({ timeoutMs = 60_000 } = {}) {
			const started = Date.now();
			for (let attempts = 1; ; attempts++) {
				try {
					await startOnce();
					return { attempts, ms: Date.now() - started };
				} catch (error) {
					if (Date.now() - started > timeoutMs) throw error;
					await sleep(200);
				}
			}
		},
		async stop() {
			if (stopped) return;
			stopped = true;
			process.removeListener("exit", stopSync);
			const args = ["-D", data, "-m", "fast", "-w", "-t", "20", "stop"];
			await (runAs === null ? run(join(bin, "pg_ctl"), args) : run("runuser", ["-u", runAs.name, "--", join(bin, "pg_ctl"), ...args])).catch(() => undefined);
			rmSync(dir, { recursive: true, force: true });
		},
	};
}

/** Waits until every pid in `pids` has exited; returns when each went (ms after the call; -1 = still alive at the timeout). */
export async function waitForExit(pids: number[], timeoutMs = 30_000): Promise<Map<number, number>> {
	const started = Date.now();
	const gone = new Map<number, number>();
	for (;;) {
		for (const pid of pids) if (!gone.has(pid) && !alive(pid)) gone.set(pid, Date.now() - started);
		if (gone.size === pids.length) return gone;
		if (Date.now() - started > timeoutMs) {
			for (const pid of pids) if (!gone.has(pid)) gone.set(pid, -1);
			return gone;
		}
		await sleep(10);
	}
}

export { alive };
