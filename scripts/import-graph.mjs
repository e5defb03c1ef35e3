#!/usr/bin/env node
// Which top-level folder imports which, read from the relative import specifiers of the .ts and
// .tsx files; cycles between folders; the one-way data flow of docs/architecture.md (core never
// imports an adapter or a store, a store never imports an adapter, the client imports neither);
// and the longest source files, where a file holding two concerns usually shows first.
//
//   node scripts/import-graph.mjs [root]           # a readable report (root: default ".")
//   node scripts/import-graph.mjs [root] --json    # the same as JSON (tests/docs/architecture.test.ts reads it)
//   node scripts/import-graph.mjs [root] --check   # exit 1 on a cycle or a flow violation
//
// Plain Node, no dependencies and no TypeScript compiler, so it also runs on an old checkout.
// Only relative specifiers count: a package import ("jose", "refresh-kit/…") is not an edge.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

const SOURCE_FOLDERS = ["core", "storage", "adapters", "client", "testing", "examples", "bench", "tests"];
// Generated or vendored trees: never read.
const SKIP_DIRS = new Set(["node_modules", "dist", ".next", ".data", "test-artifacts", ".runs", "meta", ".git"]);
const GENERATED_FILES = new Set(["next-env.d.ts"]);
// The rules of the one-way flow (adapter -> core -> port <- store), as docs/architecture.md states them.
const FORBIDDEN = [
	{ from: "core", to: "adapters", why: "core never imports an adapter" },
	{ from: "core", to: "storage", why: "core never imports a store (it owns the port; stores implement it)" },
	{ from: "core", to: "client", why: "core never imports the client" },
	{ from: "storage", to: "adapters", why: "a store never imports an adapter" },
	{ from: "client", to: "adapters", why: "the client imports no adapter (it speaks only the wire format)" },
	{ from: "client", to: "storage", why: "the client imports no store" },
];
// Folders that make up the published library: a cycle among them is a layering bug. Cycles that
// pass through tests/, bench/ or examples/ only are reported too, but they are expected to be rare.
const LIBRARY = new Set(["core", "storage", "adapters", "client", "testing"]);
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(\.{1,2}\/[^"']*)\1/g;

/** Every file under `dir` (recursively) whose name matches `pattern`, skipping generated trees. */
function walk(dir, pattern, out = []) {
	let entries;
	try {
		entries = readdirSync(dir, { withFileTypes: true });
	} catch {
		return out;
	}
	for (const entry of entries) {
		const path = join(dir, entry.name);
		if (entry.isDirectory()) {
			if (!SKIP_DIRS.has(entry.name)) walk(path, pattern, out);
		} else if (pattern.test(entry.name) && !GENERATED_FILES.has(entry.name)) {
			out.push(path);
		}
	}
	return out;
}

/** Comments removed, so that an import shown in a doc comment or an @example is not an edge. */
function stripComments(source) {
	return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

/** The top-level folder of a repository-relative path; "(root)" for files at the top. */
function topFolder(path) {
	const parts = path.split(sep);
	return parts.length > 1 ? parts[0] : "(root)";
}

/** Folder -> folder edges with how many import statements make each, and the files that make them. */
function folderEdges(root) {
	const edges = new Map();
	const files = SOURCE_FOLDERS.flatMap((folder) => walk(join(root, folder), /\.tsx?$/));
	for (const file of files) {
		const from = topFolder(relative(root, file));
		for (const match of stripComments(readFileSync(file, "utf8")).matchAll(SPECIFIER)) {
			const target = relative(root, resolve(dirname(file), match[2]));
			if (target.startsWith("..")) continue; // outside the tree: not a folder of ours
			const to = topFolder(target);
			if (to === from) continue;
			const key = `${from} ${to}`;
			const edge = edges.get(key) ?? { from, to, count: 0, files: new Set() };
			edge.count++;
			edge.files.add(relative(root, file));
			edges.set(key, edge);
		}
	}
	return [...edges.values()].map((edge) => ({ ...edge, files: [...edge.files].sort() })).sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
}

/** Strongly connected components of more than one folder (Tarjan), each with one cycle through it. */
function folderCycles(edges) {
	const next = new Map();
	for (const { from, to } of edges) {
		if (!next.has(from)) next.set(from, []);
		if (!next.has(to)) next.set(to, []);
		next.get(from).push(to);
	}
	const index = new Map();
	const low = new Map();
	const stack = [];
	const onStack = new Set();
	const components = [];
	let counter = 0;
	function visit(node) {
		index.set(node, counter);
		low.set(node, counter);
		counter++;
		stack.push(node);
		onStack.add(node);
		for (const to of next.get(node)) {
			if (!index.has(to)) {
				visit(to);
				low.set(node, Math.min(low.get(node), low.get(to)));
			} else if (onStack.has(to)) {
				low.set(node, Math.min(low.get(node), index.get(to)));
			}
		}
		if (low.get(node) === index.get(node)) {
			const component = [];
			let member;
			do {
				member = stack.pop();
				onStack.delete(member);
				component.push(member);
			} while (member !== node);
			if (component.length > 1) components.push(component.sort());
		}
	}
	for (const node of [...next.keys()].sort()) if (!index.has(node)) visit(node);
	return components.map((members) => ({ members, path: cycleThrough(members, next), library: members.some((m) => LIBRARY.has(m)) }));
}

/** One concrete cycle inside a component, for the report: a breadth-first path back to its first member. */
function cycleThrough(members, next) {
	const inside = new Set(members);
	const start = members[0];
	const previous = new Map([[start, null]]);
	const queue = [start];
	while (queue.length > 0) {
		const node = queue.shift();
		for (const to of next.get(node)) {
			if (!inside.has(to)) continue;
			if (to === start) {
				const path = [];
				for (let at = node; at !== null; at = previous.get(at)) path.unshift(at);
				return [...path, start];
			}
			if (!previous.has(to)) {
				previous.set(to, node);
				queue.push(to);
			}
		}
	}
	return members;
}

/** Lines of a text file, the last one counted whether or not it ends in a newline. */
function countLines(text) {
	return text === "" ? 0 : text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

/** The longest source files by lines, tests and generated files left out. */
function longestFiles(root, top = 15) {
	return SOURCE_FOLDERS.filter((folder) => folder !== "tests")
		.flatMap((folder) => walk(join(root, folder), /\.(tsx?|mjs|js)$/))
		.filter((file) => !/\.(test|e2e|browser|long)\.tsx?$/.test(file) && !/\.d\.ts$/.test(file))
		.map((file) => ({ path: relative(root, file), lines: countLines(readFileSync(file, "utf8")) }))
		.sort((a, b) => b.lines - a.lines || a.path.localeCompare(b.path))
		.slice(0, top);
}

/** Everything the report shows, as data. */
function importGraph(root) {
	const edges = folderEdges(root);
	const violations = edges.flatMap((edge) => FORBIDDEN.filter((rule) => rule.from === edge.from && rule.to === edge.to).map((rule) => ({ ...edge, why: rule.why })));
	return { root, edges: edges.map(({ files, ...edge }) => edge), cycles: folderCycles(edges), violations, longest: longestFiles(root) };
}

function report(graph) {
	const lines = [`Import graph of ${graph.root}`, "", "Folder imports (from -> to: import statements)"];
	let current = "";
	for (const { from, to, count } of graph.edges) {
		lines.push(`  ${from === current ? " ".repeat(from.length) : from} -> ${to}: ${count}`);
		current = from;
	}
	lines.push("", "Cycles between folders");
	if (graph.cycles.length === 0) lines.push("  none");
	for (const cycle of graph.cycles) lines.push(`  ${cycle.library ? "LIBRARY " : ""}${cycle.path.join(" -> ")}   (component: ${cycle.members.join(", ")})`);
	lines.push("", "Against the one-way flow (adapter -> core -> port <- store)");
	if (graph.violations.length === 0) lines.push("  none");
	for (const v of graph.violations) lines.push(`  ${v.from} -> ${v.to} (${v.count}): ${v.why}; in ${v.files.join(", ")}`);
	lines.push("", "Longest source files (lines; tests and generated files left out)");
	for (const { path, lines: count } of graph.longest) lines.push(`  ${String(count).padStart(5)}  ${path}`);
	return lines.join("\n");
}

function main(argv) {
	const root = resolve(argv.find((arg) => !arg.startsWith("--")) ?? ".");
	if (!statSync(root).isDirectory()) throw new Error(`not a directory: ${root}`);
	const graph = importGraph(root);
	console.log(argv.includes("--json") ? JSON.stringify(graph, null, "\t") : report(graph));
	if (argv.includes("--check") && (graph.violations.length > 0 || graph.cycles.some((cycle) => cycle.library))) process.exitCode = 1;
}

main(process.argv.slice(2));
