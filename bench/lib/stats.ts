// Statistics for the bench: a log-linear latency histogram (cheap to record, mergeable) and
// the median/min/max summary every figure in RESULTS.md is quoted with.

/** Sub-buckets per power of two: ~1.1 % relative precision. */
const SUB_BUCKETS = 64;
const SUB_SHIFT = 6;
const MAX_EXPONENT = 32;

/** A latency histogram over integer microseconds, HdrHistogram-style (exact below 64 µs). */
export class Histogram {
	readonly counts: Uint32Array = new Uint32Array((MAX_EXPONENT + 1) * SUB_BUCKETS);
	total = 0;
	max = 0;

	record(micros: number): void {
		const value = micros < 0 ? 0 : Math.floor(micros);
		const index = bucketOf(value);
		this.counts[index] = (this.counts[index] as number) + 1;
		this.total++;
		if (value > this.max) this.max = value;
	}

	merge(other: { counts: ArrayLike<number>; total: number; max: number }): void {
		for (let i = 0; i < this.counts.length; i++) this.counts[i] = (this.counts[i] as number) + (other.counts[i] as number);
		this.total += other.total;
		if (other.max > this.max) this.max = other.max;
	}

	/** The value at quantile q (0..1), in microseconds: the upper edge of its bucket. */
	quantile(q: number): number {
		if (this.total === 0) return 0;
		const rank = Math.max(1, Math.ceil(q * this.total));
		let seen = 0;
		for (let i = 0; i < this.counts.length; i++) {
			seen += this.counts[i] as number;
			if (seen >= rank) return Math.min(upperEdge(i), this.max);
		}
		return this.max;
	}

	/** A compact form for sending across processes: only non-empty buckets. */
	toJSON(): { buckets: [number, number][]; total: number; max: number } {
		const buckets: [number, number][] = [];
		for (let i = 0; i < this.counts.length; i++) if (this.counts[i] !== 0) buckets.push([i, this.counts[i] as number]);
		return { buckets, total: this.total, max: this.max };
	}

	static fromJSON(data: { buckets: [number, number][]; total: number; max: number }): Histogram {
		const histogram = new Histogram();
		for (const [index, count] of data.buckets) histogram.counts[index] = count;
		histogram.total = data.total;
		histogram.max = data.max;
		return histogram;
	}
}

function bucketOf(value: number): number {
	if (value < SUB_BUCKETS) return value;
	const exponent = Math.floor(Math.log2(value)) - SUB_SHIFT + 1;
	if (exponent > MAX_EXPONENT) return (MAX_EXPONENT + 1) * SUB_BUCKETS - 1;
	const sub = Math.floor(value / 2 ** (exponent - 1)) - SUB_BUCKETS;
	return exponent * SUB_BUCKETS + sub;
}

function upperEdge(index: number): number {
	if (index < SUB_BUCKETS) return index;
	const exponent = Math.floor(index / SUB_BUCKETS);
	const sub = index % SUB_BUCKETS;
	return (SUB_BUCKETS + sub + 1) * 2 ** (exponent - 1) - 1;
}

/** Median with the range: how every repeated figure is quoted. */
export interface Summary {
	median: number;
	min: number;
	max: number;
	n: number;
}

export function summarize(values: readonly number[]): Summary {
	const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
	const n = sorted.length;
	if (n === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
	const mid = Math.floor(n / 2);
	const median = n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
	return { median, min: sorted[0] as number, max: sorted[n - 1] as number, n };
}

/** Formats a number with a sensible number of significant digits and thousands separators. */
export function fmt(value: number, digits = 3): string {
	if (!Number.isFinite(value)) return "n/a";
	const abs = Math.abs(value);
	if (abs >= 1000) return Math.round(value).toLocaleString("en-US");
	if (abs === 0) return "0";
	const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(abs)));
	return value.toFixed(Math.min(decimals, 6));
}

/** "1,234 (1,100–1,300)": a median and its range. */
export function fmtSummary(summary: Summary, digits = 3): string {
	if (summary.n === 0) return "n/a";
	if (summary.n === 1) return fmt(summary.median, digits);
	return `${fmt(summary.median, digits)} (${fmt(summary.min, digits)}–${fmt(summary.max, digits)})`;
}

export function ratio(a: number, b: number): number {
	return b === 0 ? Number.NaN : a / b;
}

/** "3.4×" */
export function fmtRatio(value: number): string {
	return Number.isFinite(value) ? `${value.toFixed(value >= 10 ? 1 : 2)}×` : "n/a";
}

/** The same summary in another unit (e.g. µs → ms). */
export function mapSummary(summary: Summary, map: (value: number) => number): Summary {
	return { median: map(summary.median), min: map(summary.min), max: map(summary.max), n: summary.n };
}
