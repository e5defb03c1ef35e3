// docs/architecture.md states facts about the tree; this suite checks them, so the page cannot
// drift from the code: the export map, the invariants and the tests that enforce them, the
// verbs of the storage port, the one-way data flow, and where time comes from.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { TOKEN_STORE_VERBS } from "../../core/index.js";
import { markdownSection, ROOT, readText, repoFiles } from "./support.js";

const architecture = suite("docs: architecture.md matches the tree");
const doc = readText("docs/architecture.md");
const pkg = JSON.parse(readText("package.json")) as { exports: Record<string, unknown>; scripts: Record<string, string> };

/** The backticked first cells of a Markdown table's rows. */
function firstCells(markdown: string): string[] {
	return [...markdown.matchAll(/^\| `([^`]+)` \|/gm)].map((match) => match[1] as string);
}

/** How each test command picks its files: the folder and file-name pattern of every uvu script in package.json. */
function runners(): Array<{ folder: string; pattern: RegExp }> {
	return Object.values(pkg.scripts).flatMap((command) => {
		const match = /uvu\/bin\.js (\S+) '([^']+)'/.exec(command);
		return match === null ? [] : [{ folder: match[1] as string, pattern: new RegExp(match[2] as string) }];
	});
}

/** The test files that some npm script runs. */
const RUN_FILES = runners().flatMap(({ folder, pattern }) => repoFiles(pattern, folder));

/** Every repository file a test that runs imports, directly or through other modules (relative imports). */
function importedByRunFiles(): Set<string> {
	const seen = new Set<string>();
	const pending = [...RUN_FILES];
	while (pending.length > 0) {
		const file = pending.pop() as string;
		if (seen.has(file) || !existsSync(join(ROOT, file))) continue;
		seen.add(file);
		for (const match of readText(file).matchAll(/from "(\.{1,2}\/[^"]+)\.js"/g)) {
			pending.push(join(dirname(file), `${match[1] as string}.ts`));
		}
	}
	return seen;
}
const REACHED = importedByRunFiles();

/** Whether `file` (a module that is not itself a suite) is imported, at any depth, by a file that runs. */
function importedByARunFile(file: string): boolean {
	return REACHED.has(file);
}

architecture("the export table lists exactly the subpaths of package.json's export map", () => {
	const documented = firstCells(markdownSection(doc, "Public contract")).sort();
	const exported = Object.keys(pkg.exports)
		.filter((subpath) => subpath !== "./package.json")
		.map((subpath) => (subpath === "." ? "refresh-kit" : `refresh-kit/${subpath.slice(2)}`))
		.sort();
	assert.equal(documented, exported);
});

architecture("every invariant names the files that enforce it; each exists and runs (a test) or is compiled (a tsconfig)", () => {
	const items = markdownSection(doc, "Invariants")
		.split(/\n(?=\d+\. )/)
		.slice(1);
	assert.ok(items.length >= 8, `expected the 8 invariants, found ${items.length}`);
	items.forEach((item, index) => {
		assert.ok(item.startsWith(`${index + 1}. `), `invariants are numbered 1..n: ${item.slice(0, 40)}`);
		const enforcedBy = /Enforced by: (.+)$/m.exec(item)?.[1];
		assert.ok(enforcedBy !== undefined, `invariant ${index + 1} names no enforcing file`);
		const files = [...enforcedBy.matchAll(/`([^`]+)`/g)].map((match) => match[1] as string);
		assert.ok(files.length > 0, `invariant ${index + 1} names no enforcing file`);
		for (const file of files) {
			assert.ok(existsSync(join(ROOT, file)), `invariant ${index + 1}: ${file} does not exist`);
			if (file.endsWith("tsconfig.json")) {
				// Invariant 7: what proves "web platform only" is compiling without Node's types.
				assert.match(readText(file), /"types":\s*\[\]/, `${file} must compile with "types": []`);
				assert.ok(pkg.scripts.typecheck?.includes(`-p ${file}`), `npm run typecheck must compile ${file}`);
			} else {
				assert.ok(RUN_FILES.includes(file) || importedByARunFile(file), `invariant ${index + 1}: ${file} is neither run by an npm test script nor imported by a file that is`);
			}
		}
	});
});

architecture("the storage port section lists every verb of TOKEN_STORE_VERBS, and no other", () => {
	assert.equal(firstCells(markdownSection(doc, "Storage port")).sort(), [...TOKEN_STORE_VERBS].sort());
});

/** What scripts/import-graph.mjs reports about `root` (its --json output). */
function importGraph(root: string): { edges: Array<{ from: string; to: string }>; cycles: Array<{ path: string[]; library: boolean }>; violations: Array<{ from: string; to: string; files: string[] }> } {
	return JSON.parse(execFileSync(process.execPath, [join(ROOT, "scripts/import-graph.mjs"), root, "--json"], { encoding: "utf8" }));
}

architecture("import-graph sees a cycle and an import against the flow in a small tree, and --check fails on it", () => {
	const root = mkdtempSync(join(tmpdir(), "rk-import-graph-"));
	try {
		mkdirSync(join(root, "core"));
		mkdirSync(join(root, "storage"));
		// A store importing the port is the flow; the port importing a store closes a cycle.
		writeFileSync(join(root, "core/port.ts"), 'import type { Row } from "../storage/store.js";\n// import "../adapters/x.js" (a comment: not an edge)\nexport type Port = Row;\n');
		writeFileSync(join(root, "storage/store.ts"), 'import type { Port } from "../core/port.js";\nexport type Row = { port: Port };\n');
		const graph = importGraph(root);
		assert.equal(
			graph.edges.map(({ from, to }) => `${from} -> ${to}`),
			["core -> storage", "storage -> core"],
		);
		assert.equal(
			graph.cycles.map((cycle) => cycle.path),
			[["core", "storage", "core"]],
		);
		assert.equal(
			graph.violations.map((v) => [v.from, v.to, v.files]),
			[["core", "storage", ["core/port.ts"]]],
		);
		assert.throws(() => execFileSync(process.execPath, [join(ROOT, "scripts/import-graph.mjs"), root, "--check"], { stdio: "ignore" }));
	} finally {
		rmSync(root, { recursive: true, force: true });
	}
});

architecture("the folders import each other along the one-way flow (adapter -> core -> port <- store), without cycles", () => {
	const graph = importGraph(ROOT);
	// Not vacuous: the graph does see the imports every adapter and store makes.
	assert.ok(graph.edges.some((edge) => edge.from === "adapters" && edge.to === "core"));
	assert.ok(graph.edges.some((edge) => edge.from === "storage" && edge.to === "core"));
	assert.equal(graph.violations, [], "imports against the flow");
	assert.equal(
		graph.cycles.filter((cycle) => cycle.library).map((cycle) => cycle.path.join(" -> ")),
		[],
		"cycles between library folders",
	);
});

architecture("no file of core/ but clock.ts reads the system time (invariant 6)", () => {
	const readsTime = /\bDate\.now\s*\(|\bnew Date\s*\(\s*\)|\bperformance\.now\s*\(/;
	const offenders = repoFiles(/\.ts$/, "core")
		.filter((file) => file !== "core/clock.ts")
		.filter((file) =>
			readsTime.test(
				readText(file)
					.replace(/\/\*[\s\S]*?\*\//g, "")
					.replace(/\/\/.*$/gm, ""),
			),
		);
	assert.equal(offenders, []);
	assert.match(readText("core/clock.ts"), readsTime, "the check would see a clock read (it sees clock.ts's)");
});

architecture.run();
