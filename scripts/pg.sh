#!/usr/bin/env bash
# Throwaway PostgreSQL for local runs and CI: 127.0.0.1:${PGPORT:-55432}, trust auth, data in a
# temp dir, durability off, pg_stat_statements preloaded when installed.
# (The test suites do not need this script: tests/support/postgres.ts starts its own server.)
#
#   PGDIR=$(scripts/pg.sh start); trap 'scripts/pg.sh stop "$PGDIR"' EXIT
#   export DATABASE_URL=$(scripts/pg.sh url "$PGDIR")     # postgres://postgres@127.0.0.1:55432/postgres
#
# usage: scripts/pg.sh start -> prints the data dir | scripts/pg.sh url <dir> | scripts/pg.sh stop <dir>
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$PGBIN/postgres" ]; then
	# Any installed major version will do (CI may install the distribution's default).
	PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -n "$PGBIN" ] && [ -x "$PGBIN/postgres" ] || { echo "no PostgreSQL binaries: apt-get install postgresql" >&2; exit 1; }
fi
PGPORT=${PGPORT:-55432}
RUNAS=${PGUSER_OS:-postgres}        # postgres refuses to run as root
run() { if [ "$(id -u)" = 0 ]; then runuser -u "$RUNAS" -- "$@"; else "$@"; fi; }
case "${1:-}" in
	start)
		if [ "$(id -u)" = 0 ]; then
			id "$RUNAS" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$RUNAS"
		fi
		DIR=$(mktemp -d /tmp/pgtest.XXXXXX)
		[ "$(id -u)" = 0 ] && chown "$RUNAS": "$DIR"
		run "$PGBIN/initdb" -D "$DIR/data" -U postgres --auth=trust --encoding=UTF8 --locale=C --no-sync >"$DIR/initdb.log"
		PRELOAD=""
		[ -f "$("$PGBIN/pg_config" --pkglibdir)/pg_stat_statements.so" ] && PRELOAD="-c shared_preload_libraries=pg_stat_statements"
		run "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 30 \
			-o "-h 127.0.0.1 -p $PGPORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 $PRELOAD" \
			start >/dev/null || { cat "$DIR/server.log" >&2; rm -rf "$DIR"; exit 1; }
		echo "$PGPORT" >"$DIR/port"
		echo "$DIR"
		;;
	url)
		DIR=${2:?data dir from start}
		echo "postgres://postgres@127.0.0.1:$(cat "$DIR/port")/postgres"
		;;
	stop)
		DIR=${2:?data dir from start}
		run "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null
		rm -rf "$DIR"
		;;
	*) echo "usage: $0 start | url <dir> | stop <dir>" >&2; exit 2 ;;
esac
