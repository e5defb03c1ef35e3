// The 100 M-session projection of the scale section (issue 15): too many sessions to load on the
// bench machine, so the figures come from the largest table the run did measure. Pure, like the
// rest of the renderer.
import type { Results } from "../results.js";

/** Sessions in the projection of issue 15 (too many to load on the bench machine). */
export const PROJECTED_SESSIONS = 100_000_000;
/**
 * Downlinks per internal page of the uuid primary key: an 8 KiB page holds about 290 entries of
 * 28 bytes (16-byte key, 8-byte tuple header, 4-byte line pointer), about 260 at the 90 % fill
 * of a freshly built index.
 */
const PRIMARY_KEY_FANOUT = 260;

export interface ScaleProjection {
	sessions: number;
	/** From the largest measured table's bytes per session (heap + indexes). */
	totalBytes: number;
	primaryKeyBytes: number;
	/** Levels above the leaves (bt_metap's `level`) measured at each size, and projected. */
	measuredLevels: { size: number; levels: number }[];
	projectedLevels: number;
	/** At the bulk-load rate measured for the largest table. */
	loadSeconds: number;
}

/** What 100 M sessions would look like, from the largest table the run measured; null when no larger table was measured. */
export function projectScale(results: Results): ScaleProjection | null {
	const measured = results.scale.filter((entry) => entry.disk.primaryKey !== undefined);
	const largest = measured[measured.length - 1];
	if (largest === undefined) return null;
	const factor = PROJECTED_SESSIONS / largest.disk.rows;
	const primaryKeyBytes = (largest.disk.primaryKey?.bytes ?? 0) * factor;
	const leafPages = primaryKeyBytes / 8192;
	return {
		sessions: PROJECTED_SESSIONS,
		totalBytes: largest.disk.bytesPerSession * PROJECTED_SESSIONS,
		primaryKeyBytes,
		measuredLevels: measured.map((entry) => ({ size: entry.disk.rows, levels: entry.disk.primaryKey?.levels ?? 0 })),
		projectedLevels: Math.max(largest.disk.primaryKey?.levels ?? 0, Math.ceil(Math.log(leafPages) / Math.log(PRIMARY_KEY_FANOUT))),
		loadSeconds: largest.fill.seconds * (PROJECTED_SESSIONS / Math.max(1, largest.fill.rows)),
	};
}
