"use client";
// The buttons of the sessions page. They call the library's routes with the access cookie (a
// same-origin fetch, which the origin rule for cookie-authenticated DELETEs requires), renew the
// access cookie once on a 401, then render the Server Component again.
import { useRouter } from "next/navigation";
import { type ReactNode, useEffect, useState } from "react";
import { authClient } from "@/lib/auth-client";

async function deleteWithRenewal(path: string): Promise<Response> {
	const send = () => fetch(path, { method: "DELETE", credentials: "same-origin" });
	const response = await send();
	// The access cookie ran out (Max-Age): POST /auth/token sets a new one, then try once more.
	if (response.status === 401 && (await authClient().refresh()) !== null) return send();
	return response;
}

function useSignOut(path: string): { busy: boolean; failed: boolean; run: () => Promise<void> } {
	const router = useRouter();
	const [busy, setBusy] = useState(false);
	const [failed, setFailed] = useState(false);
	async function run(): Promise<void> {
		setBusy(true);
		const response = await deleteWithRenewal(path).catch(() => null);
		setBusy(false);
		setFailed(response === null || !response.ok);
		router.refresh();
	}
	return { busy, failed, run };
}

/** Ends one other session: DELETE /auth/sessions/{id}. */
export function SignOutSession({ id }: { id: string }): ReactNode {
	const { busy, failed, run } = useSignOut(`/auth/sessions/${encodeURIComponent(id)}`);
	return (
		<button className="sign-out-session" type="button" disabled={busy} onClick={() => void run()}>
			{failed ? "Sign out (failed, try again)" : "Sign out"}
		</button>
	);
}

/** Ends every session but this one: DELETE /auth/sessions. */
export function SignOutOthers(): ReactNode {
	const { busy, failed, run } = useSignOut("/auth/sessions");
	return (
		<p>
			<button id="sign-out-others" type="button" disabled={busy} onClick={() => void run()}>
				Sign out all other sessions
			</button>
			{failed ? <span className="error"> Could not sign the others out; try again.</span> : null}
		</p>
	);
}

/** Shown without a live session: one refresh through the cookie, then render again; /login if refused. */
export function Renew(): ReactNode {
	const router = useRouter();
	useEffect(() => {
		void authClient()
			.refresh()
			.then((token) => (token === null ? router.replace("/login") : router.refresh()))
			.catch(() => undefined);
	}, [router]);
	return <p id="renewing">Renewing the session…</p>;
}
