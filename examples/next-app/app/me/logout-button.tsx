"use client";
import { useRouter } from "next/navigation";
import type { ReactNode } from "react";
import { authClient } from "@/lib/auth-client";

export function LogoutButton(): ReactNode {
	const router = useRouter();
	async function logout(): Promise<void> {
		// POST /auth/logout revokes the session and clears both cookies.
		await authClient().logout();
		router.replace("/login");
	}
	return (
		<button id="logout" type="button" onClick={() => void logout()}>
			Log out
		</button>
	);
}
