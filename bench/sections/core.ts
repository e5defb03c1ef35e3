// Sections 1 and 2: the core's exchange against the crypto floor and verify() against raw jose,
// in a child process on the memory store (bench/core.ts), with CPU profiles of both.
import { join } from "node:path";
import type { CoreResult } from "../core.js";
import { summarizeProfile } from "../lib/profile.js";
import { summarize } from "../lib/stats.js";
import { ratioPoint, type Target, target } from "../report/targets.js";
import type { CoreData, Results } from "../results.js";
import { type BenchContext, runScript } from "./common.js";

/** The bar for verify() (issue 15; issue 5 asked for 0.9×); below it the run profiles verify to show where the time goes. */
const VERIFY_VS_JOSE = 1;

export async function runCore(ctx: BenchContext): Promise<CoreData> {
	const { config, log, scratch } = ctx;
	log("1-2. core on the memory store: exchange, verify, raw jose, floor");
	const result = await runScript<CoreResult>("core.ts", { ...config.core, ablation: true });
	const data: CoreData = { result };
	log("   profiling service.exchange (V8 profiler over the measured runs)");
	const exchangeFile = join(scratch, "exchange.cpuprofile");
	await runScript<CoreResult>("core.ts", { runs: 1, ms: config.quick ? 1000 : 3000, concurrency: 32, only: "exchange", profile: exchangeFile });
	data.exchangeProfile = summarizeProfile(exchangeFile, {
		top: 15,
		inclusive: /exchangeRotating|parseRefreshToken|hashFamilyProof|sealSuccessor|newSecret|randomBytes|storeCall|rotateToken|tokenSet|signAccessToken|formatRefreshToken|sign node_modules\/jose|emit /,
	});
	const verify = summarize(result.ops.verify ?? []).median;
	const jose = summarize(result.ops.jose ?? []).median;
	if (verify / jose < VERIFY_VS_JOSE) {
		log("   verify below 0.9× raw jose: profiling service.verify (V8 profiler over the measured runs)");
		const file = join(scratch, "verify.cpuprofile");
		await runScript<CoreResult>("core.ts", { runs: 1, ms: config.quick ? 1000 : 4000, concurrency: 32, only: "verify", profile: file });
		data.verifyProfile = summarizeProfile(file, { top: 15, inclusive: /verifyAccessToken|resolveKey|jwtVerify|flattenedVerify|compactVerify|validateClaimsSet|verify node:internal\/crypto/ });
	}
	return data;
}

export function coreTargets(results: Results): Target[] {
	const ops = results.core?.result.ops;
	const point = ops === undefined ? null : ratioPoint({ ours: summarize(ops.verify ?? []).median, theirs: summarize(ops.jose ?? []).median, unit: "verifies/s", threshold: VERIFY_VS_JOSE });
	return [target({ label: "`verify()` ≥ 1.0× raw jose", threshold: VERIFY_VS_JOSE, points: [point] })];
}
