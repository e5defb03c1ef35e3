// The responses a Next.js proxy (proxy.ts, Next 16) or middleware (middleware.ts, Next 15) returns,
// built without importing `next`. They are byte for byte what `NextResponse.next({ request: {
// headers } })` and `NextResponse.redirect(url)` build in next 15.5 and 16.x
// (next/dist/server/web/spec-extension/response.js): `x-middleware-next: 1` to continue to the
// route, and the request headers the route must see as `x-middleware-request-<name>`, listed in
// `x-middleware-override-headers`. Next applies the list as the complete set of request headers
// (a header not listed is deleted), so every header of the request is listed, changed or not.

/** What the route behind the proxy gets, and what the browser gets on top of the route's response. */
export interface Continuation {
	/** The request headers the route sees instead of the original ones; omitted: unchanged. */
	requestHeaders?: Headers;
	/** Set-Cookie lines added to the response. */
	setCookie?: readonly string[];
}

/** `NextResponse.next({ request: { headers } })` plus Set-Cookie lines: the route runs, with these request headers. */
export function continueToRoute(continuation: Continuation = {}): Response {
	const headers = new Headers({ "x-middleware-next": "1" });
	if (continuation.requestHeaders !== undefined) {
		const names: string[] = [];
		for (const [name, value] of continuation.requestHeaders) {
			headers.set(`x-middleware-request-${name}`, value);
			names.push(name);
		}
		headers.set("x-middleware-override-headers", names.join(","));
	}
	appendCookies(headers, continuation.setCookie);
	return new Response(null, { headers });
}

/** `NextResponse.redirect(location)` (307: the method is kept) plus Set-Cookie lines. */
export function redirectTo(location: URL, setCookie: readonly string[]): Response {
	const headers = new Headers({ location: location.href });
	appendCookies(headers, setCookie);
	return new Response(null, { status: 307, headers });
}

function appendCookies(headers: Headers, lines: readonly string[] | undefined): void {
	if (lines === undefined || lines.length === 0) return;
	for (const line of lines) headers.append("set-cookie", line);
	// A response that carries tokens is never stored by a shared cache (RFC 9111 §5.2.2.3, §5.2.2.7).
	headers.set("cache-control", "private, no-store");
}
