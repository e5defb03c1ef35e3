import Link from "next/link";
import type { ReactNode } from "react";
import { ApiPoller } from "./api-poller";

/** The protected section: two pages to navigate between, and the API poller that outlives navigations. */
export default function MeLayout({ children }: { children: ReactNode }): ReactNode {
	return (
		<>
			<nav>
				<Link id="nav-me" href="/me">
					Profile
				</Link>{" "}
				·{" "}
				<Link id="nav-details" href="/me/details">
					Session details
				</Link>
			</nav>
			{children}
			<ApiPoller />
		</>
	);
}
