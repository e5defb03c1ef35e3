// Refresh decisions at the exact idle, absolute and grace boundaries, each repeated many times
// on fresh sessions: every repetition must reach the same verdict. Shared by the memory run
// (clocks.test.ts) and the PostgreSQL run (store-faults-postgres.long.ts), since on PostgreSQL
// the comparison happens in SQL (`expires_at > $now`) rather than in JavaScript.
import { createTokenService, isTokenError, type RefreshOptions, type TokenService } from "../../../core/index.js";
import type { TokenStore } from "../../../core/port.js";
import { type ManualClock, manualClock, TEST_SECRET, testRefresh } from "../../helpers.js";

export interface BoundaryCase {
	name: string;
	/** The verdict every repetition must reach. */
	expected: string;
	/** How many repetitions reached each verdict. */
	outcomes: Record<string, number>;
}

const T0 = Date.parse("2026-03-01T12:00:00.000Z");

function serviceWith(store: TokenStore, refresh: Partial<RefreshOptions>): { service: TokenService; clock: ManualClock } {
	const clock = manualClock(new Date(T0));
	const service = createTokenService({ store, keys: { secret: TEST_SECRET }, issuer: "https://auth.test", audience: "https://api.test", clock, refresh: testRefresh(refresh) });
	return { service, clock };
}

async function outcome(run: () => Promise<string>): Promise<string> {
	try {
		return await run();
	} catch (error) {
		return isTokenError(error) ? error.code : `thrown ${String(error)}`;
	}
}

/** Runs every boundary case `repeats` times against `store`. Start times differ per repetition (and within the second). */
export async function boundaryDecisions(store: TokenStore, repeats: number): Promise<BoundaryCase[]> {
	const cases: Array<{ name: string; expected: string; refresh: Partial<RefreshOptions>; run: (service: TokenService, clock: ManualClock, start: number) => Promise<string> }> = [];

	// idleTtl 100 s: live while now < lastUsed + 100 s (store: expires_at > now).
	for (const [offset, expected] of [
		[-1, "rotated"],
		[0, "ERR_TOKEN_EXPIRED"],
		[1, "ERR_TOKEN_EXPIRED"],
	] as const) {
		cases.push({
			name: `idle: exchange at issue + idleTtl ${offset >= 0 ? "+" : ""}${offset} ms`,
			expected,
			refresh: { idleTtl: 100, absoluteTtl: null },
			run: async (service, clock, start) => {
				const a = await service.issue({ subject: "idle" });
				clock.set(new Date(start + 100_000 + offset));
				return outcome(async () => ((await service.exchange(a.refreshToken)).sessionId === a.sessionId ? "rotated" : "other session"));
			},
		});
		cases.push({
			name: `idle after a rotation at +60 s: exchange at rotation + idleTtl ${offset >= 0 ? "+" : ""}${offset} ms`,
			expected,
			refresh: { idleTtl: 100, absoluteTtl: null },
			run: async (service, clock, start) => {
				const a = await service.issue({ subject: "idle" });
				clock.set(new Date(start + 60_000));
				const b = await service.exchange(a.refreshToken);
				clock.set(new Date(start + 160_000 + offset));
				return outcome(async () => ((await service.exchange(b.refreshToken)).sessionId === a.sessionId ? "rotated" : "other session"));
			},
		});
		// absoluteTtl 300 s, idle 1000 s: rotation at +250 s would slide idle to +1250 s, but the cap holds at +300 s.
		cases.push({
			name: `absolute: exchange at issue + absoluteTtl ${offset >= 0 ? "+" : ""}${offset} ms after a rotation at +250 s`,
			expected,
			refresh: { idleTtl: 1000, absoluteTtl: 300 },
			run: async (service, clock, start) => {
				const a = await service.issue({ subject: "absolute" });
				clock.set(new Date(start + 250_000));
				const b = await service.exchange(a.refreshToken);
				if (b.refreshTokenExpiresAt?.getTime() !== start + 300_000) return `refreshTokenExpiresAt ${b.refreshTokenExpiresAt?.toISOString()}`;
				clock.set(new Date(start + 300_000 + offset));
				return outcome(async () => ((await service.exchange(b.refreshToken)).sessionId === a.sessionId ? "rotated" : "other session"));
			},
		});
		// reuseGrace 10 s: the previous token yields the same successor while now - rotatedAt < 10 s.
		cases.push({
			name: `grace: replay of the previous token at rotation + reuseGrace ${offset >= 0 ? "+" : ""}${offset} ms`,
			expected: offset < 0 ? "same successor" : "ERR_TOKEN_REUSED, session revoked",
			refresh: { reuseGrace: 10, idleTtl: 1000, absoluteTtl: null },
			run: async (service, clock, start) => {
				const a = await service.issue({ subject: "grace" });
				clock.set(new Date(start + 5_000));
				const b = await service.exchange(a.refreshToken);
				clock.set(new Date(start + 15_000 + offset));
				const verdict = await outcome(async () => ((await service.exchange(a.refreshToken)).refreshToken === b.refreshToken ? "same successor" : "a different successor"));
				if (verdict !== "ERR_TOKEN_REUSED") return verdict;
				const after = await outcome(async () => {
					await service.exchange(b.refreshToken);
					return "still live";
				});
				return after === "ERR_TOKEN_REVOKED" ? "ERR_TOKEN_REUSED, session revoked" : `ERR_TOKEN_REUSED, then ${after}`;
			},
		});
	}

	const results: BoundaryCase[] = [];
	for (const spec of cases) {
		const { service, clock } = serviceWith(store, spec.refresh);
		const outcomes: Record<string, number> = {};
		for (let i = 0; i < repeats; i++) {
			// A different start each time, at varying milliseconds within the second.
			const start = T0 + i * 3_600_000 + ((i * 137) % 1000);
			clock.set(new Date(start));
			const verdict = await spec.run(service, clock, start);
			outcomes[verdict] = (outcomes[verdict] ?? 0) + 1;
		}
		results.push({ name: spec.name, expected: spec.expected, outcomes });
	}
	return results;
}
