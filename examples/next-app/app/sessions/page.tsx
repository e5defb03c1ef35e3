// "Your sessions": a Server Component lists the signed-in user's sessions through the service
// (no HTTP round trip), and client components sign one or all others out through the library's
// routes (DELETE /auth/sessions/{id}, DELETE /auth/sessions), authenticated by the access cookie.
import { headers } from "next/headers";
import type { ReactNode } from "react";
import { verifyRequest } from "refresh-kit/adapters/next";
import { auth, authOptions } from "@/lib/auth";
import { Renew, SignOutOthers, SignOutSession } from "./session-actions";

export const dynamic = "force-dynamic";

function when(date: Date | null): string {
	return date === null ? "never" : date.toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

export default async function SessionsPage(): Promise<ReactNode> {
	const { service } = await auth();
	const claims = await verifyRequest(service, { headers: await headers() }, authOptions);
	const sessions = claims === null ? [] : await service.listSessions(claims.sub);
	// An access token outlives its session's revocation by up to its lifetime: a browser whose
	// session was ended elsewhere is signed out here, not shown the others' sessions.
	if (claims === null || !sessions.some((session) => session.id === claims.sid)) {
		return (
			<section id="sessions" data-auth="none">
				<p>Not signed in, or this session has ended.</p>
				<Renew />
			</section>
		);
	}
	return (
		<section id="sessions" data-auth="ok" data-count={sessions.length}>
			<h2>Your sessions</h2>
			<ul>
				{sessions.map((session) => {
					const current = session.id === claims.sid;
					return (
						<li key={session.id} data-session-id={session.id} data-current={String(current)}>
							{/* React escapes text: a device label is whatever the other browser's User-Agent said. */}
							<strong>{session.device ?? "unknown device"}</strong>
							{current ? " (this browser)" : ""}: signed in {when(session.createdAt)}, last refreshed {when(session.lastUsedAt)}, expires {when(session.expiresAt)} {current ? null : <SignOutSession id={session.id} />}
						</li>
					);
				})}
			</ul>
			{sessions.length > 1 ? <SignOutOthers /> : null}
		</section>
	);
}
