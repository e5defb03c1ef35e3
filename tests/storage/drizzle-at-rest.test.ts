// On a real PostgreSQL server, after real traffic in both modes: a pg_dump and a query log with
// every parameter, together with every token the clients retired, yield no live refresh token
// (the attacker of tests/support/attacker.ts walks all of it). And the upgrade from a database
// written before refresh.secret (v1 tokens, v1 seals): v1 seals are deleted by migration 0002,
// a v1 rotate-mode token keeps working until its next rotation, a v1 reuse-mode token is
// refused and its device gets a v2 session at the next login.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { TokenEvent, TokenService, TokenSet } from "../../core/index.js";
import { drizzleStore, migrate } from "../../storage/drizzle/index.js";
import { type ManualClock, manualClock, rejects, TEST_REFRESH_KEYS, TEST_REFRESH_SECRET, TEST_SECRET } from "../helpers.js";
import { format, hmac, parse, recover, type SealSighting, sha256, text } from "../support/attacker.js";
import { createDatabase, pgDump, postgresOrSkip } from "../support/postgres.js";
import { serviceOn } from "./drizzle-cases.js";

const server = await postgresOrSkip();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Traffic in both modes; returns the tokens still live at the end and every token handed out. */
async function traffic(rotate: TokenService, reuse: TokenService, clock: ManualClock): Promise<{ live: Set<string>; all: TokenSet[] }> {
	const all: TokenSet[] = [];
	const live = new Set<string>();
	const keep = (tokens: TokenSet): TokenSet => {
		all.push(tokens);
		return tokens;
	};
	for (let user = 0; user < 4; user++) {
		let current = keep(await rotate.issue({ subject: `user-${user}`, device: "web" }));
		for (let step = 0; step < 5; step++) {
			clock.advance(60);
			current = keep(await rotate.exchange(current.refreshToken));
		}
		keep(await rotate.exchange(all.at(-2)?.refreshToken as string).catch(() => current)); // an old token 60 s after its rotation: reuse, which revokes this session
		const other = keep(await rotate.issue({ subject: `user-${user}`, device: "tablet" }));
		let second = keep(await rotate.exchange(other.refreshToken));
		keep(await rotate.exchange(other.refreshToken)); // grace replay: the same successor
		second = keep(await rotate.exchange(second.refreshToken));
		live.add(second.refreshToken);
		const phone = keep(await reuse.issue({ subject: `user-${user}`, device: "phone" }));
		keep(await reuse.exchange(phone.refreshToken));
		live.add(phone.refreshToken);
	}
	return { live, all };
}

/** Every (sealed, successor hash) pair a reader can form from a dump's rows and a query log's parameter lists. */
function sightings(rows: Array<Record<string, string>>, logged: unknown[][]): SealSighting[] {
	const out: SealSighting[] = [];
	for (const row of rows) {
		const bytes = ["token_hash", "previous_hash", "sealed_successor", "family_hash"].flatMap((column) => (row[column]?.startsWith("\\x") ? [Buffer.from(row[column].slice(2), "hex")] : []));
		for (const sealed of bytes) for (const hash of bytes) if (sealed !== hash) out.push({ sessionId: row.id as string, sealed, successorHash: hash });
	}
	for (const params of logged) {
		const ids = params.filter((value): value is string => typeof value === "string" && UUID.test(value));
		const bytes = params.filter((value): value is Uint8Array => value instanceof Uint8Array);
		for (const sessionId of ids) for (const sealed of bytes) for (const hash of bytes) if (sealed !== hash) out.push({ sessionId, sealed, successorHash: hash });
	}
	return out;
}

/** The rows of refresh_kit_sessions in a pg_dump's COPY block, by column name. */
function dumpedRows(dump: string): Array<Record<string, string>> {
	const header = /^COPY public\.refresh_kit_sessions \(([^)]+)\) FROM stdin;$/m.exec(dump);
	assert.ok(header !== null, "the dump holds the sessions table");
	const columns = (header[1] as string).split(", ").map((name) => name.replaceAll('"', ""));
	const body = dump.slice((header.index as number) + header[0].length + 1, dump.indexOf("\n\\.\n", header.index));
	return body.split("\n").map((line) => Object.fromEntries(line.split("\t").map((value, index) => [columns[index] as string, value.replaceAll("\\\\", "\\")])));
}

if (server !== null) {
	const test = suite("postgres: what is at rest opens nothing");
	const clients: postgres.Sql[] = [];
	function client(url: string, max = 1): postgres.Sql {
		const sql = postgres(url, { max, onnotice: () => {}, fetch_types: false, idle_timeout: 20 });
		clients.push(sql);
		return sql;
	}
	test.after(async () => {
		await Promise.all(clients.splice(0).map((sql) => sql.end({ timeout: 5 })));
	});

	test("pg_dump + a query log with parameters + every retired token, after traffic in both modes: no live token can be recovered", async () => {
		const url = await createDatabase("rk_at_rest_scan");
		const logged: unknown[][] = [];
		const log: string[] = [];
		const db = drizzle(client(url, 4), {
			logger: {
				logQuery: (query, params) => {
					logged.push(params);
					log.push(`${query} ${JSON.stringify(params)}`);
				},
			},
		});
		await migrate(db);
		const clock = manualClock();
		const { live, all } = await traffic(serviceOn(drizzleStore(db), clock, []), serviceOn(drizzleStore(db), clock, [], { refresh: { mode: "reuse" } }), clock);
		const dump = await pgDump(server, "rk_at_rest_scan");
		const rows = dumpedRows(dump);
		assert.ok(rows.length >= 12 && rows.some((row) => row.mode === "reuse") && rows.some((row) => row.sealed_successor?.startsWith("\\x")), "the dump covers both modes and holds seals");
		const retired = [...new Set(all.map((tokens) => tokens.refreshToken))].filter((token) => !live.has(token));
		assert.ok(retired.length >= 20, `${retired.length} retired tokens`);
		const seen = sightings(rows, logged);
		assert.ok(seen.length > 100, `${seen.length} (sealed, hash) pairs to try`);
		// The attacker also holds the signing secret, as every HS256 verifier does.
		const candidates = recover(retired, seen, [text(TEST_SECRET)]);
		assert.ok(candidates.size > retired.length, "the attacker produced candidates");
		for (const token of live) assert.not.ok(candidates.has(token), "a live token was recovered from the dump, the query log and retired tokens");
		// Nor does any of it contain the refresh secret or a key derived from it.
		const haystack = `${dump}\n${log.join("\n")}`;
		for (const needle of [
			TEST_REFRESH_SECRET,
			Buffer.from(TEST_REFRESH_SECRET).toString("hex"),
			...[TEST_REFRESH_KEYS.current.hashKey, TEST_REFRESH_KEYS.current.sealKey, TEST_REFRESH_KEYS.current.reuseKey].flatMap((key) => [Buffer.from(key).toString("hex"), Buffer.from(key).toString("base64url")]),
		]) {
			assert.not.ok(haystack.includes(needle), "refresh.secret material in the dump or the log");
		}
		// Control: the parse is real (the dump's hashes are the ones the service computes).
		const last = all.at(-1) as TokenSet;
		assert.ok(rows.some((row) => row.id === last.sessionId));
	});

	test("upgrade from v1: migration 0002 deletes v1 seals; a v1 rotate-mode token rotates into v2; a v1 reuse-mode token is refused and its device gets a v2 session", async () => {
		const url = await createDatabase("rk_at_rest_upgrade");
		const sql = client(url, 2);
		const db = drizzle(sql);
		// The database as the version before refresh.secret left it: migrations 0000 and 0001 only.
		const folder = mkdtempSync(join(tmpdir(), "rk-v1-migrations-"));
		try {
			cpSync("drizzle", folder, { recursive: true });
			const journalPath = join(folder, "meta", "_journal.json");
			const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: Array<{ tag: string }> };
			journal.entries = journal.entries.filter((entry) => entry.tag < "0002");
			writeFileSync(journalPath, JSON.stringify(journal));
			await migrate(db, { migrationsFolder: folder });
		} finally {
			rmSync(folder, { recursive: true, force: true });
		}
		const clock = manualClock();
		const at = clock.now();
		// A v1 rotate-mode session that has rotated once, written as v1 wrote it: SHA-256 hashes, a
		// 32-byte seal under the previous token's secret alone.
		const sid = Buffer.from(crypto.getRandomValues(new Uint8Array(16)));
		sid[6] = ((sid[6] as number) & 0x0f) | 0x40;
		sid[8] = ((sid[8] as number) & 0x3f) | 0x80;
		const id = `${sid.toString("hex").slice(0, 8)}-${sid.toString("hex").slice(8, 12)}-${sid.toString("hex").slice(12, 16)}-${sid.toString("hex").slice(16, 20)}-${sid.toString("hex").slice(20)}`;
		const proof = Buffer.from(crypto.getRandomValues(new Uint8Array(16)));
		const [s0, s1] = [Buffer.from(crypto.getRandomValues(new Uint8Array(32))), Buffer.from(crypto.getRandomValues(new Uint8Array(32)))];
		const h1 = sha256(proof, s1);
		const v1Seal = Buffer.from(s1.map((byte, index) => byte ^ (hmac(s0, text("refresh-kit/v1 successor seal"), h1)[index] as number)));
		const t0 = format({ sid, kid: null, proof, secret: s0 });
		const t1 = format({ sid, kid: null, proof, secret: s1 });
		const iso = (offset: number): string => new Date(at.getTime() + offset * 1000).toISOString();
		await sql`insert into refresh_kit_sessions (id, created_at, last_used_at, rotated_at, expires_at, absolute_expires_at, generation, mode, subject, family_hash, token_hash, previous_hash, sealed_successor)
			values (${id}, ${iso(-120)}::timestamptz, ${iso(-5)}::timestamptz, ${iso(-5)}::timestamptz, ${iso(86_400)}::timestamptz, ${iso(30 * 86_400)}::timestamptz, 1, 'rotate', 'legacy', ${sha256(proof)}, ${h1}, ${sha256(proof, s0)}, ${v1Seal})`;
		// A v1 reuse-mode session whose token was derived from the signing key (the v1 default).
		const reuseSid = Buffer.from(crypto.getRandomValues(new Uint8Array(16)));
		reuseSid[6] = ((reuseSid[6] as number) & 0x0f) | 0x40;
		reuseSid[8] = ((reuseSid[8] as number) & 0x3f) | 0x80;
		const reuseId = reuseSid.toString("hex").replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
		const rootKey = hmac(text(TEST_SECRET), text("refresh-kit/v1 reuse-mode key"));
		const reuseProof = hmac(rootKey, text("refresh-kit/v1 reuse-mode family proof"), reuseSid).subarray(0, 16);
		const reuseSecret = hmac(rootKey, text("refresh-kit/v1 reuse-mode secret"), reuseSid);
		const v1Reuse = format({ sid: reuseSid, kid: null, proof: reuseProof, secret: reuseSecret });
		await sql`insert into refresh_kit_sessions (id, created_at, last_used_at, expires_at, absolute_expires_at, mode, subject, device, family_hash, token_hash)
			values (${reuseId}, ${iso(-60)}::timestamptz, ${iso(-60)}::timestamptz, ${iso(86_400)}::timestamptz, ${iso(30 * 86_400)}::timestamptz, 'reuse', 'legacy', 'tv', ${sha256(reuseProof)}, ${sha256(reuseProof, reuseSecret)})`;

		// Before the migration, the attack the upgrade closes: the v1 seal plus the retired token give the live one.
		const before = dumpedRows(await pgDump(server, "rk_at_rest_upgrade"));
		assert.ok(recover([t0], sightings(before, []), []).has(t1), "control: a v1 seal opens with the retired token alone");

		await migrate(db);
		const after = dumpedRows(await pgDump(server, "rk_at_rest_upgrade"));
		assert.ok(
			after.every((row) => row.sealed_successor === "\\N"),
			"migration 0002 left no v1 seal",
		);
		assert.not.ok(recover([t0], sightings(after, []), []).has(t1));

		const events: TokenEvent[] = [];
		const rotate = serviceOn(drizzleStore(db), clock, events);
		// The previous token inside the grace window: its seal is gone, so no successor, and no revocation.
		await rejects(rotate.exchange(t0), "ERR_TOKEN_REUSED");
		assert.is(events.length, 0, "a replay of a pre-upgrade rotation is not treated as theft");
		const next = await rotate.exchange(t1);
		assert.ok(next.refreshToken.startsWith("rk2_"), "the v1 token rotated into a v2 token");
		assert.is(next.sessionId, id);
		assert.ok(await rotate.exchange(next.refreshToken));
		const [row] = await sql`select octet_length(sealed_successor)::int as sealed from refresh_kit_sessions where id = ${id}`;
		assert.is(row?.sealed, 36, "the session now carries a v2 seal");

		// The v1 reuse-mode token (derivable by any HS256 verifier) is refused in rotate mode too,
		// and cannot end its session.
		await rejects(rotate.exchange(v1Reuse), "ERR_TOKEN_EXPIRED");
		await rotate.revoke(v1Reuse);
		const reuse = serviceOn(drizzleStore(db), clock, [], { refresh: { mode: "reuse" } });
		await rejects(reuse.exchange(v1Reuse), "ERR_TOKEN_EXPIRED");
		const relogin = await reuse.issue({ subject: "legacy", device: "tv" });
		assert.ok(relogin.refreshToken.startsWith("rk2_"));
		assert.is.not(relogin.sessionId, reuseId, "the v1 reuse-mode session was replaced");
		const [old] = await sql`select revoked_at from refresh_kit_sessions where id = ${reuseId}`;
		assert.ok(old?.revoked_at !== null, "and revoked");
		assert.is(parse(relogin.refreshToken).kid?.readUInt32BE(0), TEST_REFRESH_KEYS.current.id);
	});

	test.run();
}
