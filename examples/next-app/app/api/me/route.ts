// An API route the client calls over and over (app/me/api-poller.tsx). The proxy refreshes the
// session before it runs, so `authorize` sees a fresh access-token cookie.
import { authorize } from "refresh-kit/adapters/next";
import { auth, authOptions } from "@/lib/auth";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(request: Request): Promise<Response> {
	const { service } = await auth();
	const { claims, response } = await authorize(service, request, authOptions);
	if (response) return response;
	return Response.json({ sub: claims.sub, name: claims.name, sid: claims.sid, exp: claims.exp, jti: claims.jti }, { headers: { "Cache-Control": "no-store" } });
}
