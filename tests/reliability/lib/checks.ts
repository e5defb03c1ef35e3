// Database-side checks after a load run against the demo: every client's held token must be
// its session's current token, at the generation the client counted, and no session may be
// revoked (no client logged out). Plus the demo's own log lines, counted by kind.
import postgres from "postgres";
import { hex, storedHash } from "../../helpers.js";
import type { DemoProcess } from "./demo.js";
import type { VirtualClient } from "./load.js";

export interface ChainCheck {
	sessions: number;
	revoked: number;
	/** Clients whose held token is not the live current token of their session, or whose generation differs. */
	mismatched: Array<{ index: number; reason: string; generationGap?: number }>;
}

export function tokenHashHex(token: string): string {
	return hex(storedHash(token)) as string;
}

export async function checkChains(url: string, clients: VirtualClient[]): Promise<ChainCheck> {
	const sql = postgres(url, { max: 1, fetch_types: false, onnotice: () => {} });
	try {
		const rows = await sql<Array<{ id: string; token_hash: Buffer; generation: number; revoked_at: Date | null }>>`select id, token_hash, generation, revoked_at from refresh_kit_sessions`;
		const byId = new Map(rows.map((row) => [row.id, row]));
		const mismatched: ChainCheck["mismatched"] = [];
		for (const client of clients) {
			const row = byId.get(client.sessionId);
			if (row === undefined) mismatched.push({ index: client.index, reason: "session row missing" });
			else if (row.revoked_at !== null) mismatched.push({ index: client.index, reason: "session revoked", generationGap: row.generation - client.rotations });
			else if (hex(row.token_hash) !== tokenHashHex(client.refreshToken)) mismatched.push({ index: client.index, reason: `held token is not current (db generation ${row.generation}, client ${client.rotations})` });
			else if (row.generation !== client.rotations) mismatched.push({ index: client.index, reason: `generation ${row.generation}, client counted ${client.rotations}` });
		}
		return { sessions: rows.length, revoked: rows.filter((row) => row.revoked_at !== null).length, mismatched };
	} finally {
		await sql.end({ timeout: 5 });
	}
}

/** Connections of the demo's pool (application_name refresh-kit), or null when the server is down. */
export async function demoConnections(url: string): Promise<number | null> {
	const sql = postgres(url, { max: 1, fetch_types: false, onnotice: () => {}, connect_timeout: 3 });
	try {
		const [row] = await sql<Array<{ n: number }>>`select count(*)::int as n from pg_stat_activity where application_name = 'refresh-kit'`;
		return row?.n ?? 0;
	} catch {
		return null;
	} finally {
		await sql.end({ timeout: 5 });
	}
}

export interface DemoLogCounts {
	/** `[event] reuse-detected` lines. */
	reuseDetected: number;
	/** `[event] revoked` lines (any reason). */
	revoked: number;
	/** `[auth] 503` lines. */
	auth503: number;
	/** `[auth] 5xx` lines other than 503. */
	auth5xxOther: number;
	/** `[auth] 400` lines (invalid_grant and friends). */
	auth400: number;
	/** Lines on stderr (uncaught errors, warnings). */
	stderr: number;
	samples: string[];
}

export function countDemoLines(demo: DemoProcess, since = 0): DemoLogCounts {
	const counts: DemoLogCounts = { reuseDetected: 0, revoked: 0, auth503: 0, auth5xxOther: 0, auth400: 0, stderr: 0, samples: [] };
	for (const line of demo.lines) {
		if (line.at < since) continue;
		const text = line.text;
		if (line.stream === "stderr" && text.trim() !== "") {
			counts.stderr++;
			if (counts.samples.length < 10) counts.samples.push(text.slice(0, 300));
		}
		if (text.startsWith("[event] reuse-detected")) counts.reuseDetected++;
		if (text.startsWith("[event] revoked")) counts.revoked++;
		const auth = /^\[auth\] (\d{3}) /.exec(text);
		if (auth !== null) {
			const status = Number(auth[1]);
			if (status === 503) counts.auth503++;
			else if (status >= 500) {
				counts.auth5xxOther++;
				if (counts.samples.length < 10) counts.samples.push(text.slice(0, 300));
			} else if (status === 400) counts.auth400++;
		}
	}
	return counts;
}
