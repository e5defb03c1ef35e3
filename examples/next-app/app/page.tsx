import Link from "next/link";
import type { ReactNode } from "react";

export default function Home(): ReactNode {
	return (
		<>
			<p>
				Both tokens live in <code>HttpOnly</code> cookies. The proxy (<code>proxy.ts</code>) renews an access token that is about to expire before the page renders, so the Server Components of the protected pages only ever verify
				a fresh one, without touching the database.
			</p>
			<p>
				<Link href="/login">Log in</Link> (demo / demo-password), then open the <Link href="/me">protected page</Link>, or <Link href="/sessions">your sessions</Link> (log in from a second browser to see two).
			</p>
		</>
	);
}
