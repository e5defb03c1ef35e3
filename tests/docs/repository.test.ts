// What a published repository carries and points at: a LICENSE that is the one package.json
// names, a CHANGELOG with the current version, and no reference to a file that is not in the
// repository (a workspace outside it, a moved module, a broken relative link).
import { existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ROOT, readText, repoFiles } from "./support.js";

const repository = suite("docs: the repository stands on its own");
const pkg = JSON.parse(readText("package.json")) as { license: string; version: string };
const markdown = repoFiles(/\.md$/);
// The repository's top-level folders: a backticked path starting with one of them names a file here.
const FOLDERS = "core|storage|adapters|client|testing|tests|examples|bench|docs|scripts|drizzle";

repository("LICENSE is the license package.json names", () => {
	const license = readText("LICENSE");
	assert.is(license.split("\n")[0], `${pkg.license} License`);
	assert.match(license, /^Copyright \(c\) \d{4} refresh-kit contributors$/m);
});

repository("CHANGELOG.md has an Unreleased section and an entry for the version in package.json", () => {
	const changelog = readText("CHANGELOG.md");
	assert.match(changelog, /^## \[Unreleased\]$/m);
	assert.match(changelog, new RegExp(`^## \\[${pkg.version.replace(/\./g, "\\.")}\\] - \\d{4}-\\d{2}-\\d{2}$`, "m"));
});

repository("no file points outside the repository (a workspace design file, an absolute machine path)", () => {
	// Spelled in pieces so that this file does not match itself.
	const outside = new RegExp(["\\.\\./shared/", "DESIGN" + "\\.md", "/work" + "/"].join("|"));
	const files = [...markdown, ...repoFiles(/\.(ts|tsx|mjs|js|sh|json)$/).filter((file) => !file.endsWith("package-lock.json")), ".ci/run"];
	assert.ok(files.length > 100, "the walk sees the tree");
	const offenders = files.filter((file) => outside.test(readText(file)));
	assert.equal(offenders, []);
});

repository("every relative Markdown link resolves to a file in the repository", () => {
	const broken: string[] = [];
	let links = 0;
	for (const file of markdown) {
		for (const match of readText(file).matchAll(/\]\(([^)\s]+)\)/g)) {
			const target = (match[1] as string).replace(/#.*$/, "");
			if (target === "" || /^[a-z]+:/i.test(target)) continue;
			links++;
			const path = join(ROOT, dirname(file), target);
			if (relative(ROOT, path).startsWith("..") || !existsSync(path)) broken.push(`${file}: ${match[1]}`);
		}
	}
	assert.ok(links > 5, "the check sees the links");
	assert.equal(broken, []);
});

repository("every backticked repository path in Markdown names a file that exists (CHANGELOG.md records old ones)", () => {
	const missing: string[] = [];
	const pattern = new RegExp(`\`((?:${FOLDERS})/[^\\s\`*]+\\.(?:ts|tsx|mjs|md|sh|sql|json))\``, "g");
	let paths = 0;
	for (const file of markdown.filter((path) => path !== "CHANGELOG.md")) {
		for (const match of readText(file).matchAll(pattern)) {
			paths++;
			if (!existsSync(join(ROOT, match[1] as string))) missing.push(`${file}: ${match[1]}`);
		}
	}
	assert.ok(paths > 10, "the check sees the paths");
	assert.equal(missing, []);
});

repository.run();
