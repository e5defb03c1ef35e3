import type { ReactNode } from "react";
import { LoginForm } from "./login-form";

export default function LoginPage(): ReactNode {
	return (
		<>
			<h2>Log in</h2>
			<LoginForm />
		</>
	);
}
