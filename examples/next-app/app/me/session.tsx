"use client";
// Refresh in cookie mode: POST /auth/token (the route handler rotates the refresh cookie and
// sets a new access-token cookie), then router.refresh() renders the Server Component again.
import { useRouter } from "next/navigation";
import { useEffect, useState, type ReactNode } from "react";
import { authClient } from "@/lib/auth-client";

type Router = ReturnType<typeof useRouter>;

async function refreshSession(router: Router): Promise<boolean> {
	try {
		const token = await authClient().refresh();
		if (token === null) {
			// The server refused the refresh cookie (none, expired, revoked): log in again.
			router.replace("/login");
			return false;
		}
		router.refresh();
		return true;
	} catch {
		return false; // network error or 503: the next attempt may succeed
	}
}

/** Renews the session shortly before the access token expires, while the page is visible. */
export function SessionKeeper({ issuedAt, expiresAt }: { issuedAt: number; expiresAt: number }): ReactNode {
	const router = useRouter();
	useEffect(() => {
		const lifetime = (expiresAt - issuedAt) * 1000;
		const delay = Math.max(0, expiresAt * 1000 - Math.min(30_000, lifetime / 4) - Date.now());
		let cancelled = false;
		function run(): void {
			if (cancelled) return;
			if (document.visibilityState === "hidden") {
				document.addEventListener("visibilitychange", run, { once: true });
				return;
			}
			void refreshSession(router);
		}
		const timer = setTimeout(run, delay);
		return () => {
			cancelled = true;
			clearTimeout(timer);
			document.removeEventListener("visibilitychange", run);
		};
	}, [issuedAt, expiresAt, router]);
	return (
		<p>
			Access token valid until <time id="expires-at">{new Date(expiresAt * 1000).toISOString()}</time>; renewed automatically.
		</p>
	);
}

/** Shown when the access token is missing or expired: one refresh attempt, then a re-render. */
export function Reauthenticate(): ReactNode {
	const router = useRouter();
	const [failed, setFailed] = useState(false);
	useEffect(() => {
		void refreshSession(router).then((ok) => setFailed(!ok));
	}, [router]);
	return <p id="reauth">{failed ? "Could not renew the session." : "Renewing the session…"}</p>;
}
