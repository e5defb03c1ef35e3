// Run with the cwd in a built Next.js app that has refresh-kit installed (`node <this file>`):
// compares what createNextProxy returns with what that app's own `next/server` NextResponse
// builds for the same outcome (continue with request headers, continue untouched, redirect),
// header for header. Prints one JSON line: { ok, next, mismatches }. Used by the e2e suites on
// Next 16 and Next 15; not a suite itself.
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const require = createRequire(`${process.cwd()}/package.json`);
const load = (name) => import(pathToFileURL(require.resolve(name)).href);
const { NextResponse } = await load("next/server");
const { createTokenService } = await load("refresh-kit");
const { memoryStore } = await load("refresh-kit/storage/memory");
const { createNextProxy } = await load("refresh-kit/adapters/next");

const service = createTokenService({
	store: memoryStore(),
	keys: { secret: "parity-signing-secret-of-32-bytes-or-more" },
	issuer: "parity",
	audience: "parity",
	refresh: { secret: "parity-refresh-secret-of-32-bytes-or-more" },
});
const options = { cookie: { name: "rk", accessTokenName: "at", path: "/" }, signInPath: "/login" };
const proxy = createNextProxy(service, options);
const mismatches = [];

function entries(response) {
	return { status: response.status, headers: [...response.headers].map(([name, value]) => `${name}: ${value}`) };
}

/** NextResponse's answer with the proxy's Set-Cookie lines and Cache-Control added, as an app would add them. */
function withCookies(response, ours) {
	for (const line of ours.headers.getSetCookie()) response.headers.append("set-cookie", line);
	const cacheControl = ours.headers.get("cache-control");
	if (cacheControl !== null) response.headers.set("cache-control", cacheControl);
	return response;
}

function compare(what, ours, theirs) {
	const a = JSON.stringify(entries(ours));
	const b = JSON.stringify(entries(theirs));
	if (a !== b) mismatches.push({ what, ours: entries(ours), next: entries(theirs) });
}

const request = (cookie) => new Request("http://localhost:3000/me?tab=1", { headers: { accept: "text/html", "user-agent": "parity", cookie } });

// Refreshed: continue, with the request's headers and the new cookies in its Cookie header.
const session = await service.issue({ subject: "parity" });
const stale = request(`theme=dark; rk=${session.refreshToken}`);
const refreshed = await proxy(stale);
const forwarded = new Headers(stale.headers);
forwarded.set("cookie", refreshed.headers.get("x-middleware-request-cookie") ?? "");
compare("refreshed", refreshed, withCookies(NextResponse.next({ request: { headers: forwarded } }), refreshed));

// Nothing to do: NextResponse.next().
const untouched = await proxy(request("theme=dark"));
compare("untouched", untouched, NextResponse.next());

// Refused, with signInPath: NextResponse.redirect(url, 307) and the cookies cleared.
await service.revoke(session.refreshToken);
const redirected = await proxy(request(`rk=${session.refreshToken}`));
compare("redirect", redirected, withCookies(NextResponse.redirect(new URL("http://localhost:3000/login"), 307), redirected));

console.log(JSON.stringify({ ok: mismatches.length === 0, next: require("next/package.json").version, mismatches }));
