// The shape of adapters/ (docs/architecture.md): no import cycles, barrels that only re-export, files
// that hold one concern, adapters that import the modules they use rather than the fetch
// barrel, and no adapter module that loads the whole core (bundle size of adapters/fetch).
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const ADAPTERS = join(ROOT, "adapters");
const MAX_LINES = 300;

/** Every relative module a file names in `import … from`, `export … from` or `import "…"`, type-only ones included. */
function importsOf(source: string): string[] {
	const named = [...source.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)"/gm)].map((match) => match[1] as string);
	const bare = [...source.matchAll(/^\s*import\s*"([^"]+)"/gm)].map((match) => match[1] as string);
	return [...named, ...bare];
}

/** The first import cycle of a graph (file → files it imports), as the list of files around it, or null. */
function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | null {
	const state = new Map<string, "open" | "done">();
	function visit(file: string, path: string[]): string[] | null {
		state.set(file, "open");
		for (const next of graph.get(file) ?? []) {
			if (state.get(next) === "open") return [...path.slice(path.indexOf(next)), next];
			if (!state.has(next) && graph.has(next)) {
				const cycle = visit(next, [...path, next]);
				if (cycle !== null) return cycle;
			}
		}
		state.set(file, "done");
		return null;
	}
	for (const file of graph.keys()) {
		if (state.has(file)) continue;
		const cycle = visit(file, [file]);
		if (cycle !== null) return cycle;
	}
	return null;
}

function sourceFiles(dir: string): string[] {
	return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
		const path = join(dir, entry.name);
		return entry.isDirectory() ? sourceFiles(path) : entry.name.endsWith(".ts") ? [path] : [];
	});
}

const files = new Map(sourceFiles(ADAPTERS).map((file) => [relative(ROOT, file), readFileSync(file, "utf8")]));

function resolveImport(from: string, specifier: string): string {
	return relative(ROOT, resolve(ROOT, dirname(from), specifier.replace(/\.js$/, ".ts")));
}

test("the checker finds a cycle, and the absence of one", () => {
	assert.equal(importsOf('import type { A } from "./a.js";\nexport {\n\tb,\n} from "./b.js";\nimport "./c.js";\nconst x = "from \\"./d.js\\"";'), ["./a.js", "./b.js", "./c.js"]);
	const cyclic = new Map([
		["a", ["b"]],
		["b", ["c"]],
		["c", ["a"]],
		["d", ["a"]],
	]);
	assert.equal(findCycle(cyclic), ["a", "b", "c", "a"]);
	assert.is(
		findCycle(
			new Map([
				["a", ["b"]],
				["b", ["c"]],
				["c", []],
				["d", ["a", "c"]],
			]),
		),
		null,
	);
});

test("no import cycle anywhere in adapters/ (type-only imports count)", () => {
	assert.ok(files.has(join("adapters", "fetch", "hub.ts")), "the sources were found");
	const graph = new Map(
		[...files].map(([file, source]) => [
			file,
			importsOf(source)
				.filter((specifier) => specifier.startsWith("."))
				.map((specifier) => resolveImport(file, specifier)),
		]),
	);
	const cycle = findCycle(graph);
	assert.is(cycle, null, `import cycle: ${cycle?.join(" -> ")}`);
});

test(`no file in adapters/ over ${MAX_LINES} lines`, () => {
	for (const [file, source] of files) assert.ok(source.split("\n").length <= MAX_LINES, `${file}: ${source.split("\n").length} lines`);
});

test("index.ts files are barrels: re-exports and the module doc, nothing else", () => {
	for (const [file, source] of files) {
		if (!file.endsWith("index.ts")) continue;
		const statements = source
			.replace(/\/\*[\s\S]*?\*\//g, "")
			.replace(/^\s*\/\/.*$/gm, "")
			.split(";")
			.map((statement) => statement.trim())
			.filter((statement) => statement !== "");
		for (const statement of statements) assert.match(statement, /^export\b[\s\S]*\bfrom\s*"[^"]+"$/, `${file}: ${statement.slice(0, 60)}`);
	}
});

test("adapters import the modules they use: never the fetch barrel, never the core barrel", () => {
	for (const [file, source] of files) {
		for (const specifier of importsOf(source)) {
			const target = specifier.startsWith(".") ? resolveImport(file, specifier) : specifier;
			assert.is.not(target, join("adapters", "fetch", "index.ts"), `${file} imports the fetch barrel`);
			assert.is.not(target, join("core", "index.ts"), `${file} imports the core barrel`);
		}
	}
});

test.run();
