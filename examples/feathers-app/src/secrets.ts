// The signing keys and the refresh secret, kept across restarts so that sessions survive them:
// from the environment (a secret manager) when set, else files under .data/ created on first start.
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { generateSigningKeys } from "refresh-kit";

type SigningKeys = Awaited<ReturnType<typeof generateSigningKeys>>;

/** `AUTH_KEYS` (a JSON JWK list), else `.data/keys.json` (EdDSA, generated once, mode 0600). */
export async function signingKeys(): Promise<SigningKeys> {
	if (process.env.AUTH_KEYS) return JSON.parse(process.env.AUTH_KEYS) as SigningKeys;
	return JSON.parse(await readOrCreate(".data/keys.json", async () => JSON.stringify(await generateSigningKeys("EdDSA")))) as SigningKeys;
}

/**
 * `REFRESH_SECRET` (comma-separated to rotate, new first), else `.data/refresh-secret`. It keys
 * every refresh token and is never the signing key: whoever verifies access tokens may hold that.
 */
export async function refreshSecret(): Promise<string[]> {
	if (process.env.REFRESH_SECRET) return process.env.REFRESH_SECRET.split(",");
	return [(await readOrCreate(".data/refresh-secret", () => randomBytes(32).toString("base64url"))).trim()];
}

async function readOrCreate(file: string, create: () => string | Promise<string>): Promise<string> {
	try {
		return readFileSync(file, "utf8");
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
	}
	const text = await create();
	mkdirSync(dirname(file), { recursive: true });
	writeFileSync(file, text, { mode: 0o600 });
	return text;
}
