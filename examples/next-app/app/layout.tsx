import type { Metadata } from "next";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = { title: "refresh-kit × Next.js" };

export default function RootLayout({ children }: { children: ReactNode }): ReactNode {
	return (
		<html lang="en">
			<body>
				<main>
					<h1>refresh-kit × Next.js</h1>
					{children}
				</main>
			</body>
		</html>
	);
}
