// A second protected Server Component, to navigate to and fro across expiries.
import type { ReactNode } from "react";
import { currentUser, displayName } from "@/lib/session";
import { SignedInUntil, SignedOut } from "../session";

export const dynamic = "force-dynamic";

export default async function DetailsPage(): Promise<ReactNode> {
	const claims = await currentUser();
	if (claims === null) return <SignedOut />;
	return (
		<section id="me" data-auth="ok" data-jti={claims.jti}>
			<p>
				Session <code id="session-id">{claims.sid}</code> of <strong id="user-name">{displayName(claims)}</strong>.
			</p>
			<SignedInUntil expiresAt={claims.exp} />
		</section>
	);
}
