// The HTTP workloads: what each server is and what its clients send. Section 3 measures every
// entry of serverDefs() and the report draws a row for each, so a new baseline is one entry here
// (plus a target in sections/http.ts if it has one).
import { join } from "node:path";
import type { Config } from "../config.js";
import type { PostgresServer } from "../lib/postgres.js";
import { BENCH_DIR, spawnNode, type NodeChild } from "../lib/proc.js";
import { FORM, serverWrap, type BenchContext, type Workload } from "./common.js";

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
	/** Under bench/. */
	script: string;
	env: Record<string, string>;
	workload: Workload;
	/** Whether PostgreSQL's CPU counts towards this workload's requests. */
	postgres: boolean;
}

export function serverDefs(pg: PostgresServer, config: Config): ServerDef[] {
	const url = pg.url("bench");
	const pool = String(config.pool);
	return [
		{ key: "rotate", label: "refresh-kit, rotate mode (Node adapter + Drizzle/PostgreSQL)", script: "servers/refresh-kit.ts", env: { DATABASE_URL: url, MODE: "rotate", POOL: pool }, workload: refreshKitWorkload, postgres: true },
		{ key: "reuse", label: "refresh-kit, reuse mode (Node adapter + Drizzle/PostgreSQL)", script: "servers/refresh-kit.ts", env: { DATABASE_URL: url, MODE: "reuse", POOL: pool }, workload: refreshKitWorkload, postgres: true },
		{ key: "tutorial", label: "tutorial baseline (jsonwebtoken + postgres.js)", script: "baselines/tutorial.ts", env: { DATABASE_URL: url, POOL: pool }, workload: tutorialWorkload, postgres: true },
		{ key: "oidc", label: "node-oidc-provider, refresh_token grant + rotation (in-memory adapter)", script: "baselines/oidc-provider.ts", env: {}, workload: oidcWorkload, postgres: false },
		{ key: "rotate-direct", label: "diagnostic: refresh-kit rotate on PostgreSQL, service called from plain node:http (no adapter)", script: "servers/direct.ts", env: { DATABASE_URL: url, MODE: "rotate", POOL: pool }, workload: refreshKitWorkload, postgres: true },
		{ key: "rotate-memory", label: "refresh-kit, rotate mode, memory store (Node adapter)", script: "servers/refresh-kit.ts", env: { DATABASE_URL: "memory", MODE: "rotate" }, workload: refreshKitWorkload, postgres: false },
		{ key: "hello", label: "node:http hello world (reads the body, fixed JSON)", script: "servers/hello.ts", env: {}, workload: helloWorkload, postgres: false },
	];
}

/** Starts the given servers at once; if one fails, the others are stopped and its error thrown. */
export async function startServers(ctx: BenchContext, defs: ServerDef[]): Promise<Map<string, NodeChild>> {
	ctx.log("starting servers: " + defs.map((def) => def.key).join(", "));
	const spawned = await Promise.allSettled(defs.map((def) => spawnNode(join(BENCH_DIR, def.script), [], { env: def.env, wrap: serverWrap(ctx.config) })));
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
