// Every auth route (/auth/login, /auth/token, /auth/revoke, /auth/logout, /auth/jwks) in one
// catch-all route handler. Rotation happens only here, where cookies can be written.
import { auth } from "@/lib/auth";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(request: Request): Promise<Response> {
	return (await auth()).handlers.GET(request);
}

export async function POST(request: Request): Promise<Response> {
	return (await auth()).handlers.POST(request);
}
