// The HTTP workloads: what each server is and what its clients send. Section 3 measures every
// entry of serverDefs() and the report draws a row for each, so a new baseline is one entry here
// (plus a target in sections/http.ts if it has one).
import { isAbsolute, join } from "node:path";
import type { Config } from "../config.js";
import type { PostgresServer } from "../lib/postgres.js";
import { BENCH_DIR, type NodeChild, spawnNode } from "../lib/proc.js";
import { type BenchContext, busyLevels, FORM, serverWrap, type Workload } from "./common.js";

const OIDC_CLIENT = "client_id=bench-client&client_secret=bench-client-secret-bench-client-secret";

export const refreshKitWorkload: Workload = {
	seed: { method: "POST", path: "/auth/login", contentType: FORM, body: "username={i}", field: "refresh_token" },
	request: { method: "POST", path: "/auth/token", contentType: FORM, body: "grant_type=refresh_token&refresh_token={token}" },
	next: { field: "refresh_token" },
};
const tutorialWorkload: Workload = {
	seed: { method: "POST", path: "/login", contentType: "application/json", body: '{"username":"{i}","password":"bench-password"}', field: "refreshToken" },
	request: { method: "POST", path: "/refresh", contentType: "application/json", body: '{"refreshToken":"{token}"}' },
	// The tutorial never rotates: a client keeps the one token it got at login.
};
const oidcWorkload: Workload = {
	seed: { method: "POST", path: "/bench/seed", field: "refresh_token" },
	request: { method: "POST", path: "/token", contentType: FORM, body: `grant_type=refresh_token&refresh_token={token}&${OIDC_CLIENT}` },
	next: { field: "refresh_token" },
};
const helloWorkload: Workload = {
	request: { method: "POST", path: "/auth/token", contentType: FORM, body: `grant_type=refresh_token&refresh_token=rk2_${"x".repeat(91)}` },
};

export interface ServerDef {
	/** Names the workload in targets, the console summary and load-generator tags. */
	key: string;
	/** The row label in RESULTS.md. */
	label: string;
	/** Under bench/, or absolute (a server of another tree, `--base-tree`). */
	script: string;
	env: Record<string, string>;
	workload: Workload;
	/** Whether PostgreSQL's CPU counts towards this workload's requests. */
	postgres: boolean;
	/** The concurrencies it runs at; default every one of the run. */
	concurrency?: readonly number[];
	/** The working directory of the server (another tree's root); default this repository's. */
	cwd?: string;
}

/** Every workload key section 3 knows, in the order of its tables (what `--workloads` accepts). */
export const WORKLOAD_KEYS = [
	"rotate",
	"rotate-es256",
	"rotate-eddsa",
	"rotate-unbatched",
	"minimal-hs256",
	"minimal-es256",
	"minimal-eddsa",
	"reuse",
	"tutorial",
	"tutorial-keyobject",
	"oidc",
	"rotate-direct",
	"rotate-memory",
	"hello",
	"rotate-before",
	"rotate-base",
	"reuse-base",
] as const;

/** Database of the `--base-tree` servers: that tree's schema differs, so it gets its own. */
export const BASE_DATABASE = "bench_base";

export function serverDefs(pg: PostgresServer, config: Config): ServerDef[] {
	const url = pg.url("bench");
	const pool = String(config.pool);
	const rk = (env: Record<string, string>): Record<string, string> => ({ DATABASE_URL: url, POOL: pool, MODE: "rotate", BATCH: config.batch, ...env });
	// A single connection only checks that batching costs a lone client nothing: most workloads skip it.
	const busy = busyLevels(config.concurrency);
	const defs: ServerDef[] = [
		{
			key: "rotate",
			label: `refresh-kit, rotate mode, HS256 (Node adapter + Drizzle/PostgreSQL${config.batch === "off" ? ", batching off" : ", batched rotations"})`,
			script: "servers/refresh-kit.ts",
			env: rk({}),
			workload: refreshKitWorkload,
			postgres: true,
		},
		{ key: "rotate-es256", label: "refresh-kit, rotate mode, ES256", script: "servers/refresh-kit.ts", env: rk({ ALG: "ES256" }), workload: refreshKitWorkload, postgres: true, concurrency: busy },
		{ key: "rotate-eddsa", label: "refresh-kit, rotate mode, EdDSA", script: "servers/refresh-kit.ts", env: rk({ ALG: "EdDSA" }), workload: refreshKitWorkload, postgres: true, concurrency: busy },
		{
			key: "minimal-hs256",
			label: "minimal rotating endpoint, HS256 (node:http + one statement via postgres.js + jose)",
			script: "baselines/minimal.ts",
			env: { DATABASE_URL: url, POOL: pool, ALG: "HS256" },
			workload: refreshKitWorkload,
			postgres: true,
		},
		{ key: "minimal-es256", label: "minimal rotating endpoint, ES256", script: "baselines/minimal.ts", env: { DATABASE_URL: url, POOL: pool, ALG: "ES256" }, workload: refreshKitWorkload, postgres: true, concurrency: busy },
		{ key: "minimal-eddsa", label: "minimal rotating endpoint, EdDSA", script: "baselines/minimal.ts", env: { DATABASE_URL: url, POOL: pool, ALG: "EdDSA" }, workload: refreshKitWorkload, postgres: true, concurrency: busy },
		{ key: "reuse", label: "refresh-kit, reuse mode (Node adapter + Drizzle/PostgreSQL)", script: "servers/refresh-kit.ts", env: rk({ MODE: "reuse" }), workload: refreshKitWorkload, postgres: true, concurrency: busy },
		{ key: "tutorial", label: "tutorial baseline (jsonwebtoken + postgres.js)", script: "baselines/tutorial.ts", env: { DATABASE_URL: url, POOL: pool }, workload: tutorialWorkload, postgres: true, concurrency: busy },
		{
			key: "tutorial-keyobject",
			label: "tutorial baseline, secret as a KeyObject (`crypto.createSecretKey`)",
			script: "baselines/tutorial.ts",
			env: { DATABASE_URL: url, POOL: pool, SECRET: "keyobject" },
			workload: tutorialWorkload,
			postgres: true,
			concurrency: busy,
		},
		{ key: "oidc", label: "node-oidc-provider, refresh_token grant + rotation (in-memory adapter)", script: "baselines/oidc-provider.ts", env: {}, workload: oidcWorkload, postgres: false, concurrency: busy },
		{
			key: "rotate-direct",
			label: "diagnostic: refresh-kit rotate on PostgreSQL, service called from plain node:http (no adapter)",
			script: "servers/direct.ts",
			env: rk({}),
			workload: refreshKitWorkload,
			postgres: true,
			concurrency: busy,
		},
		{
			key: "rotate-memory",
			label: "refresh-kit, rotate mode, memory store (Node adapter)",
			script: "servers/refresh-kit.ts",
			env: { DATABASE_URL: "memory", MODE: "rotate" },
			workload: refreshKitWorkload,
			postgres: false,
			concurrency: busy,
		},
		{ key: "hello", label: "node:http hello world (reads the body, fixed JSON)", script: "servers/hello.ts", env: {}, workload: helloWorkload, postgres: false, concurrency: busy },
	];
	if (config.batch !== "off") {
		// Today's one statement per refresh, side by side with the batched store.
		defs.splice(3, 0, {
			key: "rotate-unbatched",
			label: "refresh-kit, rotate mode, HS256, one statement per refresh (no batching)",
			script: "servers/refresh-kit.ts",
			env: rk({ BATCH: "off" }),
			workload: refreshKitWorkload,
			postgres: true,
		});
	}
	if (config.beforeTree !== null) {
		// The same server from a checkout taken before the performance work (issue 15): one
		// statement per refresh, the previous core. Same schema, so the same database.
		const script = join(config.beforeTree, "bench/servers/refresh-kit.ts");
		defs.push({ key: "rotate-before", label: "before the performance work: rotate mode, HS256, one statement per refresh", script, cwd: config.beforeTree, env: rk({}), workload: refreshKitWorkload, postgres: true });
	}
	if (config.baseTree !== null) {
		// The tree before refresh.secret (issue 10), on the same server, in its own database.
		const baseUrl = pg.url(BASE_DATABASE);
		const script = join(config.baseTree, "bench/servers/refresh-kit.ts");
		const base = { script, cwd: config.baseTree, workload: refreshKitWorkload, postgres: true, concurrency: busy };
		defs.push({ ...base, key: "rotate-base", label: "the tree before refresh.secret: rotate mode, HS256, one statement per refresh", env: { DATABASE_URL: baseUrl, POOL: pool, MODE: "rotate" } });
		defs.push({ ...base, key: "reuse-base", label: "the tree before refresh.secret: reuse mode", env: { DATABASE_URL: baseUrl, POOL: pool, MODE: "reuse" } });
	}
	return config.workloads === null ? defs : defs.filter((def) => (config.workloads as ReadonlySet<string>).has(def.key));
}

/** Starts the given servers at once; if one fails, the others are stopped and its error thrown. */
export async function startServers(ctx: BenchContext, defs: ServerDef[]): Promise<Map<string, NodeChild>> {
	ctx.log("starting servers: " + defs.map((def) => def.key).join(", "));
	const spawned = await Promise.allSettled(
		defs.map((def) => spawnNode(isAbsolute(def.script) ? def.script : join(BENCH_DIR, def.script), [], { env: def.env, wrap: serverWrap(ctx.config), ...(def.cwd === undefined ? {} : { cwd: def.cwd }) })),
	);
	const servers = new Map<string, NodeChild>();
	spawned.forEach((outcome, index) => {
		if (outcome.status === "fulfilled") servers.set((defs[index] as ServerDef).key, outcome.value);
	});
	const failed = spawned.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
	if (failed !== undefined) {
		for (const server of servers.values()) await server.stop();
		throw failed.reason;
	}
	return servers;
}
