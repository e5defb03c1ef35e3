"use client";
// The proxy (proxy.ts) renews the session on the first request after the access token's
// refresh point, so these components never refresh on a timer. Reauthenticate is the fallback
// for a render that came out signed out: one POST /auth/token, then a re-render, else /login.
import { useRouter } from "next/navigation";
import { type ReactNode, useEffect, useState } from "react";
import { authClient } from "@/lib/auth-client";

/** When the access token this page was rendered with expires. */
export function SignedInUntil({ expiresAt }: { expiresAt: number }): ReactNode {
	return (
		<p>
			Access token valid until <time id="expires-at">{new Date(expiresAt * 1000).toISOString()}</time>; the proxy renews it on your next request after that.
		</p>
	);
}

/** A protected page rendered without a usable access token: no session, or the proxy could not renew it (refused, or the store was down). */
export function SignedOut(): ReactNode {
	return (
		<section id="me" data-auth="none">
			<p>Not signed in, or the session could not be renewed.</p>
			<Reauthenticate />
		</section>
	);
}

/** One refresh attempt, then a re-render (or /login when the session is over). */
export function Reauthenticate(): ReactNode {
	const router = useRouter();
	const [failed, setFailed] = useState(false);
	useEffect(() => {
		let cancelled = false;
		async function run(): Promise<void> {
			try {
				const token = await authClient().refresh();
				if (cancelled) return;
				if (token === null)
					router.replace("/login"); // refused: expired, revoked or reused
				else router.refresh();
			} catch {
				if (!cancelled) setFailed(true); // network error or 503: reload to try again
			}
		}
		void run();
		return () => {
			cancelled = true;
		};
	}, [router]);
	return <p id="reauth">{failed ? "Could not renew the session." : "Renewing the session…"}</p>;
}
