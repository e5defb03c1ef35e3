import Link from "next/link";
import type { ReactNode } from "react";

export default function Home(): ReactNode {
	return (
		<>
			<p>
				The refresh token lives in an <code>HttpOnly</code> cookie on <code>/auth</code>; the access token in one on{" "}
				<code>/</code>, which the Server Component of the protected page verifies without touching the database.
			</p>
			<p>
				<Link href="/login">Log in</Link> (demo / demo-password), then open the <Link href="/me">protected page</Link>, or{" "}
				<Link href="/sessions">your sessions</Link> (log in from a second browser to see two).
			</p>
		</>
	);
}
