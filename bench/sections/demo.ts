// Section 6a: RSS of the demo server (examples/node-server, cookie mode) under 50 connections of
// chained refreshes.
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { generateSigningKeys } from "../../core/index.js";
import { runLoad } from "../lib/load.js";
import type { PostgresServer } from "../lib/postgres.js";
import { freePort, memoryOf, ROOT_DIR, spawnNode } from "../lib/proc.js";
import { fmt } from "../lib/stats.js";
import type { DemoData } from "../results.js";
import { type BenchContext, clientWrap, FORM, loadSpec, serverWrap, type Workload } from "./common.js";

export async function runDemo(ctx: BenchContext, options: { pg: PostgresServer }): Promise<DemoData> {
	const { config, log } = ctx;
	const { pg } = options;
	log("6a. demo server (examples/node-server) RSS under 50-connection refresh load (cookie mode)");
	const port = await freePort();
	const keys = await generateSigningKeys("EdDSA");
	const cwd = mkdtempSync(join(ctx.scratch, "demo-"));
	const demo = await spawnNode(join(ROOT_DIR, "examples/node-server/server.ts"), [], {
		cwd,
		env: { PORT: String(port), HOST: "127.0.0.1", DATABASE_URL: pg.url("bench"), AUTH_KEYS: JSON.stringify(keys) },
		readyPattern: /\[store\] ready/,
		wrap: serverWrap(config),
	});
	try {
		await new Promise((resolve) => setTimeout(resolve, 500));
		const idleRss = memoryOf(demo.pid).rss;
		const origin = `http://127.0.0.1:${port}`;
		const workload: Workload = {
			seed: { method: "POST", path: "/auth/login", contentType: FORM, headers: { Origin: origin }, body: "username=demo&password=demo-password", cookie: "rk_refresh" },
			request: { method: "POST", path: "/auth/token", contentType: FORM, headers: { Origin: origin, Cookie: "rk_refresh={token}" }, body: "grant_type=refresh_token" },
			next: { cookie: "rk_refresh" },
		};
		const run = await runLoad(loadSpec(config, { port, connections: 50, tag: `demo-${Date.now()}`, workload, durationMs: config.demoMs }), {
			wrap: clientWrap(config),
			serverPids: () => [demo.pid],
			postgresCpu: () => pg.cpuSeconds(),
			rssPid: demo.pid,
		});
		log(
			`   idle ${(idleRss / 1e6).toFixed(0)} MB, under load median ${((run.rss?.median ?? 0) / 1e6).toFixed(0)} MB, max ${((run.rss?.max ?? 0) / 1e6).toFixed(0)} MB; ${fmt(run.rps)} req/s${run.errors > 0 ? `, ${run.errors} errors: ${run.firstError}` : ""}`,
		);
		return { idleRss, run, rssMax: run.rss?.max ?? 0, rssMedian: run.rss?.median ?? 0, hwm: run.rss?.hwm ?? 0, errors: run.errors };
	} finally {
		await demo.stop();
	}
}
