// A throwaway PostgreSQL 15 for the bench, with the server's DEFAULT durability (fsync on,
// synchronous_commit on, full_page_writes on): unlike the test helper, nothing is relaxed.
// Non-durability settings changed, and why: max_connections (every server's pool plus
// pgbench's 50 clients are open at once) and pg_stat_statements preloaded with tracking off
// (switched on only while counting statements per exchange).
import { execFileSync, spawnSync } from "node:child_process";
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, reapedChildrenCpuSeconds, sumCpuSeconds } from "./proc.js";

/** PGBIN, else /usr/lib/postgresql/15/bin, else the newest /usr/lib/postgresql/N/bin. */
export const PGBIN = process.env.PGBIN ?? findPgBin();

function findPgBin(): string {
	const preferred = "/usr/lib/postgresql/15/bin";
	if (existsSync(`${preferred}/postgres`)) return preferred;
	try {
		const versions = readdirSync("/usr/lib/postgresql")
			.filter((name) => existsSync(`/usr/lib/postgresql/${name}/bin/postgres`))
			.sort((a, b) => Number(b) - Number(a));
		if (versions[0] !== undefined) return `/usr/lib/postgresql/${versions[0]}/bin`;
	} catch {
		// no Debian-style layout
	}
	return preferred;
}
const RUNAS = "postgres";

export interface PostgresServer {
	url: (database?: string) => string;
	port: number;
	dir: string;
	version: string;
	/** Runs SQL through psql as the superuser; returns stdout (unaligned, tuples only). */
	psql: (sql: string, database?: string) => string;
	/** PIDs of the postmaster and all its children (backends, walwriter, …). */
	pids: () => number[];
	/** CPU seconds used so far by the whole server: live processes plus backends that have exited. */
	cpuSeconds: () => number;
	settings: Record<string, string>;
	stop: () => void;
}

export async function startPostgres(): Promise<PostgresServer> {
	const port = await freePort();
	const dir = mkdtempSync(join(tmpdir(), "rk-bench-pg."));
	const isRoot = process.getuid?.() === 0;
	const asUser = (command: string, args: string[]): string[] => (isRoot ? ["runuser", "-u", RUNAS, "--", command, ...args] : [command, ...args]);
	if (isRoot) {
		const uid = Number(execFileSync("id", ["-u", RUNAS]).toString().trim());
		const gid = Number(execFileSync("id", ["-g", RUNAS]).toString().trim());
		chownSync(dir, uid, gid);
	}
	const run = (argv: string[]): void => {
		const result = spawnSync(argv[0] as string, argv.slice(1), { encoding: "utf8" });
		if (result.status !== 0) throw new Error(`${argv.join(" ")} failed: ${result.stderr}${result.stdout}`);
	};
	// --no-sync only skips initdb's own fsync of the fresh cluster; the running server keeps every default.
	run(asUser(`${PGBIN}/initdb`, ["-D", `${dir}/data`, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"]));
	// In postgresql.conf rather than on the command line, so that ALTER SYSTEM can switch
	// pg_stat_statements tracking on for section 4 (command-line settings cannot be overridden).
	appendFileSync(`${dir}/data/postgresql.conf`, "\n# refresh-kit bench\nmax_connections = 250\nshared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = none\n");
	const options = ["-h 127.0.0.1", `-p ${port}`, `-k ${dir}`].join(" ");
	try {
		run(asUser(`${PGBIN}/pg_ctl`, ["-D", `${dir}/data`, "-l", `${dir}/server.log`, "-w", "-t", "60", "-o", options, "start"]));
	} catch (error) {
		let log = "";
		try {
			log = readFileSync(`${dir}/server.log`, "utf8");
		} catch {
			// no log written
		}
		rmSync(dir, { recursive: true, force: true });
		throw new Error(`${(error as Error).message}\n${log}`);
	}
	const psql = (sql: string, database = "postgres"): string => {
		const result = spawnSync("psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", database, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], {
			encoding: "utf8",
			maxBuffer: 64 * 1024 * 1024,
		});
		if (result.status !== 0) throw new Error(`psql failed (${sql.slice(0, 200)}): ${result.stderr}`);
		return result.stdout.trim();
	};
	psql("create extension if not exists pg_stat_statements");
	const version = psql("show server_version");
	const settings: Record<string, string> = {};
	for (const line of psql(
		"select name || '=' || setting from pg_settings where name in ('fsync','synchronous_commit','full_page_writes','wal_sync_method','shared_buffers','max_connections','wal_level','max_wal_size','checkpoint_timeout')",
	).split("\n")) {
		const [name, value] = line.split("=");
		if (name !== undefined && value !== undefined) settings[name] = value;
	}
	const postmasterPid = Number(readFileSync(`${dir}/data/postmaster.pid`, "utf8").split("\n")[0]);
	let stopped = false;
	return {
		url: (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`,
		port,
		dir,
		version,
		psql,
		settings,
		pids: () => [postmasterPid, ...childrenOf(postmasterPid)],
		cpuSeconds: () => sumCpuSeconds([postmasterPid, ...childrenOf(postmasterPid)]) + reapedChildrenCpuSeconds(postmasterPid),
		stop: () => {
			if (stopped) return;
			stopped = true;
			const argv = asUser(`${PGBIN}/pg_ctl`, ["-D", `${dir}/data`, "-m", "immediate", "-w", "stop"]);
			spawnSync(argv[0] as string, argv.slice(1), { stdio: "ignore" });
			rmSync(dir, { recursive: true, force: true });
		},
	};
}

function childrenOf(pid: number): number[] {
	try {
		return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
			.trim()
			.split(/\s+/)
			.filter((value) => value.length > 0)
			.map(Number);
	} catch {
		return [];
	}
}
