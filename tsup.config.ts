import { defineConfig } from "tsup";

export default defineConfig({
	entry: {
		index: "core/index.ts",
		"storage/memory": "storage/memory/index.ts",
		"storage/drizzle": "storage/drizzle/index.ts",
		"adapters/fetch": "adapters/fetch/index.ts",
		"adapters/node": "adapters/node/index.ts",
		"adapters/next": "adapters/next/index.ts",
		"adapters/feathers": "adapters/feathers/index.ts",
		"adapters/feathers/client": "adapters/feathers/client/index.ts",
		client: "client/index.ts",
		testing: "testing/index.ts",
	},
	format: ["esm", "cjs"],
	// tsup 8 passes `baseUrl` to the compiler for the .d.ts build; TypeScript 6 rejects it (TS5101) unless silenced.
	dts: { compilerOptions: { ignoreDeprecations: "6.0" } },
	// Keep `node:` specifiers (tsup strips them by default): Deno and Bun resolve Node builtins by
	// them, and refresh-kit/testing's node:assert is meant to load there too. Node >= 20.19 has them.
	removeNodeProtocol: false,
	clean: true,
	sourcemap: true,
	target: "es2022",
	splitting: true,
});
