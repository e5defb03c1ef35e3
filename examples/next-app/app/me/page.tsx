// A protected Server Component. It only verifies the access-token cookie: a Server
// Component cannot set cookies, so rotating here would lose the new refresh token.
import { headers } from "next/headers";
import type { ReactNode } from "react";
import { verifyRequest } from "refresh-kit/adapters/next";
import { auth, authOptions } from "@/lib/auth";
import { LogoutButton } from "./logout-button";
import { Reauthenticate, SessionKeeper } from "./session";

export const dynamic = "force-dynamic";

export default async function MePage(): Promise<ReactNode> {
	const { service } = await auth();
	const claims = await verifyRequest(service, { headers: await headers() }, authOptions);
	if (claims === null) {
		// Missing or expired: the refresh cookie (Path=/auth) never reaches this page, so let the
		// browser try POST /auth/token, then render again; it goes to /login if that fails.
		return (
			<section id="me" data-auth="none">
				<p>Not signed in, or the access token expired.</p>
				<Reauthenticate />
			</section>
		);
	}
	const name = typeof claims.name === "string" ? claims.name : claims.sub;
	return (
		<section id="me" data-auth="ok">
			<p>
				Signed in as <strong id="user-name">{name}</strong> ({claims.sub}).
			</p>
			<pre id="claims">{JSON.stringify({ sub: claims.sub, sid: claims.sid, iat: claims.iat, exp: claims.exp, jti: claims.jti }, null, 2)}</pre>
			<SessionKeeper issuedAt={claims.iat} expiresAt={claims.exp} />
			<LogoutButton />
		</section>
	);
}
