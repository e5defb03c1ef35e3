/**
 * A throwaway PostgreSQL for tests, shared by every suite of one test process.
 *
 * ```ts
 * import { createDatabase, postgresOrSkip } from "../support/postgres.js";
 *
 * const server = await postgresOrSkip();          // null (with a warning) when no server can run
 * if (server !== null) {
 *   const url = await createDatabase("my_suite"); // a fresh, empty database on that server
 *   // … postgres(url) … and close your own pools in test.after
 * }
 * ```
 *
 * - `startPostgres()` starts ONE server per process on a free 127.0.0.1 port (initdb into a temp
 *   dir, trust auth, fsync off, `pg_stat_statements` preloaded when installed), or, when
 *   `DATABASE_URL` is set, uses that server instead. Later calls return the same server.
 * - The server stops when the process exits (also on SIGINT/SIGTERM). `server.stop()` only
 *   releases the caller's claim: other suites of the same process may still be using it.
 * - Under `CI=true` a server that cannot be started is a hard failure; elsewhere
 *   `postgresOrSkip()` returns null so the suite can skip itself.
 * - As root, postgres runs as the `postgres` OS user (created when missing), like scripts/pg.sh.
 *
 * Not a suite: the runner only picks up `*.test.ts`.
 */
import { execFile, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";

const run = promisify(execFile);

/** The shared server (or the `DATABASE_URL` one). */
export interface PostgresServer {
	/** Connection URL of the `postgres` maintenance database (superuser, trust auth). */
	url: string;
	port: number;
	/** Directory of the PostgreSQL binaries (pg_dump, psql, …), or null for a `DATABASE_URL` server. */
	binDir: string | null;
	/** Whether `pg_stat_statements` is preloaded, so `create extension pg_stat_statements` works. */
	statStatements: boolean;
	/** True when this is the `DATABASE_URL` server rather than one this process started. */
	external: boolean;
	/** Releases this caller's claim. The server itself stops at process exit. */
	stop(): Promise<void>;
}

let shared: Promise<PostgresServer> | null = null;

/** Starts (once per process) or reuses the throwaway server. Throws when it cannot. */
export function startPostgres(): Promise<PostgresServer> {
	shared ??= boot().catch((error: unknown) => {
		shared = null;
		throw error;
	});
	return shared;
}

/**
 * The shared server, or null when none can be started outside CI (a warning says why).
 * Under `CI=true` the failure is rethrown: a missing server must fail the run, not skip it.
 */
export async function postgresOrSkip(): Promise<PostgresServer | null> {
	try {
		return await startPostgres();
	} catch (error) {
		if (process.env.CI === "true") throw error;
		console.warn(`[tests] PostgreSQL unavailable, skipping its suites: ${(error as Error).message}`);
		return null;
	}
}

/**
 * Creates (dropping any leftover of the same name) an empty database on the shared server and
 * returns its URL. Names are plain identifiers: `[a-z_][a-z0-9_]*`.
 */
export async function createDatabase(name: string): Promise<string> {
	if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`createDatabase: bad name ${JSON.stringify(name)}`);
	const server = await startPostgres();
	const admin = postgres(server.url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
	try {
		await admin.unsafe(`drop database if exists ${name} with (force)`);
		await admin.unsafe(`create database ${name}`);
	} finally {
		await admin.end({ timeout: 5 });
	}
	const url = new URL(server.url);
	url.pathname = `/${name}`;
	return url.toString();
}

async function boot(): Promise<PostgresServer> {
	const external = process.env.DATABASE_URL;
	if (external !== undefined && external !== "") return useExternal(external);
	const binDir = findBinDir();
	if (binDir === null) throw new Error("no PostgreSQL binaries (set PGBIN, install postgresql, or set DATABASE_URL)");
	const runAs = process.getuid?.() === 0 ? await ensureUser("postgres") : null;
	const dir = mkdtempSync(join(tmpdir(), "rk-pg-"));
	if (runAs !== null) chownSync(dir, runAs.uid, runAs.gid);
	const cleanupDir = (): void => rmSync(dir, { recursive: true, force: true });
	try {
		await runPg(runAs, join(binDir, "initdb"), ["-D", join(dir, "data"), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]);
	} catch (error) {
		cleanupDir();
		throw error;
	}
	const statStatements = existsSync(join(pkgLibDir(binDir), "pg_stat_statements.so"));
	let lastError: unknown = null;
	for (let attempt = 0; attempt < 4; attempt++) {
		const port = await freePort();
		const settings = [
			`-h 127.0.0.1 -p ${port} -k ${dir}`,
			// Throwaway data: durability off makes the suites several times faster.
			"-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
			"-c max_connections=300 -c shared_buffers=64MB",
			statStatements ? "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all" : "",
		].join(" ");
		try {
			await runPg(runAs, join(binDir, "pg_ctl"), ["-D", join(dir, "data"), "-l", join(dir, "server.log"), "-w", "-t", "30", "-o", settings, "start"]);
		} catch (error) {
			lastError = error;
			continue; // most likely the port was taken between the probe and the bind
		}
		const server = started({ dir, binDir, runAs, port, statStatements });
		return server;
	}
	const log = existsSync(join(dir, "server.log")) ? readFileSync(join(dir, "server.log"), "utf8").slice(-2000) : "";
	cleanupDir();
	throw new Error(`could not start PostgreSQL: ${(lastError as Error | null)?.message ?? "unknown"}\n${log}`);
}

interface RunAs {
	name: string;
	uid: number;
	gid: number;
}

interface Started {
	dir: string;
	binDir: string;
	runAs: RunAs | null;
	port: number;
	statStatements: boolean;
}

function started({ dir, binDir, runAs, port, statStatements }: Started): PostgresServer {
	let stopped = false;
	const ctl = (): { command: string; args: string[] } => {
		const args = ["-D", join(dir, "data"), "-m", "fast", "-w", "-t", "20", "stop"];
		return runAs === null ? { command: join(binDir, "pg_ctl"), args } : { command: "runuser", args: ["-u", runAs.name, "--", join(binDir, "pg_ctl"), ...args] };
	};
	function stopSync(): void {
		if (stopped) return;
		stopped = true;
		const { command, args } = ctl();
		spawnSync(command, args, { stdio: "ignore" });
		rmSync(dir, { recursive: true, force: true });
	}
	async function stopAsync(): Promise<void> {
		if (stopped) return;
		stopped = true;
		const { command, args } = ctl();
		await run(command, args).catch(() => undefined);
		rmSync(dir, { recursive: true, force: true });
	}
	process.once("beforeExit", () => void stopAsync());
	process.once("exit", stopSync);
	for (const signal of ["SIGINT", "SIGTERM"] as const) {
		process.once(signal, () => {
			stopSync();
			process.exit(signal === "SIGINT" ? 130 : 143);
		});
	}
	return {
		url: `postgres://postgres@127.0.0.1:${port}/postgres`,
		port,
		binDir,
		statStatements,
		external: false,
		stop: async () => {},
	};
}

async function useExternal(url: string): Promise<PostgresServer> {
	const client = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
	let statStatements = false;
	try {
		const rows = await client`select current_setting('shared_preload_libraries') as libs`;
		statStatements = String(rows[0]?.libs ?? "").includes("pg_stat_statements");
	} finally {
		await client.end({ timeout: 5 });
	}
	const parsed = new URL(url);
	return {
		url,
		port: Number(parsed.port || 5432),
		binDir: findBinDir(),
		statStatements,
		external: true,
		stop: async () => {},
	};
}

function findBinDir(): string | null {
	const candidates: string[] = [];
	if (process.env.PGBIN) candidates.push(process.env.PGBIN);
	candidates.push("/usr/lib/postgresql/15/bin");
	if (existsSync("/usr/lib/postgresql")) {
		const versions = readdirSync("/usr/lib/postgresql")
			.filter((v) => /^\d+$/.test(v))
			.sort((a, b) => Number(b) - Number(a));
		for (const version of versions) candidates.push(`/usr/lib/postgresql/${version}/bin`);
	}
	return candidates.find((dir) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl"))) ?? null;
}

function pkgLibDir(binDir: string): string {
	const result = spawnSync(join(binDir, "pg_config"), ["--pkglibdir"], { encoding: "utf8" });
	return result.status === 0 ? result.stdout.trim() : join(binDir, "..", "lib");
}

async function ensureUser(name: string): Promise<RunAs> {
	const lookup = async (): Promise<RunAs | null> => {
		try {
			const uid = Number((await run("id", ["-u", name])).stdout.trim());
			const gid = Number((await run("id", ["-g", name])).stdout.trim());
			return { name, uid, gid };
		} catch {
			return null;
		}
	};
	const existing = await lookup();
	if (existing !== null) return existing;
	await run("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name]);
	const created = await lookup();
	if (created === null) throw new Error(`could not create the OS user ${name}`);
	return created;
}

async function runPg(runAs: RunAs | null, binary: string, args: string[]): Promise<void> {
	if (runAs === null) await run(binary, args);
	else await run("runuser", ["-u", runAs.name, "--", binary, ...args]);
}

function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const probe = createServer();
		probe.once("error", reject);
		probe.listen(0, "127.0.0.1", () => {
			const address = probe.address();
			const port = typeof address === "object" && address !== null ? address.port : 0;
			probe.close(() => resolve(port));
		});
	});
}

/** A plain-text pg_dump of `database` on `server` (the test server's own pg_dump when it has one). */
export async function pgDump(server: PostgresServer, database: string): Promise<string> {
	const binary = server.binDir === null ? "pg_dump" : join(server.binDir, "pg_dump");
	const target = new URL(server.url);
	target.pathname = `/${database}`;
	const { stdout } = await promisify(execFile)(binary, ["--no-owner", "--dbname", target.toString()], { maxBuffer: 64 * 1024 * 1024 });
	return stdout;
}
