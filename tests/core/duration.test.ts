import fc from "fast-check";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseDuration } from "../../core/clock.js";

const durations = suite("parseDuration");

durations("numbers are whole seconds", () => {
	assert.is(parseDuration(0), 0);
	assert.is(parseDuration(10), 10);
	assert.is(parseDuration(7_776_000), 7_776_000);
	assert.is(parseDuration(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
});

durations("numbers that are not non-negative safe integers are refused", () => {
	for (const value of [-1, 1.5, 0.1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 53, -0.5]) {
		assert.is(parseDuration(value), null, String(value));
	}
});

durations("every unit", () => {
	assert.is(parseDuration("10s"), 10);
	assert.is(parseDuration("15m"), 900);
	assert.is(parseDuration("12h"), 43_200);
	assert.is(parseDuration("30d"), 2_592_000);
	assert.is(parseDuration("2w"), 1_209_600);
	assert.is(parseDuration("0s"), 0);
	assert.is(parseDuration("90d"), 7_776_000);
});

durations("surrounding and inner whitespace is tolerated", () => {
	assert.is(parseDuration(" 10s "), 10);
	assert.is(parseDuration("10 s"), 10);
	assert.is(parseDuration("\t5m\n"), 300);
});

durations("strings that are not durations are refused", () => {
	const bad = ["", " ", "10", "s", "10ms", "1.5h", "-1s", "+1s", "10S", "10M", "1y", "10 seconds", "1e3s", "0x10s", "10s10s", "１０s", "10\u0000s", "1234567890s"];
	for (const value of bad) assert.is(parseDuration(value), null, JSON.stringify(value));
});

durations("non-number, non-string values are refused", () => {
	for (const value of [null, undefined, true, {}, [], [10], { seconds: 10 }, 10n, Symbol("10s"), () => 10, new Date()]) {
		assert.is(parseDuration(value), null, typeof value);
	}
});

durations("nine digits of the largest unit stay a safe integer", () => {
	const seconds = parseDuration("999999999w");
	assert.is(seconds, 999_999_999 * 604_800);
	assert.ok(Number.isSafeInteger(seconds));
});

durations("property: n<unit> is n times the unit, and arbitrary strings never throw", () => {
	const units = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;
	fc.assert(
		fc.property(fc.integer({ min: 0, max: 999_999_999 }), fc.constantFrom("s", "m", "h", "d", "w"), (n, unit) => {
			return parseDuration(`${n}${unit}`) === n * units[unit as keyof typeof units];
		}),
		{ numRuns: 300 },
	);
	fc.assert(
		fc.property(fc.string({ unit: "binary", maxLength: 20 }), (value) => {
			const seconds = parseDuration(value);
			return seconds === null || (Number.isSafeInteger(seconds) && seconds >= 0);
		}),
		{ numRuns: 300 },
	);
});

durations.run();
