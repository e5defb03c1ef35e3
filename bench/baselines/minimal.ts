// The minimal rotating endpoint (issue 15): the least a rotating refresh endpoint can do on
// PostgreSQL, as a yardstick for what refresh-kit's own work costs. Plain node:http and
// postgres.js; per refresh ONE statement (`WITH … UPDATE … INSERT … RETURNING`: mark the
// presented token used if it is unused and unexpired, insert a new random one for the same user),
// a new random token, and a jose-signed access token with the key imported once. Nothing else: no
// reuse detection, no grace window, no absolute lifetime, no validation of the input beyond what
// the statement matches, no events. Tokens are stored as their SHA-256 (node:crypto, ~1 µs), so a
// dump is not a list of live tokens; that is the only concession beyond "works".
//
// env: DATABASE_URL, ALG (HS256 | ES256 | EdDSA, default HS256), POOL (default 10), PORT
import { createHash, createSecretKey, randomBytes, randomUUID } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import { type CryptoKey, generateKeyPair, type KeyObject, SignJWT } from "jose";
import postgres from "postgres";
import { BENCH_SIGNING_SECRET } from "../lib/secrets.js";
import { listen, readBody } from "../servers/listen.js";

const ALG = process.env.ALG ?? "HS256";
if (!["HS256", "ES256", "EdDSA"].includes(ALG)) throw new Error(`ALG must be HS256, ES256 or EdDSA, got ${ALG}`);
// Imported once: jose re-imports a raw secret on every call otherwise (reference/performance.md).
const key: CryptoKey | KeyObject = ALG === "HS256" ? createSecretKey(Buffer.from(BENCH_SIGNING_SECRET)) : (await generateKeyPair(ALG)).privateKey;

const sql = postgres(process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres", {
	max: Number(process.env.POOL ?? 10),
	onnotice: () => undefined,
	fetch_types: false,
});

// Several servers of this kind start at once on one database, and concurrent CREATE TABLE IF NOT
// EXISTS can still collide in pg_type (23505): one transaction under an advisory lock each.
await sql.begin(async (tx) => {
	await tx`select pg_advisory_xact_lock(hashtext(${"bench:minimal_tokens"}))`;
	await tx`create table if not exists minimal_tokens (
		token_hash bytea primary key,
		user_id text not null,
		used boolean not null default false,
		expires_at timestamptz not null
	)`;
});

const ROTATE = `with consumed as (update minimal_tokens set used = true where token_hash = $1 and not used and expires_at > now() returning user_id)
insert into minimal_tokens (token_hash, user_id, expires_at) select $2, user_id, now() + interval '30 days' from consumed returning user_id`;

function hashOf(token: string): Buffer {
	return createHash("sha256").update(token).digest();
}

function accessToken(userId: string): Promise<string> {
	const now = Math.floor(Date.now() / 1000);
	return new SignJWT({ sid: userId })
		.setProtectedHeader({ alg: ALG, typ: "at+jwt" })
		.setIssuer("https://auth.bench.test")
		.setAudience("https://api.bench.test")
		.setSubject(userId)
		.setIssuedAt(now)
		.setExpirationTime(now + 900)
		.setJti(randomUUID())
		.sign(key);
}

function json(response: ServerResponse, status: number, body: unknown): void {
	const text = JSON.stringify(body);
	response.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-store" });
	response.end(text);
}

async function issue(userId: string, response: ServerResponse): Promise<void> {
	const token = randomBytes(32).toString("base64url");
	await sql`insert into minimal_tokens (token_hash, user_id, expires_at) values (${hashOf(token)}, ${userId}, now() + interval '30 days')`;
	json(response, 200, { access_token: await accessToken(userId), token_type: "Bearer", expires_in: 900, refresh_token: token });
}

async function refresh(presented: string, response: ServerResponse): Promise<void> {
	const token = randomBytes(32).toString("base64url");
	const [row] = await sql.unsafe<{ user_id: string }[]>(ROTATE, [hashOf(presented), hashOf(token)], { prepare: true });
	if (row === undefined) return json(response, 400, { error: "invalid_grant" });
	json(response, 200, { access_token: await accessToken(row.user_id), token_type: "Bearer", expires_in: 900, refresh_token: token });
}

const server = createServer(function minimal(request, response) {
	readBody(request)
		.then((body) => {
			const params = new URLSearchParams(body);
			if (request.url === "/auth/token") return refresh(params.get("refresh_token") ?? "", response);
			if (request.url === "/auth/login") return issue(params.get("username") ?? "", response);
			json(response, 404, { error: "not_found" });
		})
		.catch(() => {
			if (!response.headersSent) json(response, 500, { error: "server_error" });
		});
});

listen(server, () => sql.end({ timeout: 5 }));
