// Loads every subpath export of an installed package with import() and require(), and checks
// that both module systems expose the same named exports. Run from the consuming project.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const name = process.argv[2];
const require = createRequire(join(process.cwd(), "index.js"));
const manifest = JSON.parse(readFileSync(join(process.cwd(), "node_modules", name, "package.json"), "utf8"));
let failures = 0;
for (const subpath of Object.keys(manifest.exports)) {
	if (subpath === "./package.json") continue;
	const specifier = subpath === "." ? name : `${name}/${subpath.slice(2)}`;
	try {
		const esm = Object.keys(await import(specifier))
			.filter((key) => key !== "default")
			.sort();
		const cjs = Object.keys(require(specifier))
			.filter((key) => key !== "default" && key !== "__esModule")
			.sort();
		if (esm.length === 0 || esm.join() !== cjs.join()) throw new Error(`import ${esm.join(",")} != require ${cjs.join(",")}`);
		console.log(`ok   ${specifier}: ${esm.join(", ")}`);
	} catch (error) {
		failures++;
		console.log(`FAIL ${specifier}: ${error instanceof Error ? error.message : error}`);
	}
}

// refresh-kit/testing is only of use if it runs from the tarball: the installed contract against
// the installed memory store, from both module systems (a short race keeps this quick).
if (manifest.exports["./testing"] !== undefined) {
	for (const [system, load] of [
		["import", (specifier) => import(specifier)],
		["require", (specifier) => require(specifier)],
	]) {
		try {
			const { testTokenStore } = await load(`${name}/testing`);
			const { memoryStore } = await load(`${name}/storage/memory`);
			await testTokenStore("memoryStore", () => memoryStore(), { races: 20 });
			console.log(`ok   ${name}/testing (${system}): the contract passes memoryStore()`);
		} catch (error) {
			failures++;
			console.log(`FAIL ${name}/testing (${system}): ${error instanceof Error ? error.message : error}`);
		}
	}
}
if (failures > 0) process.exit(1);
