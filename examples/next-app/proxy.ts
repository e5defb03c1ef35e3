// Refresh before rendering (Next 16: proxy.ts; Next 15: middleware.ts, see docs/nextjs.md).
// When the access cookie is missing or about to expire and the refresh cookie is present, the
// proxy rotates once and hands the new cookies both to the browser (Set-Cookie) and to the page,
// Server Action or route handler of this same request, which therefore never sees a stale token.
import { auth } from "@/lib/auth";

export async function proxy(request: Request): Promise<Response> {
	return (await auth()).proxy(request);
}

export const config = {
	// Every page and route handler, except the auth routes (they rotate themselves), Next's
	// assets and files with an extension. A literal: Next reads it at build time.
	matcher: ["/((?!auth/|_next/static|_next/image|favicon\\.ico|.*\\.\\w+$).*)"],
};
