// The error-code table of README.md and docs/adapters.md, rendered from its one source:
// ERROR_CODES in core/errors.ts. Each file holds the table between two marker comments;
// tests/docs/error-table.test.ts fails when a block differs from what this renders.
//
//   npm run docs:error-table                               # rewrite both blocks
//   node --import tsx scripts/error-table.ts --check       # exit 1, naming the stale files
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ERROR_CODES } from "../core/errors.js";

/** The repository's root directory. */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** The files that show the table, relative to the root. */
export const ERROR_TABLE_FILES = ["README.md", "docs/adapters.md"] as const;

/** The line that opens a generated block; it says where to edit instead. */
export const START_MARKER = "<!-- error-table:start (generated from ERROR_CODES in core/errors.ts: edit there, then run `npm run docs:error-table`) -->";
export const END_MARKER = "<!-- error-table:end -->";

/** One row's source: what {@link ERROR_CODES} holds per code. */
type ErrorCodeTable = Readonly<Record<string, { readonly when: string; readonly http: string }>>;

/** A table cell: a pipe would end the cell and a line break the row. */
function cell(text: string): string {
	return text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
}

/**
 * The Markdown table of `codes`, one row per code in declaration order, without markers.
 *
 * @example
 * ```ts
 * renderErrorTable(); // "| code | when | HTTP (adapters) |\n| --- | --- | --- |\n| `ERR_TOKEN_MALFORMED` | …"
 * ```
 */
export function renderErrorTable(codes: ErrorCodeTable = ERROR_CODES): string {
	const rows = Object.entries(codes).map(([code, { when, http }]) => `| \`${code}\` | ${cell(when)} | ${cell(http)} |`);
	return ["| code | when | HTTP (adapters) |", "| --- | --- | --- |", ...rows].join("\n");
}

/** Where the generated block of `markdown` starts and ends (line indexes of the markers); throws unless there is exactly one. */
function blockBounds(markdown: string, file: string): { lines: string[]; start: number; end: number } {
	const lines = markdown.split("\n");
	const starts = lines.flatMap((line, index) => (line.startsWith("<!-- error-table:start") ? [index] : []));
	const ends = lines.flatMap((line, index) => (line.trim() === END_MARKER ? [index] : []));
	const [start] = starts;
	const [end] = ends;
	if (starts.length !== 1 || ends.length !== 1 || start === undefined || end === undefined || end < start) {
		throw new Error(`${file}: expected one "${START_MARKER.slice(0, 22)}…" line followed by one "${END_MARKER}" line, found ${starts.length} and ${ends.length}`);
	}
	return { lines, start, end };
}

/** The text between the markers of `markdown` (the table as the file has it). */
export function readErrorTable(markdown: string, file = "markdown"): string {
	const { lines, start, end } = blockBounds(markdown, file);
	return lines.slice(start + 1, end).join("\n");
}

/** `markdown` with its generated block replaced by `table` (and the start marker brought up to date). */
export function replaceErrorTable(markdown: string, table: string, file = "markdown"): string {
	const { lines, start, end } = blockBounds(markdown, file);
	return [...lines.slice(0, start), START_MARKER, table, ...lines.slice(end)].join("\n");
}

function main(argv: string[]): void {
	const table = renderErrorTable();
	const stale: string[] = [];
	for (const file of ERROR_TABLE_FILES) {
		const path = join(ROOT, file);
		const before = readFileSync(path, "utf8");
		const after = replaceErrorTable(before, table, file);
		if (after === before) continue;
		stale.push(file);
		if (!argv.includes("--check")) writeFileSync(path, after);
	}
	if (argv.includes("--check")) {
		if (stale.length > 0) {
			console.error(`error table out of date in ${stale.join(", ")}: run npm run docs:error-table`);
			process.exitCode = 1;
		}
	} else {
		console.log(stale.length > 0 ? `rewrote the error table in ${stale.join(", ")}` : "error tables already up to date");
	}
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
