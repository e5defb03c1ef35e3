// Summarises a V8 .cpuprofile (the inspector's Profiler, or `node --cpu-prof`): self time by
// function and by owner (refresh-kit core / store / adapter, each dependency, Node internals,
// GC), so RESULTS.md can say where a request's CPU goes and which part of it is ours.
import { readFileSync } from "node:fs";

interface ProfileNode {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
	children?: number[];
}

interface CpuProfile {
	nodes: ProfileNode[];
	samples: number[];
	timeDeltas: number[];
	startTime: number;
	endTime: number;
}

export interface ProfileSummary {
	totalMs: number;
	byOwner: { owner: string; ms: number; share: number }[];
	bySelf: { name: string; owner: string; ms: number; share: number }[];
	/** Inclusive time of frames whose name matches the `inclusive` filter, by function. */
	inclusive: { name: string; ms: number; share: number }[];
}

export function ownerOf(url: string, functionName: string): string {
	if (url === "") {
		if (functionName === "(garbage collector)") return "GC";
		if (functionName === "(idle)") return "idle";
		if (functionName === "(program)") return "V8/native (program)";
		return "native";
	}
	const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
	if (module !== null) return module[1] as string;
	if (url.startsWith("node:")) return "node internals";
	if (/\/core\//.test(url)) return "refresh-kit core";
	if (/\/storage\//.test(url)) return "refresh-kit store";
	if (/\/adapters\//.test(url)) return "refresh-kit adapter";
	if (/\/bench\//.test(url)) return "bench harness";
	return url.replace(/^file:\/\//, "");
}

export function summarizeProfile(path: string, options: { top?: number; inclusive?: RegExp } = {}): ProfileSummary {
	const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
	const self = new Map<number, number>();
	for (let i = 0; i < profile.samples.length; i++) {
		const id = profile.samples[i] as number;
		self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
	}
	const byId = new Map(profile.nodes.map((node) => [node.id, node]));
	const parentOf = new Map<number, number>();
	for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
	// The in-process profiler's own work (node:inspector serialising the profile at stop) is not the app's.
	for (const node of profile.nodes) {
		for (let cursor: number | undefined = parentOf.get(node.id); cursor !== undefined; cursor = parentOf.get(cursor)) {
			if (byId.get(cursor)?.callFrame.url === "node:inspector") {
				self.delete(node.id);
				break;
			}
		}
	}
	let total = 0;
	const owners = new Map<string, number>();
	const functions = new Map<string, { owner: string; ms: number }>();
	for (const node of profile.nodes) {
		const ms = self.get(node.id) ?? 0;
		if (ms === 0) continue;
		const { functionName, url, lineNumber } = node.callFrame;
		const owner = ownerOf(url, functionName);
		if (owner === "idle") continue;
		total += ms;
		owners.set(owner, (owners.get(owner) ?? 0) + ms);
		const name = `${functionName || "(anonymous)"} ${url === "" ? "" : `${shortUrl(url)}:${lineNumber + 1}`}`.trim();
		const entry = functions.get(name) ?? { owner, ms: 0 };
		entry.ms += ms;
		functions.set(name, entry);
	}
	const inclusive = new Map<string, number>();
	if (options.inclusive !== undefined) {
		const pattern = options.inclusive;
		// Inclusive time: self time of every node counted once for each distinct matching frame above it.
		const parent = parentOf;
		for (const [id, ms] of self) {
			const node = byId.get(id);
			if (node === undefined || ownerOf(node.callFrame.url, node.callFrame.functionName) === "idle") continue;
			const seen = new Set<string>();
			for (let cursor: number | undefined = id; cursor !== undefined; cursor = parent.get(cursor)) {
				const frame = byId.get(cursor)?.callFrame;
				if (frame === undefined) break;
				const name = `${frame.functionName || "(anonymous)"} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
				if (pattern.test(name) && !seen.has(name)) {
					seen.add(name);
					inclusive.set(name, (inclusive.get(name) ?? 0) + ms);
				}
			}
		}
	}
	const top = options.top ?? 15;
	return {
		totalMs: total,
		byOwner: [...owners].map(([owner, ms]) => ({ owner, ms, share: ms / total })).sort((a, b) => b.ms - a.ms),
		bySelf: [...functions]
			.map(([name, entry]) => ({ name, owner: entry.owner, ms: entry.ms, share: entry.ms / total }))
			.sort((a, b) => b.ms - a.ms)
			.slice(0, top),
		inclusive: [...inclusive]
			.map(([name, ms]) => ({ name, ms, share: ms / total }))
			.sort((a, b) => b.ms - a.ms)
			.slice(0, top),
	};
}

function shortUrl(url: string): string {
	return url.replace(/^file:\/\/.*?\/(node_modules\/|core\/|storage\/|adapters\/|bench\/|examples\/)/, "$1");
}
