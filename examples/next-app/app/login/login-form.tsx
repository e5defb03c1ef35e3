"use client";
import { useRouter } from "next/navigation";
import { type FormEvent, type ReactNode, useState } from "react";
import { authClient } from "@/lib/auth-client";

export function LoginForm(): ReactNode {
	const router = useRouter();
	const [error, setError] = useState<string | null>(null);
	const [busy, setBusy] = useState(false);

	async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
		event.preventDefault();
		const form = new FormData(event.currentTarget);
		setBusy(true);
		setError(null);
		try {
			// POST /auth/login: the route handler sets both cookies.
			const ok = await authClient().login({ username: String(form.get("username")), password: String(form.get("password")) });
			if (ok) router.push("/me");
			else setError("Wrong user name or password.");
		} catch {
			setError("The server could not log you in; try again.");
		} finally {
			setBusy(false);
		}
	}

	return (
		<form id="login-form" onSubmit={submit}>
			<label>
				User <input name="username" defaultValue="demo" autoComplete="username" />
			</label>
			<label>
				Password <input name="password" type="password" defaultValue="demo-password" autoComplete="current-password" />
			</label>
			<button id="login" type="submit" disabled={busy}>
				Log in
			</button>
			{error && <p className="error">{error}</p>}
		</form>
	);
}
