#!/usr/bin/env node
// Edge-safety check: `refresh-kit/storage/drizzle` must import on runtimes without Node's
// builtins (Vercel Edge, Cloudflare Workers), so no Node builtin may be reachable from the entry
// through static imports. A dynamic `import()` inside a function is fine: it runs only when
// called (openStore's PGlite branch, migrate's migrationsFolder option).
//
// usage: node scripts/check-edge-imports.mjs [entry ...]
//   default entry: storage/drizzle/index.ts (the source); scripts/check-package.sh passes the
//   built dist/storage/drizzle.js as well.
//
// esbuild bundles each entry for platform "neutral" and the metafile gives the import graph. The
// database drivers stay external (their import is dynamic, inside openStore), and so do Node's
// builtins, so that the walk can see who imports them. drizzle-orm is walked into, not left
// external: its Node-only modules (drizzle-orm/migrator reads the file system) must not be
// imported statically either.
import { builtinModules } from "node:module";
import { relative } from "node:path";
import { build } from "esbuild";

const DRIVERS = ["postgres", "@electric-sql/pglite", "@electric-sql/pglite/*"];
const NODE_BUILTINS = ["node:*", ...builtinModules, ...builtinModules.map((name) => `${name}/*`)];
/** esbuild's import kinds that load the module when the importer loads. */
const STATIC_KINDS = new Set(["import-statement", "require-call", "entry-point"]);

function isNodeBuiltin(specifier) {
	return specifier.startsWith("node:") || builtinModules.includes(specifier) || builtinModules.includes(specifier.split("/")[0]);
}

/** The static import chains from the entry to a Node builtin, each as "a -> b -> node:x". */
async function nodeImports(entry) {
	const result = await build({
		entryPoints: [entry],
		bundle: true,
		write: false,
		metafile: true,
		platform: "neutral",
		format: "esm",
		// "neutral" reads no main fields by default; packages without an exports map need these.
		mainFields: ["module", "main"],
		external: [...DRIVERS, ...NODE_BUILTINS],
		logLevel: "silent",
	});
	const inputs = result.metafile.inputs;
	const start = Object.keys(inputs).find((path) => relative(path, entry) === "" || entry.endsWith(path));
	if (start === undefined) throw new Error(`${entry}: not found in the bundle's inputs`);
	const chains = new Map();
	const seen = new Set([start]);
	const queue = [[start]];
	while (queue.length > 0) {
		const chain = queue.shift();
		for (const imported of inputs[chain[chain.length - 1]].imports) {
			if (!STATIC_KINDS.has(imported.kind)) continue;
			if (imported.external) {
				if (isNodeBuiltin(imported.path)) chains.set([...chain, imported.path].join(" -> "), true);
			} else if (!seen.has(imported.path)) {
				seen.add(imported.path);
				queue.push([...chain, imported.path]);
			}
		}
	}
	return { chains: [...chains.keys()], modules: seen.size };
}

const entries = process.argv.length > 2 ? process.argv.slice(2) : ["storage/drizzle/index.ts"];
let failed = false;
for (const entry of entries) {
	const { chains, modules } = await nodeImports(entry);
	if (chains.length === 0) {
		console.log(`ok   ${entry}: no Node builtin among the static imports of ${modules} modules`);
		continue;
	}
	failed = true;
	console.log(`FAIL ${entry}: Node builtins imported statically (load them with import() inside the function that needs them):`);
	for (const chain of chains) console.log(`     ${chain}`);
}
process.exit(failed ? 1 : 0);
