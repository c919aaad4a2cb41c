#!/usr/bin/env bash
# A private, throwaway PostgreSQL 15 cluster for one test run (DESIGN §6).
#   pg_cluster.sh start STATE_FILE OURA_MIGRATE_BIN   initdb into a temp dir, start on a free port,
#                                                     build the migrated template database
#   pg_cluster.sh start-bare STATE_FILE               the same cluster with nothing in it (a fresh
#                                                     server, as a restore lands on)
#   pg_cluster.sh stop STATE_FILE                     stop it and remove everything
# STATE_FILE receives shell assignments: PGDIR, PGPORT, OURA_TEST_PG_URL (postgres database).
set -euo pipefail

cmd=${1:?usage: pg_cluster.sh start|stop STATE_FILE [OURA_MIGRATE_BIN]}
state=${2:?state file}
pgbin=${OURA_PG_BINDIR:-/usr/lib/postgresql/15/bin}

as_postgres() {
  # initdb refuses to run as root; the cluster belongs to the postgres user then.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_cluster() {
  [ -f "$state" ] || return 0
  # shellcheck disable=SC1090
  . "$state"
  if [ -n "${PGDIR:-}" ] && [ -d "$PGDIR/data" ]; then
    as_postgres "$pgbin/pg_ctl" -D "$PGDIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  [ -n "${PGDIR:-}" ] && rm -rf "$PGDIR"
  rm -f "$state"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

case "$cmd" in
  start|start-bare)
    migrate=""
    [ "$cmd" = start ] && migrate=${3:?path of oura-migrate}
    stop_cluster
    dir=$(mktemp -d /tmp/oura-pg.XXXXXX)
    chmod 755 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    as_postgres "$pgbin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    port=$(free_port)
    # Durability is not what these tests measure: fsync off makes CREATE DATABASE and COMMIT cheap.
    as_postgres "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
      "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    url="postgresql://postgres@127.0.0.1:$port/postgres"
    printf 'PGDIR=%q\nPGPORT=%q\nOURA_TEST_PG_URL=%q\n' "$dir" "$port" "$url" >"$state"
    if [ -z "$migrate" ]; then
      echo "pg_cluster: bare PostgreSQL on port $port"
      exit 0
    fi
    psql -q -X -v ON_ERROR_STOP=1 "$url" -c "CREATE DATABASE oura_template" >/dev/null
    OURA_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/oura_template" OURA_LOG_LEVEL=warn "$migrate"
    # The services' login role as production sets it up (docs/security.md): a member of oura_writer
    # with no privileges of its own. Write-path tests connect as it (TestDatabase::writer_url).
    psql -q -X -v ON_ERROR_STOP=1 "$url" -c "CREATE ROLE oura_test_writer LOGIN IN ROLE oura_writer" >/dev/null
    # query-api's SQL gateway login role: a member of oura_sql (0015) and nothing else.
    psql -q -X -v ON_ERROR_STOP=1 "$url" -c "CREATE ROLE oura_test_sql LOGIN IN ROLE oura_sql" >/dev/null
    # No one may stay connected to a template, or CREATE DATABASE … TEMPLATE fails.
    psql -q -X -v ON_ERROR_STOP=1 "$url" -c "ALTER DATABASE oura_template WITH ALLOW_CONNECTIONS false IS_TEMPLATE true" >/dev/null
    echo "pg_cluster: PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on port $port, template migrated"
    ;;
  stop)
    stop_cluster
    echo "pg_cluster: stopped"
    ;;
  *)
    echo "usage: pg_cluster.sh start|start-bare|stop STATE_FILE [OURA_MIGRATE_BIN]" >&2
    exit 2
    ;;
esac
