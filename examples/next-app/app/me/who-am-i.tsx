"use client";
import { type ReactNode, useActionState } from "react";
import { type WhoAmIState, whoAmI } from "./actions";

/** Calls the Server Action and shows whom it saw. */
export function WhoAmI(): ReactNode {
	const [state, run, pending] = useActionState<WhoAmIState | null>(whoAmI, null);
	return (
		<form action={run}>
			<button id="who-am-i" type="submit" disabled={pending}>
				Ask a Server Action who I am
			</button>{" "}
			<output id="action-result" data-jti={state?.jti ?? ""}>
				{state === null ? "" : (state.name ?? "signed out")}
			</output>
		</form>
	);
}
