// The server and the browser stand-in of the client suites. Not a suite (the runner only picks
// up *.test.ts).
import { createNodeHandler, requireAuth } from "../../adapters/node/index.js";
import { harness, type manualClock } from "../helpers.js";
import { listen, type TestServer } from "./helpers.js";

/** The origin `browserFetch` sends, and the one the cookie-mode server allows. */
export const APP_ORIGIN = "http://app.test";

export interface Fixture {
	server: TestServer;
	clock: ReturnType<typeof manualClock>;
	tokenRequests: () => number;
	close(): Promise<void>;
}

export async function start(mode: "cookie" | "body"): Promise<Fixture> {
	const { service, clock } = harness({ accessTokenTtl: 60 });
	let tokenRequests = 0;
	const auth = createNodeHandler(service, {
		authenticate: async (_request, params) => (params.username === "ada" && params.password === "pw" ? { subject: "ada" } : null),
		...(mode === "cookie" ? { cookie: { name: "rk" }, allowedOrigins: [APP_ORIGIN] } : {}),
	});
	const guard = requireAuth(service);
	const server = await listen((req, res) => {
		if (req.url === "/auth/token") tokenRequests++;
		auth(req, res, () => {
			guard(req, res, () => {
				res.setHeader("Content-Type", "application/json");
				res.end(JSON.stringify({ sub: (req as typeof req & { auth: { sub: string } }).auth.sub }));
			});
		});
	});
	return { server, clock, tokenRequests: () => tokenRequests, close: () => server.close() };
}

/** A fetch that keeps cookies like a browser on one origin, and sends that origin. */
export function browserFetch(): typeof fetch {
	const jar = new Map<string, string>();
	return async function fetchWithCookies(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
		const headers = new Headers(init.headers);
		headers.set("Origin", APP_ORIGIN);
		if (jar.size > 0) headers.set("Cookie", [...jar].map(([name, value]) => `${name}=${value}`).join("; "));
		const response = await fetch(input, { ...init, headers });
		for (const line of response.headers.getSetCookie()) {
			const [pair] = line.split(";");
			const [name, value] = (pair as string).split("=") as [string, string];
			if (/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(line) || value === "") jar.delete(name);
			else jar.set(name, value);
		}
		return response;
	};
}
