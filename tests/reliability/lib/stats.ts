// Small statistics for the reliability reports.

/** Nearest-rank percentiles (0-100) of `values`; [] gives zeros. */
export function percentiles(values: readonly number[], ranks: readonly number[]): number[] {
	if (values.length === 0) return ranks.map(() => 0);
	const sorted = [...values].sort((a, b) => a - b);
	return ranks.map((rank) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((rank / 100) * sorted.length) - 1))] as number);
}

export interface Distribution {
	n: number;
	median: number;
	p10: number;
	p25: number;
	p75: number;
	p90: number;
	p99: number;
	mean: number;
}

export function describe(values: readonly number[]): Distribution {
	const [p10, p25, median, p75, p90, p99] = percentiles(values, [10, 25, 50, 75, 90, 99]) as [number, number, number, number, number, number];
	return { n: values.length, median, p10, p25, p75, p90, p99, mean: values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length) };
}

/** Two-sample Kolmogorov-Smirnov statistic D (the largest gap between the two empirical CDFs). */
export function ksStatistic(a: readonly number[], b: readonly number[]): number {
	const x = [...a].sort((p, q) => p - q);
	const y = [...b].sort((p, q) => p - q);
	let i = 0;
	let j = 0;
	let d = 0;
	while (i < x.length && j < y.length) {
		const value = Math.min(x[i] as number, y[j] as number);
		while (i < x.length && (x[i] as number) <= value) i++;
		while (j < y.length && (y[j] as number) <= value) j++;
		d = Math.max(d, Math.abs(i / x.length - j / y.length));
	}
	return d;
}

/** The KS critical value at significance alpha for sample sizes n and m (asymptotic). */
export function ksCritical(n: number, m: number, alpha = 0.01): number {
	const c = Math.sqrt(-Math.log(alpha / 2) / 2);
	return c * Math.sqrt((n + m) / (n * m));
}

/**
 * Bootstrap 95 % interval of median(a) - median(b), resampling each sample with a seeded RNG.
 */
export function medianDifferenceInterval(a: readonly number[], b: readonly number[], random: () => number, rounds = 1000): [number, number] {
	const median = (values: number[]): number => {
		values.sort((p, q) => p - q);
		return values[Math.floor(values.length / 2)] as number;
	};
	const resample = (values: readonly number[]): number[] => Array.from({ length: values.length }, () => values[Math.floor(random() * values.length)] as number);
	const diffs = Array.from({ length: rounds }, () => median(resample(a)) - median(resample(b))).sort((p, q) => p - q);
	return [diffs[Math.floor(rounds * 0.025)] as number, diffs[Math.floor(rounds * 0.975)] as number];
}

export function mb(bytes: number | null): number {
	return bytes === null ? 0 : Math.round((bytes / 1048576) * 10) / 10;
}
