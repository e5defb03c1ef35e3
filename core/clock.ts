/** The only source of time in refresh-kit. Inject a manual clock in tests. */
export interface Clock {
	now(): Date;
}

/** The wall clock. This is the one place in core/ that reads the system time. */
export const systemClock: Clock = {
	now: function systemNow(): Date {
		return new Date();
	},
};

/** A duration: a number of seconds, or a string such as `"10s"`, `"15m"`, `"12h"`, `"30d"`, `"2w"`. */
export type Duration = number | `${number}${"s" | "m" | "h" | "d" | "w"}`;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const DURATION_PATTERN = /^(\d{1,9})\s*(s|m|h|d|w)$/;

/** Parses a {@link Duration} into whole seconds, or returns null when it is not one. */
export function parseDuration(value: unknown): number | null {
	if (typeof value === "number") {
		return Number.isSafeInteger(value) && value >= 0 ? value : null;
	}
	if (typeof value !== "string") return null;
	const match = DURATION_PATTERN.exec(value.trim());
	if (match === null) return null;
	return Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number);
}
