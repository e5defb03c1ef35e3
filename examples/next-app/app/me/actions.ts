"use server";
// A Server Action that needs the user. It is a POST to the page's path, so the proxy refreshes
// the session before it runs, like a navigation.
import { currentUser, displayName } from "@/lib/session";

export interface WhoAmIState {
	name: string | null;
	jti: string | null;
}

export async function whoAmI(): Promise<WhoAmIState> {
	const claims = await currentUser();
	return claims === null ? { name: null, jti: null } : { name: displayName(claims), jti: claims.jti };
}
