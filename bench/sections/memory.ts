// Section 6b: bytes per session held by the memory store, in a child process with --expose-gc
// (bench/memory-store.ts). It measures bytes, not time, so it may run while others load data.
import type { MemoryStoreData } from "../results.js";
import { type BenchContext, runScript } from "./common.js";

export async function runMemoryStore(ctx: BenchContext): Promise<MemoryStoreData> {
	const { config } = ctx;
	ctx.log(`6b. memory store bytes per session at ${config.memorySessions.toLocaleString("en-US")} sessions`);
	return runScript<MemoryStoreData>("memory-store.ts", { sessions: config.memorySessions, calibrate: config.quick ? 5_000 : 20_000 }, { nodeArgs: ["--expose-gc", "--max-semi-space-size=64"] });
}
