// The error-code table has one source: ERROR_CODES in core/errors.ts. README.md and
// docs/adapters.md show it rendered between marker comments; `npm run docs:error-table`
// rewrites those blocks after a change, and this suite fails until it has been run.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ERROR_CODES } from "../../core/index.js";
import { END_MARKER, ERROR_TABLE_FILES, readErrorTable, renderErrorTable, replaceErrorTable, START_MARKER } from "../../scripts/error-table.js";
import { readText } from "./support.js";

const table = suite("docs: the error-code table");

table("the rendering has one row per code of ERROR_CODES, in declaration order, with its when and HTTP cells", () => {
	const rows = renderErrorTable().split("\n");
	assert.equal(rows.slice(0, 2), ["| code | when | HTTP (adapters) |", "| --- | --- | --- |"]);
	assert.equal(
		rows.slice(2).map((row) => /^\| `([A-Z_]+)` \|/.exec(row)?.[1]),
		Object.keys(ERROR_CODES),
	);
	for (const [code, { when, http }] of Object.entries(ERROR_CODES)) assert.ok(rows.includes(`| \`${code}\` | ${when} | ${http} |`), code);
});

for (const file of ERROR_TABLE_FILES) {
	table(`${file} shows exactly the table rendered from ERROR_CODES (else run npm run docs:error-table)`, () => {
		assert.fixture(readErrorTable(readText(file), file), renderErrorTable());
	});
}

table("a code added to ERROR_CODES, or a changed description, no longer matches the committed tables", () => {
	const committed = readErrorTable(readText("README.md"));
	const added = renderErrorTable({ ...ERROR_CODES, ERR_SOMETHING_NEW: { when: "a new failure", http: "400 `invalid_request`" } });
	const reworded = renderErrorTable({ ...ERROR_CODES, ERR_TOKEN_REVOKED: { when: "revoked", http: "400 `invalid_grant`" } });
	assert.is.not(added, committed);
	assert.is.not(reworded, committed);
});

table("a cell with a pipe or a line break stays one cell of one row", () => {
	const rendered = renderErrorTable({ ERR_X: { when: "a | b\n  c", http: "—" } });
	assert.is(rendered.split("\n")[2], "| `ERR_X` | a \\| b c | — |");
});

table("replaceErrorTable rewrites only the block; the result reads back; a file without exactly one block is refused", () => {
	const stale = ["# Title", "", "before", START_MARKER, "| old |", END_MARKER, "after", ""].join("\n");
	const fresh = replaceErrorTable(stale, renderErrorTable());
	assert.is(readErrorTable(fresh), renderErrorTable());
	assert.ok(fresh.startsWith("# Title\n\nbefore\n") && fresh.endsWith(`${END_MARKER}\nafter\n`));
	assert.is(replaceErrorTable(fresh, renderErrorTable()), fresh, "idempotent");
	assert.throws(() => readErrorTable("no markers here"), /expected one/);
	assert.throws(() => readErrorTable(`${START_MARKER}\n${END_MARKER}\n${START_MARKER}\n${END_MARKER}`), /found 2 and 2/);
	assert.throws(() => readErrorTable(`${END_MARKER}\n${START_MARKER}`), /expected one/);
});

table.run();
