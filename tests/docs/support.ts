// Shared by the docs suites: the repository root and a walk over its own files. Not a suite:
// the runner only picks up *.test.ts.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root directory. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

// Installed, built or generated trees: not the repository's own text.
const SKIPPED = new Set(["node_modules", "dist", ".git", ".data", ".next", "test-artifacts", ".runs"]);

/** A file of the repository, as text. */
export function readText(path: string): string {
	return readFileSync(join(ROOT, path), "utf8");
}

/** Root-relative paths of the repository's files under `folder` whose name matches `pattern`. */
export function repoFiles(pattern: RegExp, folder = ""): string[] {
	const found: string[] = [];
	function visit(dir: string): void {
		for (const entry of readdirSync(dir, { withFileTypes: true })) {
			const path = join(dir, entry.name);
			if (entry.isDirectory()) {
				if (!SKIPPED.has(entry.name)) visit(path);
			} else if (pattern.test(entry.name)) {
				found.push(relative(ROOT, path));
			}
		}
	}
	visit(join(ROOT, folder));
	return found.sort();
}

/** The text of a `## title` section of a Markdown document, up to the next `## ` heading. */
export function markdownSection(markdown: string, title: string): string {
	const start = markdown.indexOf(`\n## ${title}\n`);
	if (start === -1) throw new Error(`no "## ${title}" section`);
	const end = markdown.indexOf("\n## ", start + 1);
	return markdown.slice(start, end === -1 ? undefined : end);
}
