// Targets as data. Each section states its own targets from its own figures
// (`targets` in bench/sections/*.ts) with the builders below, and the report draws every
// target the same way, so a new target is one entry next to the figures it judges.
import { fmt, fmtRatio } from "../lib/stats.js";

/** One comparison behind a target, e.g. rotate vs the tutorial baseline at 10 connections. */
export interface TargetPoint {
	/** Where it was measured ("c=10"); named when a target is met at some points only. */
	at?: string;
	/** The figures compared, e.g. "1,431 vs 525 req/s". */
	detail: string;
	/** Ours ÷ theirs, drawn as "= 2.72×"; absent for a count (statements per exchange). */
	ratio?: number;
	met: boolean;
}

export interface Target {
	label: string;
	/** The ratio (or count) the target asks for. */
	threshold: number;
	/** Met at every point; null when not evaluated (nothing measured, or a quick-run stand-in). */
	met: boolean | null;
	points: TargetPoint[];
	/** Said instead of the points when there are none, else after them (a caveat). */
	note?: string;
}

/**
 * A target over its points: met only where every point is.
 *
 * @example
 * target({ label: "rotate ≥ 3× tutorial", threshold: 3, points: [ratioPoint({ at: "c=10", ours: 1431, theirs: 525, unit: "req/s", threshold: 3 })] });
 * // met: false, drawn "c=10: 1,431 vs 525 req/s = 2.73×"
 */
export function target(options: { label: string; threshold: number; points: (TargetPoint | null)[]; note?: string; standIn?: boolean }): Target {
	const points = options.points.filter((point): point is TargetPoint => point !== null);
	// A stand-in (the quick run's small table for the 10 M one) is shown, never judged.
	const met = points.length === 0 || options.standIn === true ? null : points.every((point) => point.met);
	return { label: options.label, threshold: options.threshold, met, points, ...(options.note === undefined ? {} : { note: options.note }) };
}

/** A ratio judged against a threshold; `better: "lower"` for latencies. */
export function comparison(options: { at?: string; detail: string; ratio: number; threshold: number; better: "higher" | "lower" }): TargetPoint {
	const met = options.better === "higher" ? options.ratio >= options.threshold : options.ratio <= options.threshold;
	return { ...(options.at === undefined ? {} : { at: options.at }), detail: options.detail, ratio: options.ratio, met };
}

/** "ours vs theirs unit", higher is better; null when either side was not measured. */
export function ratioPoint(options: { at?: string; ours: number; theirs: number; unit: string; threshold: number }): TargetPoint | null {
	if (!Number.isFinite(options.ours) || !Number.isFinite(options.theirs)) return null;
	return comparison({
		...(options.at === undefined ? {} : { at: options.at }),
		detail: `${fmt(options.ours)} vs ${fmt(options.theirs)} ${options.unit}`,
		ratio: options.ours / options.theirs,
		threshold: options.threshold,
		better: "higher",
	});
}

/** The "measured" column: every point, where a partly met target was met, and the note. */
export function targetDetail(entry: Target): string {
	if (entry.points.length === 0) return entry.note ?? "not measured";
	const points = entry.points.map((point) => `${point.at === undefined ? "" : `${point.at}: `}${point.detail}${point.ratio === undefined ? "" : ` = ${fmtRatio(point.ratio)}`}`);
	const metAt = entry.points.filter((point) => point.met && point.at !== undefined).map((point) => point.at as string);
	const partly = entry.met === false && metAt.length > 0 ? ` (met at ${metAt.join(", ")} only)` : "";
	return points.join("; ") + partly + (entry.note === undefined ? "" : ` ${entry.note}`);
}

export function targetMark(met: boolean | null): string {
	return met === null ? "not evaluated" : met ? "**met**" : "**not met**";
}

/** The Targets table of RESULTS.md. */
export function targetTable(targets: readonly Target[]): string[] {
	return ["| target | status | measured |", "|---|---|---|", ...targets.map((entry) => `| ${entry.label} | ${targetMark(entry.met)} | ${targetDetail(entry)} |`)];
}

/** The console summary's target lines. */
export function targetLines(targets: readonly Target[]): string[] {
	return targets.map((entry) => `${entry.met === null ? "[ -- ]" : entry.met ? "[ met ]" : "[ NOT ]"} ${entry.label}: ${targetDetail(entry)}`);
}
