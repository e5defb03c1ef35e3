// Invariant 7 (docs/architecture.md): core/ compiles with no Node types. "types": [] in
// core/tsconfig.json proves that only while no file of the compilation pulls @types/node in
// through a `/// <reference types="node" />` (a dependency's declarations can): then Buffer and
// process are declared again and a stray use compiles. Checked on the file list tsc resolves.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");

function filesOf(project: string): string[] {
	return execFileSync(process.execPath, [TSC, "-p", project, "--listFilesOnly"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
}

test("the no-Node-types compilation (core/tsconfig.json) reaches no declaration file of @types/node", () => {
	const files = filesOf("core/tsconfig.json");
	assert.ok(
		files.some((file) => file.endsWith("core/service.ts")),
		"the file list is the core's",
	);
	const node = files.filter((file) => file.includes("/@types/node/"));
	assert.equal(node.slice(0, 3), [], `${node.length} files of @types/node are in the compilation, so Buffer and process compile in core/`);
});

test("control: a declaration file that references Node's types would be noticed", () => {
	const dir = mkdtempSync(join(tmpdir(), "refresh-kit-no-node-"));
	try {
		writeFileSync(join(dir, "probe.d.ts"), '/// <reference types="node" />\nexport {};\n');
		writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ extends: join(ROOT, "core/tsconfig.json"), compilerOptions: { typeRoots: [join(ROOT, "node_modules/@types")] }, include: [join(dir, "probe.d.ts")] }));
		assert.ok(filesOf(join(dir, "tsconfig.json")).some((file) => file.includes("/@types/node/")));
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
});

test.run();
