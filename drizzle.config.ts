import { defineConfig } from "drizzle-kit";

// `npx drizzle-kit generate` writes the SQL migrations that ship in the package (drizzle/).
export default defineConfig({
	dialect: "postgresql",
	schema: "./storage/drizzle/schema.ts",
	out: "./drizzle",
});
