// The tutorial baseline: a faithful re-implementation of the common blog design
// ("Implementing refresh token with JWT in Node.js", see bench/README.md), as its readers
// would run it on plain node:http and postgres.js:
//
// - `jsonwebtoken` with the app secret as a string;
// - at login, the user's refresh token is a JWT `{ userId }` with NO expiry, stored in
//   plaintext on the `users` row; a later login hands the same token back;
// - POST /refresh: `jwt.verify` the refresh token, `SELECT` the user row and check the stored
//   token, `jwt.sign` a new access token with Feathers' default JWT options. The refresh token
//   is never rotated.
//
// Not measured, and simplified for that reason: login auto-registers an unknown username
// (so the load generator can create its users) and compares a plain SHA-256 of the password.
//
// SECRET=keyobject runs the same code with the secret imported once as a KeyObject
// (`crypto.createSecretKey`), the one-line fix a user would make once they see that
// jsonwebtoken tries to parse a string secret as a PEM key on every call.
//
// env: DATABASE_URL, POOL (postgres.js pool size, default 10), SECRET (string | keyobject), PORT (default: free)
import { createHash, createSecretKey, randomUUID } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import jwt from "jsonwebtoken";
import postgres from "postgres";
import { listen, readBody } from "../servers/listen.js";

const secretText = process.env.TUTORIAL_SECRET ?? "2c8a1a3e7f1e4b0d9c6f5a4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c";
const secret = process.env.SECRET === "keyobject" ? createSecretKey(Buffer.from(secretText)) : secretText;
// Feathers' default `authentication.jwtOptions`, except a 15-minute access token like refresh-kit's.
const accessTokenOptions: jwt.SignOptions = {
	header: { typ: "access", alg: "HS256" },
	audience: "https://yourdomain.com",
	issuer: "feathers",
	algorithm: "HS256",
	expiresIn: "15m",
};

const sql = postgres(process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres", {
	max: Number(process.env.POOL ?? 10),
	onnotice: () => undefined,
});

// Several servers of this kind start at once on one database, and concurrent CREATE TABLE IF NOT
// EXISTS can still collide in pg_type (23505): one transaction under an advisory lock each.
await sql.begin(async (tx) => {
	await tx`select pg_advisory_xact_lock(hashtext(${"bench:users"}))`;
	await tx`create table if not exists users (
		id serial primary key,
		username text unique not null,
		password text not null,
		refresh_token text
	)`;
});

interface User {
	id: number;
	username: string;
	password: string;
	refresh_token: string | null;
}

function json(response: ServerResponse, status: number, body: unknown): void {
	const text = JSON.stringify(body);
	response.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
	response.end(text);
}

function accessTokenFor(user: User): string {
	return jwt.sign({ userId: user.id }, secret, { ...accessTokenOptions, subject: String(user.id), jwtid: randomUUID() });
}

async function login(body: string, response: ServerResponse): Promise<void> {
	const { username, password } = JSON.parse(body) as { username?: string; password?: string };
	if (typeof username !== "string" || typeof password !== "string") return json(response, 400, { message: "username and password required" });
	const digest = createHash("sha256").update(password).digest("hex");
	await sql`insert into users (username, password) values (${username}, ${digest}) on conflict (username) do nothing`;
	const [user] = await sql<User[]>`select * from users where username = ${username}`;
	if (user === undefined || user.password !== digest) return json(response, 401, { message: "Invalid login" });
	// setRefreshToken(): hand back the stored token, or sign one without expiry and store it.
	let refreshToken = user.refresh_token;
	if (refreshToken === null) {
		refreshToken = jwt.sign({ userId: user.id }, secret);
		await sql`update users set refresh_token = ${refreshToken} where id = ${user.id}`;
	}
	json(response, 201, { accessToken: accessTokenFor(user), refreshToken });
}

async function refresh(body: string, response: ServerResponse): Promise<void> {
	const { refreshToken } = JSON.parse(body) as { refreshToken?: string };
	if (typeof refreshToken !== "string") return json(response, 400, { message: "refreshToken required" });
	let payload: jwt.JwtPayload;
	try {
		payload = jwt.verify(refreshToken, secret) as jwt.JwtPayload;
	} catch {
		return json(response, 401, { message: "Invalid refresh token" });
	}
	const [user] = await sql<User[]>`select * from users where id = ${payload.userId as number}`;
	if (user === undefined || user.refresh_token !== refreshToken) return json(response, 401, { message: "Invalid refresh token" });
	json(response, 201, { accessToken: accessTokenFor(user) });
}

const server = createServer(function tutorial(request, response) {
	readBody(request)
		.then((body) => {
			if (request.method === "POST" && request.url === "/refresh") return refresh(body, response);
			if (request.method === "POST" && request.url === "/login") return login(body, response);
			json(response, 404, { message: "Not found" });
		})
		.catch(() => {
			if (!response.headersSent) json(response, 500, { message: "error" });
		});
});

listen(server, () => sql.end({ timeout: 5 }));
