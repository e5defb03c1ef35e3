// "What bounds the results, and what is ours": the analysis of each figure, computed from the
// run's own data (CPU per request of each party, the diagnostic workloads, the core section).
import { fmt, fmtRatio, summarize } from "../lib/stats.js";
import type { HttpSummary, Report, Results } from "../results.js";
import { httpOf, pgCpu, us } from "./format.js";

export function renderBounds(report: Report): string[] {
	const { results } = report;
	const out: string[] = ["## What bounds the results, and what is ours", ""];
	for (const concurrency of report.settings.concurrency) {
		const rotate = httpOf(results, "rotate", concurrency);
		if (rotate === undefined) continue;
		out.push(...rotateBounds(report, rotate), "");
	}
	const micro = results.core?.result.micro ?? {};
	const request = Object.entries(micro).find(([name]) => name.startsWith("fetch Request"))?.[1];
	const response = Object.entries(micro).find(([name]) => name.startsWith("fetch Response"))?.[1];
	if (request !== undefined && response !== undefined) {
		out.push(
			`The fetch machinery is what the Node adapter avoids: on this machine a \`Request\` around a \`ReadableStream\` body read back costs ${request.toFixed(0)} µs and a \`Response\` read back into bytes and headers ${response.toFixed(0)} µs (section 1, one call at a time). \`adapters/node\` therefore hands the hub a request built straight from \`IncomingMessage\` (\`adapters/node/request.ts\`) and writes its answer with one \`writeHead\` + \`end\`; only \`createFetchHandler\` (Deno, Bun, Workers) and the Next.js handlers, whose runtimes hand over a \`Request\` anyway, build \`Request\`/\`Response\` objects.`,
			"",
		);
	}
	out.push(...coreBounds(results));
	const tutorial = httpOf(results, "tutorial", 50);
	if (tutorial !== undefined)
		out.push(
			`**Tutorial baseline.** Its server spends ${us(tutorial.cpu.server)} µs per refresh, almost all in \`jsonwebtoken\` (a verify and a sign with a string secret, which it first tries to parse as a PEM key on every call), so it is bound by its own single thread too.`,
			"",
		);
	const oidc = httpOf(results, "oidc", 50);
	if (oidc !== undefined)
		out.push(
			`**node-oidc-provider.** ${us(oidc.cpu.server)} µs of server CPU per refresh with no database at all (Koa, its models, an HS256 JWT): its in-memory adapter removes the durable write that refresh-kit's rotate mode pays for.`,
			"",
		);
	if (results.hot !== undefined) {
		const share = ((results.hot.hotUpdates / Math.max(1, results.hot.updates)) * 100).toFixed(0);
		const rotate = httpOf(results, "rotate", 50);
		const pgCores = rotate === undefined ? Number.NaN : rotate.rps.median * rotate.cpu.postgres;
		const postgres =
			rotate === undefined ? "" : `During rotate traffic at 50 connections PostgreSQL used ${pgCores.toFixed(2)} cores, ${pgCores < 0.6 ? "so it does not bound the HTTP figures here" : "a real share of the machine"}.`;
		out.push(
			`**Store.** The happy path is one statement (section 4). ${results.hot.hotUpdates} of ${results.hot.updates} rotations in the profiled run were heap-only (HOT) updates (${share} %): a rotation changes no indexed column (prune finds idle-expired sessions through \`prune_after\`, which a rotation leaves alone; migration 0001), so PostgreSQL writes no index entries for it unless the row's page is full. ${postgres}`,
			"",
		);
	}
	return out;
}

/** Which party bounds rotate mode at one concurrency, and the server's CPU split by diagnostics. */
function rotateBounds({ machine, results }: Report, rotate: HttpSummary): string[] {
	const { concurrency } = rotate;
	const cores = machine.cpus;
	const direct = httpOf(results, "rotate-direct", concurrency);
	const memory = httpOf(results, "rotate-memory", concurrency);
	const hello = httpOf(results, "hello", concurrency);
	const pgbench = results.pgbench.find((entry) => entry.concurrency === concurrency);
	const busy = rotate.rps.median * rotate.cpu.server;
	const total = rotate.cpu.client + rotate.cpu.server + rotate.cpu.postgres;
	const lines = [`**Rotate mode, ${concurrency} connection${concurrency === 1 ? "" : "s"}** (${fmt(rotate.rps.median)} req/s):`];
	const foreign = rotate.foreign >= 0.1 ? `, ${rotate.foreign.toFixed(2)} of them by processes outside the bench` : "";
	// One JavaScript thread per server: at ≥ 0.85 cores it is the bottleneck whatever the rest does.
	const verdict =
		busy >= 0.85
			? `**the server's one JavaScript thread is saturated (${busy.toFixed(2)} cores), so its CPU per refresh (${us(rotate.cpu.server)} µs) is what bounds throughput**`
			: rotate.machineBusy >= 0.8 * cores
				? `**the machine is saturated (${rotate.machineBusy.toFixed(2)} of ${cores} cores busy${foreign}): load generator, server and PostgreSQL compete for what is left, and the server takes ${((rotate.cpu.server / total) * 100).toFixed(0)} % of the ${us(total)} µs they spend per refresh**`
				: `neither the server thread (${busy.toFixed(2)} cores) nor the machine (${rotate.machineBusy.toFixed(2)} of ${cores} cores${foreign}) is saturated: the closed-loop clients mostly wait on latency (the durable commit)`;
	lines.push(
		`- ${verdict}. PostgreSQL spent ${us(rotate.cpu.postgres)} µs per refresh${pgbench?.runs[0]?.postgresCpuPerTransaction !== undefined ? ` (the statement alone under pgbench: ${us(pgCpu(pgbench.runs))} µs per transaction, connection start-up included, at ${fmt(pgbench.tps.median)} TPS)` : ""}, the load generator ${us(rotate.cpu.client)} µs; ${cores} cores allow ≈ ${fmt(cores / total)} refreshes/s for all three together.`,
	);
	const exchangeCpu = summarize(results.core?.result.cpu?.exchange ?? []).median / 1e6;
	if (hello !== undefined && direct !== undefined) {
		const adapter = rotate.cpu.server - direct.cpu.server;
		const storeAndDriver = Number.isFinite(exchangeCpu) ? direct.cpu.server - hello.cpu.server - exchangeCpu : Number.NaN;
		lines.push(
			`- Server CPU per refresh, split by the diagnostic workloads: node:http itself ≈ ${us(hello.cpu.server)} µs (hello world); the service + Drizzle store + postgres.js ≈ ${us(direct.cpu.server - hello.cpu.server)} µs (plain node:http calling \`service.exchange\`: ${us(direct.cpu.server)} µs, ${fmt(direct.rps.median)} req/s)${Number.isFinite(storeAndDriver) ? `, of which the core's exchange on the memory store is ≈ ${us(exchangeCpu)} µs (section 1) and the Drizzle store with postgres.js (building the statement's parameters, the wire protocol, mapping the returned row) ≈ ${us(storeAndDriver)} µs` : ""}; ${adapter > 0 ? `**the Node adapter and fetch hub ≈ ${us(adapter)} µs (${((adapter / rotate.cpu.server) * 100).toFixed(0)} % of the server's CPU)**` : `**the Node adapter and fetch hub cost nothing measurable**: the adapter server used ${us(-adapter)} µs less per refresh than the plain node:http one (run-to-run noise, and the plain server's own body handling)`}${memory !== undefined ? `; with the memory store instead of PostgreSQL the adapter server needs ${us(memory.cpu.server)} µs` : ""}.`,
		);
	}
	return lines;
}

/** The core's overhead over the crypto floor, and what verify() adds over raw jose when it is below 0.9×. */
function coreBounds(results: Results): string[] {
	if (results.core === undefined) return [];
	const out: string[] = [];
	const ops = results.core.result.ops;
	const median = (name: string): number => summarize(ops[name] ?? []).median;
	const exchange = median("exchange");
	const floor = median("floor");
	out.push(
		`**Core.** One exchange on the memory store takes ${fmt(1e6 / exchange)} µs against a ${fmt(1e6 / floor)} µs crypto floor (section 1): the rest (${fmt(1e6 / exchange - 1e6 / floor)} µs) is the core's own work, broken down in the profile of section 1 (token parsing and formatting, the pure-JS SHA-256 and HMAC of \`core/sha256.ts\`, the store-call timeout wrapper, events).`,
		"",
	);
	const verify = median("verify");
	const jose = median("jose");
	const getKey = median("jose+getKey");
	const options = median("jose+options");
	const wrapper = median("jose+wrapper");
	if (verify / jose < 0.9) {
		const culprits = getKey / jose < 0.95 || options / jose < 0.95;
		out.push(
			`**verify().** ${fmtRatio(verify / jose)} of raw jose. What \`core/access-token.ts\` adds, one difference at a time (section 2): passing jose a key-resolving function (\`createAccessTokenVerifier\`'s \`getKey\`) instead of the CryptoKey: ${fmtRatio(getKey / jose)}; building \`{ ...baseOptions, currentDate: settings.now() }\` on every call (\`createVerifierFunction\`): ${fmtRatio(options / jose)}; the async wrapper and claim checks alone, with the CryptoKey and one static options object: ${fmtRatio(wrapper / jose)}. ${culprits ? "The cost is in the per-call indirections, not in the checks: handing jose the loaded CryptoKey when the token's protected header is the one this ring writes, and reusing one options object when the clock is the system clock (jose reads the time itself), removes it." : "In this run the ablations do not single out one cause (they are within noise of raw jose); see the profile in section 2."}`,
			"",
		);
	}
	return out;
}
