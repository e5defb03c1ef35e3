// Every auth route (/auth/login, /auth/token, /auth/revoke, /auth/logout, /auth/jwks, /auth/sessions) in one
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

// DELETE /auth/sessions/{id} and DELETE /auth/sessions (sessions: true in lib/auth.ts).
export async function DELETE(request: Request): Promise<Response> {
	return (await auth()).handlers.DELETE(request);
}
