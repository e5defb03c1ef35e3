// Where the reliability scenarios put their figures. With RELIABILITY_REPORT=<file> every
// scenario appends one JSON line to that file (RELIABILITY.md is written from such runs);
// with RELIABILITY_VERBOSE=1, or `print: true` (the long scenarios), a summary goes to stdout.
import { appendFileSync } from "node:fs";

export function recordScenario(name: string, data: Record<string, unknown>, options: { print?: boolean } = {}): void {
	const line = JSON.stringify({ scenario: name, at: new Date().toISOString(), ci: process.env.CI === "true", ...data }, (_key, value: unknown) =>
		typeof value === "number" && !Number.isInteger(value) ? Math.round(value * 100) / 100 : value,
	);
	const file = process.env.RELIABILITY_REPORT;
	if (file !== undefined && file !== "") appendFileSync(file, line + "\n");
	if (options.print === true || process.env.RELIABILITY_VERBOSE === "1") console.log(`[reliability] ${line}`);
}
