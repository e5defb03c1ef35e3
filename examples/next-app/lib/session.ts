// The signed-in user of the request being rendered, for Server Components and Server Actions.
// Verification only (the access-token cookie, no database): the proxy has already refreshed it.
import { headers } from "next/headers";
import type { AccessClaims } from "refresh-kit";
import { verifyRequest } from "refresh-kit/adapters/next";
import { auth, authOptions } from "@/lib/auth";

/** The claims of the access-token cookie, or null when it is missing, invalid or expired. */
export async function currentUser(): Promise<AccessClaims | null> {
	const { service } = await auth();
	return verifyRequest(service, { headers: await headers() }, authOptions);
}

/** The display name of a user. */
export function displayName(claims: AccessClaims): string {
	return typeof claims.name === "string" ? claims.name : claims.sub;
}
