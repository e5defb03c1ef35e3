// The secrets every service the bench starts uses: the HS256 signing secret, and the refresh
// secret that keys refresh tokens (required, and never the signing secret). Not secret at all:
// benchmark fixtures only.
export const BENCH_SIGNING_SECRET = "bench-secret-bench-secret-bench-secret-0123456789";
export const BENCH_REFRESH_SECRET = "bench-refresh-secret-of-at-least-32-bytes-0123";
