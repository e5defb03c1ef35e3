// Virtual browser clients for the demo server (cookie mode): each logs in once and then keeps
// rotating its own refresh-token chain, sometimes from 2-5 "tabs" at once (the same cookie in
// parallel requests, as multi-tab apps do), calls /api/me with the access token it got, and
// retries a 503 after a short backoff with the same cookie, as a well-behaved client does.
//
// Every response is classified. For a token a client was just handed, the only acceptable
// answers are 200 and 503 temporarily_unavailable: an invalid_grant is a spurious logout, any
// other 5xx is a server bug, and the tabs of one burst must all receive the same new cookie.
import { Agent, request } from "node:http";
import { percentiles } from "./stats.js";

export interface HttpResult {
	status: number;
	body: string;
	setCookie: string[];
	ms: number;
}

export class HttpClient {
	readonly agent: Agent;
	constructor(
		readonly origin: string,
		maxSockets = 256,
	) {
		// Idle keep-alive sockets are dropped after 4 s, before the server's keepAliveTimeout (5 s)
		// closes them: otherwise a request sent on a socket the server is closing at that very
		// moment gets ECONNRESET (the usual keep-alive race; seen once in 474 000 requests).
		this.agent = new Agent({ keepAlive: true, maxSockets, timeout: 4000 });
	}

	send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<HttpResult> {
		const url = new URL(path, this.origin);
		const started = performance.now();
		return new Promise((resolve, reject) => {
			const req = request(
				{ host: url.hostname, port: url.port, path: url.pathname, method, agent: this.agent, headers: { ...headers, ...(body === undefined ? {} : { "content-length": String(Buffer.byteLength(body)) }) }, timeout: 30_000 },
				(res) => {
					const chunks: Buffer[] = [];
					res.on("data", (chunk: Buffer) => chunks.push(chunk));
					res.on("error", reject);
					res.on("end", () => {
						const cookies = res.headers["set-cookie"];
						resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), setCookie: cookies ?? [], ms: performance.now() - started });
					});
				},
			);
			req.on("timeout", () => req.destroy(new Error("client timeout (30 s)")));
			req.on("error", reject);
			req.end(body);
		});
	}

	close(): void {
		this.agent.destroy();
	}
}

/** The value `setCookie` sets for `name`; the lines that delete it (stale variants on other paths) are skipped. */
export function cookieValue(setCookie: string[], name: string): string | null {
	for (const line of setCookie) {
		const [pair] = line.split(";", 1);
		const index = (pair as string).indexOf("=");
		const value = (pair as string).slice(index + 1).trim();
		if ((pair as string).slice(0, index).trim() === name && value !== "") return value;
	}
	return null;
}

export function jwtPayload(token: string): Record<string, unknown> {
	return JSON.parse(Buffer.from(token.split(".")[1] as string, "base64url").toString("utf8")) as Record<string, unknown>;
}

export interface VirtualClient {
	index: number;
	sessionId: string;
	/** The refresh token (cookie value) the client holds now. */
	refreshToken: string;
	accessToken: string;
	/** Successful logical refreshes (a burst counts once): the rotations the session should have had. */
	rotations: number;
	/** Every refresh token this client held, oldest first (for the log grep). */
	history: string[];
	accessTokens: string[];
}

export interface LoadStats {
	clients: number;
	requests: number;
	refreshRequests: number;
	logicalRefreshes: number;
	bursts: number;
	burstRequests: number;
	apiCalls: number;
	ok: number;
	status503: number;
	/** 503s whose body was not `temporarily_unavailable` (must be 0). */
	bad503: number;
	/** invalid_grant for a token the client was just handed: spurious logouts (must be 0). */
	invalidGrant: number;
	/** 5xx other than 503 (must be 0). */
	other5xx: number;
	/** Other unexpected statuses (401 from /api/me, 4xx from /auth/token, …). */
	unexpected: number;
	networkErrors: number;
	burstMismatches: number;
	/** Requests that kept getting 503 until the run ended. */
	gaveUp: number;
	first503At: number | null;
	last503At: number | null;
	/** When each 503 arrived (epoch ms) and how long its request took (ms). */
	timeline503: Array<[number, number]>;
	/** When each successful refresh answer arrived (epoch ms). */
	okRefreshAt: number[];
	refreshLatencyMs: { p50: number; p90: number; p99: number; max: number };
	problems: string[];
}

export interface LoadOptions {
	http: HttpClient;
	clients: number;
	/** Share of iterations that are a burst of 2..maxBurst parallel refreshes. */
	burstShare: number;
	maxBurst: number;
	/** Pause between a client's iterations (ms, uniform). */
	thinkMs: [number, number];
	/** Backoff before retrying a 503 (ms, uniform). */
	backoffMs: [number, number];
	/** Call GET /api/me with the new access token after each refresh. */
	callApi: boolean;
	random: () => number;
	cookieName?: string;
}

export interface LoadRun {
	clients: VirtualClient[];
	stats: LoadStats;
	/** Asks every client to stop after its current iteration; resolves when all have. */
	stop(): Promise<void>;
}

function between(random: () => number, [min, max]: [number, number]): number {
	return min + random() * (max - min);
}

/** Logs `count` clients in (retrying 503s) and starts their loops. */
export async function startLoad(options: LoadOptions): Promise<LoadRun> {
	const { http, random } = options;
	const cookieName = options.cookieName ?? "rk_refresh";
	const stats: LoadStats = {
		clients: options.clients,
		requests: 0,
		refreshRequests: 0,
		logicalRefreshes: 0,
		bursts: 0,
		burstRequests: 0,
		apiCalls: 0,
		ok: 0,
		status503: 0,
		bad503: 0,
		invalidGrant: 0,
		other5xx: 0,
		unexpected: 0,
		networkErrors: 0,
		burstMismatches: 0,
		gaveUp: 0,
		first503At: null,
		last503At: null,
		timeline503: [],
		okRefreshAt: [],
		refreshLatencyMs: { p50: 0, p90: 0, p99: 0, max: 0 },
		problems: [],
	};
	const latencies: number[] = [];
	const problem = (text: string): void => {
		if (stats.problems.length < 40) stats.problems.push(`${new Date().toISOString()} ${text}`);
	};
	let stopping = false;
	const headersFor = (client: number): Record<string, string> => ({ origin: http.origin, "user-agent": `reliability-client-${client}`, "content-type": "application/x-www-form-urlencoded" });

	/** One HTTP request, retried on 503 and on network errors; returns the final answer. */
	async function sendRetrying(client: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<HttpResult | null> {
		for (;;) {
			let result: HttpResult;
			try {
				stats.requests++;
				result = await http.send(method, path, headers, body);
			} catch (error) {
				stats.networkErrors++;
				problem(`client ${client} ${path}: ${(error as Error).message}`);
				if (stopping) return null;
				await new Promise((resolve) => setTimeout(resolve, between(random, options.backoffMs)));
				continue;
			}
			if (result.status !== 503) return result;
			stats.status503++;
			const now = Date.now();
			stats.first503At ??= now;
			stats.last503At = now;
			stats.timeline503.push([now, result.ms]);
			if (!result.body.includes('"temporarily_unavailable"')) {
				stats.bad503++;
				problem(`client ${client} ${path}: 503 without temporarily_unavailable: ${result.body.slice(0, 200)}`);
			}
			if (stopping) {
				stats.gaveUp++;
				return null;
			}
			await new Promise((resolve) => setTimeout(resolve, between(random, options.backoffMs)));
		}
	}

	function classify(client: number, path: string, result: HttpResult): boolean {
		if (result.status === 200) {
			stats.ok++;
			return true;
		}
		if (result.status === 400 && result.body.includes('"invalid_grant"')) {
			stats.invalidGrant++;
			problem(`client ${client} ${path}: invalid_grant for a valid token`);
		} else if (result.status >= 500) {
			stats.other5xx++;
			problem(`client ${client} ${path}: ${result.status} ${result.body.slice(0, 200)}`);
		} else {
			stats.unexpected++;
			problem(`client ${client} ${path}: unexpected ${result.status} ${result.body.slice(0, 200)}`);
		}
		return false;
	}

	async function login(index: number): Promise<VirtualClient> {
		for (;;) {
			const result = await sendRetrying(index, "POST", "/auth/login", headersFor(index), "username=demo&password=demo-password");
			if (result === null) throw new Error(`client ${index} could not log in`);
			if (!classify(index, "/auth/login", result)) throw new Error(`client ${index} login: ${result.status}`);
			const refreshToken = cookieValue(result.setCookie, cookieName);
			const accessToken = (JSON.parse(result.body) as { access_token: string }).access_token;
			if (refreshToken === null) throw new Error("login set no refresh cookie");
			return { index, sessionId: String(jwtPayload(accessToken).sid), refreshToken, accessToken, rotations: 0, history: [refreshToken], accessTokens: [accessToken] };
		}
	}

	/** One logical refresh from `tabs` tabs at once. Returns false when the client should stop. */
	async function refresh(client: VirtualClient, tabs: number): Promise<boolean> {
		const headers = { ...headersFor(client.index), cookie: `${cookieName}=${client.refreshToken}` };
		if (tabs > 1) {
			stats.bursts++;
			stats.burstRequests += tabs;
		}
		const results = await Promise.all(
			Array.from({ length: tabs }, async () => {
				stats.refreshRequests++;
				const result = await sendRetrying(client.index, "POST", "/auth/token", headers, "grant_type=refresh_token");
				if (result !== null) latencies.push(result.ms);
				if (result?.status === 200) stats.okRefreshAt.push(Date.now());
				return result;
			}),
		);
		if (results.some((result) => result === null)) return false;
		const answered = results as HttpResult[];
		const good = answered.filter((result) => classify(client.index, "/auth/token", result));
		if (good.length !== answered.length) return false;
		const cookies = new Set(good.map((result) => cookieValue(result.setCookie, cookieName)));
		if (cookies.size !== 1 || cookies.has(null)) {
			stats.burstMismatches++;
			problem(`client ${client.index}: ${tabs} tabs got ${cookies.size} different cookies`);
			return false;
		}
		client.refreshToken = [...cookies][0] as string;
		client.accessToken = (JSON.parse((good[0] as HttpResult).body) as { access_token: string }).access_token;
		client.rotations++;
		client.history.push(client.refreshToken);
		client.accessTokens.push(client.accessToken);
		stats.logicalRefreshes++;
		return true;
	}

	async function callApi(client: VirtualClient): Promise<void> {
		stats.apiCalls++;
		const result = await sendRetrying(client.index, "GET", "/api/me", { authorization: `Bearer ${client.accessToken}`, "user-agent": `reliability-client-${client.index}` });
		if (result !== null && classify(client.index, "/api/me", result)) {
			const me = JSON.parse(result.body) as { session?: string };
			if (me.session !== client.sessionId) problem(`client ${client.index}: /api/me shows session ${me.session}`);
		}
	}

	const clients: VirtualClient[] = [];
	for (let index = 0; index < options.clients; index++) clients.push(await login(index));

	async function loop(client: VirtualClient): Promise<void> {
		while (!stopping) {
			const tabs = random() < options.burstShare ? 2 + Math.floor(random() * (options.maxBurst - 1)) : 1;
			if (!(await refresh(client, tabs))) {
				if (!stopping) problem(`client ${client.index} stopped after a failed refresh`);
				return;
			}
			if (options.callApi) await callApi(client);
			await new Promise((resolve) => setTimeout(resolve, between(random, options.thinkMs)));
		}
	}
	const loops = clients.map((client) => loop(client));

	return {
		clients,
		stats,
		async stop() {
			stopping = true;
			await Promise.all(loops);
			const p = percentiles(latencies, [50, 90, 99, 100]);
			stats.refreshLatencyMs = { p50: p[0] ?? 0, p90: p[1] ?? 0, p99: p[2] ?? 0, max: p[3] ?? 0 };
		},
	};
}

/** After the load: every client refreshes once more with the token it holds (no retries on invalid_grant). */
export async function continueChains(http: HttpClient, clients: VirtualClient[], cookieName = "rk_refresh"): Promise<{ continued: number; failed: Array<{ index: number; status: number; body: string }> }> {
	const failed: Array<{ index: number; status: number; body: string }> = [];
	let continued = 0;
	await Promise.all(
		clients.map(async (client) => {
			for (let attempt = 0; attempt < 50; attempt++) {
				const result = await http.send(
					"POST",
					"/auth/token",
					{ origin: http.origin, "user-agent": `reliability-client-${client.index}`, "content-type": "application/x-www-form-urlencoded", cookie: `${cookieName}=${client.refreshToken}` },
					"grant_type=refresh_token",
				);
				if (result.status === 503) {
					await new Promise((resolve) => setTimeout(resolve, 200));
					continue;
				}
				const next = cookieValue(result.setCookie, cookieName);
				if (result.status === 200 && next !== null) {
					client.refreshToken = next;
					client.rotations++;
					client.history.push(next);
					continued++;
				} else {
					failed.push({ index: client.index, status: result.status, body: result.body.slice(0, 200) });
				}
				return;
			}
			failed.push({ index: client.index, status: 503, body: "still 503 after 50 attempts" });
		}),
	);
	return { continued, failed };
}
