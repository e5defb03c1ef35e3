"use client";
// Calls GET /api/me every second with the page's cookies. It never refreshes on its own: the
// proxy rotates on whichever request comes first after the access token's refresh point, so
// each expiry costs one rotation however many pages, prefetches and polls are in flight.
import { type ReactNode, useEffect, useState } from "react";

interface Poll {
	status: number;
	name: string | null;
	count: number;
}

export function ApiPoller(): ReactNode {
	const [poll, setPoll] = useState<Poll>({ status: 0, name: null, count: 0 });
	useEffect(() => {
		let stopped = false;
		async function tick(): Promise<void> {
			try {
				const response = await fetch("/api/me", { cache: "no-store" });
				const body = response.ok ? ((await response.json()) as { name?: unknown }) : null;
				if (!stopped) setPoll((last) => ({ status: response.status, name: typeof body?.name === "string" ? body.name : null, count: last.count + 1 }));
			} catch {
				// Offline or navigating away: the next tick tries again.
			}
		}
		const timer = setInterval(() => void tick(), 1000);
		void tick();
		return () => {
			stopped = true;
			clearInterval(timer);
		};
	}, []);
	return (
		<p id="api-poll" data-status={poll.status} data-count={poll.count}>
			GET /api/me: {poll.status === 0 ? "…" : poll.status === 200 ? `200, ${poll.name}` : `${poll.status}`}
		</p>
	);
}
