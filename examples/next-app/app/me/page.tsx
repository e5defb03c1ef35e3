// A protected Server Component. It only verifies the access-token cookie (a Server Component
// cannot set cookies): the proxy has refreshed it before this render when it was about to expire.
import type { ReactNode } from "react";
import { currentUser, displayName } from "@/lib/session";
import { LogoutButton } from "./logout-button";
import { SignedInUntil, SignedOut } from "./session";
import { WhoAmI } from "./who-am-i";

export const dynamic = "force-dynamic";

export default async function MePage(): Promise<ReactNode> {
	const claims = await currentUser();
	if (claims === null) return <SignedOut />;
	return (
		<section id="me" data-auth="ok" data-jti={claims.jti}>
			<p>
				Signed in as <strong id="user-name">{displayName(claims)}</strong> ({claims.sub}).
			</p>
			<pre id="claims">{JSON.stringify({ sub: claims.sub, sid: claims.sid, iat: claims.iat, exp: claims.exp, jti: claims.jti }, null, 2)}</pre>
			<SignedInUntil expiresAt={claims.exp} />
			<WhoAmI />
			<LogoutButton />
		</section>
	);
}
