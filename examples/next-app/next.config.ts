import type { NextConfig } from "next";

const nextConfig: NextConfig = {
	// This app sits inside the library's repository: without a root, Turbopack picks the
	// parent folder's lockfile as the workspace root.
	turbopack: { root: import.meta.dirname },
	// Load these with Node at run time instead of bundling them: refresh-kit locates its SQL
	// migrations through import.meta.url, and PGlite loads its .wasm/.data files itself.
	serverExternalPackages: ["refresh-kit", "@electric-sql/pglite"],
};

export default nextConfig;
