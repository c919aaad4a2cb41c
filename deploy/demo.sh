#!/usr/bin/env bash
# The whole platform on one machine, from nothing to a live status page:
#   a private PostgreSQL cluster (kept in .demo/ between runs), the built-in Oura simulator with
#   2 people × 1 year — or your own Oura account when OURA_CLIENT_ID and OURA_CLIENT_SECRET are set —
#   the schema, every service (ingest-webhook, backfill-worker, query-api), both people connected
#   through the real OAuth flow, their initial backfills with live progress, one poller pass, a few
#   signed webhook deliveries, and then what to open. Runs until Ctrl-C and stops what it started.
#
#   deploy/demo.sh [run] [--exit-after-sync]   run (again: the data is reused; only what changed is fetched)
#   deploy/demo.sh stop                        stop the demo's PostgreSQL (services stop with Ctrl-C)
#   deploy/demo.sh reset                       stop it and delete .demo/
#
# --exit-after-sync: stop everything and exit 0 once the first full sync is done and the status
# page says so (what the demo's test runs). OURA_DEMO_BIN=DIR uses binaries already built there;
# OURA_DEMO_DIR=DIR keeps the demo's data there instead of .demo/.
# Ports: OURA_DEMO_PORT (PostgreSQL, 54329), OURA_DEMO_HTTP_PORT (first of three, 8081).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
demo=${OURA_DEMO_DIR:-$root/.demo}
pgbin=/usr/lib/postgresql/15/bin
port=${OURA_DEMO_PORT:-54329}
http_base=${OURA_DEMO_HTTP_PORT:-8081}
webhook_port=$http_base
query_port=$((http_base + 1))
backfill_port=$((http_base + 2))

as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_running() { [ -f "$demo/pg/postmaster.pid" ] && as_postgres "$pgbin/pg_ctl" -D "$demo/pg" status >/dev/null 2>&1; }
say() { printf 'demo: %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

exit_after_sync=0
command=run
for arg in "$@"; do
  case "$arg" in
    run|stop|reset) command=$arg ;;
    --exit-after-sync) exit_after_sync=1 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown argument '$arg' (deploy/demo.sh --help)" >&2; exit 2 ;;
  esac
done

case "$command" in
  stop)  pg_running && as_postgres "$pgbin/pg_ctl" -D "$demo/pg" -m fast stop >/dev/null; say "PostgreSQL stopped"; exit 0 ;;
  reset) pg_running && as_postgres "$pgbin/pg_ctl" -D "$demo/pg" -m fast stop >/dev/null; rm -rf "$demo"; say "removed .demo/"; exit 0 ;;
esac

# ---------------------------------------------------------------------------------------------
# Build and database

if [ -n "${OURA_DEMO_BIN:-}" ]; then
  bin=$OURA_DEMO_BIN
else
  bash deploy/install-deps.sh
  say "building (release preset; the first build takes several minutes)"
  cmake --preset release >/dev/null
  cmake --build --preset release -j"$(nproc)"
  bin=$root/build/release/bin
fi
for b in oura-migrate oura-sim oura-admin poller backfill-worker ingest-webhook query-api; do
  [ -x "$bin/$b" ] || die "$bin/$b is missing: build the project first"
done

mkdir -p "$demo/logs" "$demo/secrets"
chmod 755 "$demo"
chmod 700 "$demo/secrets"
if [ ! -d "$demo/pg" ]; then
  mkdir -p "$demo/pg"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$demo/pg"
  as_postgres "$pgbin/initdb" -D "$demo/pg" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
fi
if ! pg_running; then
  as_postgres "$pgbin/pg_ctl" -D "$demo/pg" -l "$demo/pg/server.log" -w start \
    -o "-p $port -k /tmp -c listen_addresses=127.0.0.1" >/dev/null
fi
admin_url="postgresql://postgres@127.0.0.1:$port"
psql -q -X "$admin_url/postgres" -tc "SELECT 1 FROM pg_database WHERE datname='oura'" | grep -q 1 \
  || psql -q -X "$admin_url/postgres" -c "CREATE DATABASE oura" >/dev/null
OURA_DATABASE_URL="$admin_url/oura" OURA_LOG_LEVEL=warn "$bin/oura-migrate"
# The login roles of a real installation (docs/security.md), each with nothing of its own: the
# services write as oura_app, /api/sql runs as oura_query_sql, Grafana reads as oura_grafana.
# Local trust authentication: the cluster listens on 127.0.0.1 only.
psql -q -X -v ON_ERROR_STOP=1 "$admin_url/oura" >/dev/null <<'SQL'
SELECT format('CREATE ROLE %I LOGIN IN ROLE %I', r, g) AS ddl
  FROM (VALUES ('oura_app', 'oura_writer'), ('oura_query_sql', 'oura_sql'), ('oura_grafana', 'oura_reader')) AS v(r, g)
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) \gexec
SQL

# Secrets, made once and kept beside the demo's data (mode 600): the token key, the API tokens,
# the webhook verification token.
secret() {
  local f=$demo/secrets/$1
  [ -s "$f" ] || (umask 077; openssl rand -hex "$2" >"$f")
  cat "$f"
}
secret token.key 32 >/dev/null
read_token=$(secret read.token 24)
admin_token=$(secret admin.token 24)
secret verification.token 24 >/dev/null

export OURA_DATABASE_URL="postgresql://oura_app@127.0.0.1:$port/oura"
export OURA_TOKEN_ENCRYPTION_KEY_FILE=$demo/secrets/token.key
export OURA_QUERY_READ_TOKENS_FILE=$demo/secrets/read.token
export OURA_QUERY_ADMIN_TOKENS_FILE=$demo/secrets/admin.token
export OURA_WEBHOOK_VERIFICATION_TOKEN_FILE=$demo/secrets/verification.token
export OURA_QUERY_SQL_DATABASE_URL="postgresql://oura_query_sql@127.0.0.1:$port/oura"
export OURA_QUERY_COOKIE_SECURE=false   # plain HTTP on localhost
export OURA_LOG_LEVEL=${OURA_LOG_LEVEL:-info}
export OURA_OAUTH_REDIRECT_URI="http://127.0.0.1:$webhook_port/oauth/callback"
export OURA_WEBHOOK_CALLBACK_URL="http://127.0.0.1:$webhook_port/webhook/oura"
export OURA_INITIAL_BACKFILL_DAYS=${OURA_INITIAL_BACKFILL_DAYS:-366}

# ---------------------------------------------------------------------------------------------
# Everything started from here is stopped on exit (Ctrl-C included); PostgreSQL keeps running for
# the next run unless --exit-after-sync (then the demo leaves nothing behind but .demo/).

pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$exit_after_sync" = 1 ] && pg_running; then as_postgres "$pgbin/pg_ctl" -D "$demo/pg" -m fast stop >/dev/null; fi
}
trap cleanup EXIT
trap 'echo; say "stopping"; exit 0' INT TERM

wait_ready() {  # URL NAME LOG
  for _ in $(seq 1 150); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  tail -20 "$3" >&2
  die "$2 did not become ready (log: $3)"
}

real_oura=0
if [ -n "${OURA_CLIENT_ID:-}" ] && [ -n "${OURA_CLIENT_SECRET:-}" ]; then
  real_oura=1
  export OURA_API_BASE_URL=${OURA_API_BASE_URL:-https://api.ouraring.com}
  export OURA_AUTH_BASE_URL=${OURA_AUTH_BASE_URL:-https://cloud.ouraring.com}
  [ -n "${OURA_DEMO_REDIRECT_URI:-}" ] && export OURA_OAUTH_REDIRECT_URI=$OURA_DEMO_REDIRECT_URI
  say "using your Oura application $OURA_CLIENT_ID (redirect URI $OURA_OAUTH_REDIRECT_URI must be registered with it)"
else
  say "starting the Oura simulator: 2 people, 1 year of ring data"
  fifo=$demo/sim.out
  rm -f "$fifo"
  mkfifo "$fifo"
  "$bin/oura-sim" --port 0 --users 2 --days 365 --seed 1 --webhook-retry-base-ms 200 >"$fifo" 2>"$demo/logs/oura-sim.log" &
  pids+=($!)
  read -r sim_url <"$fifo"
  rm -f "$fifo"
  export OURA_API_BASE_URL=$sim_url OURA_AUTH_BASE_URL=$sim_url
  export OURA_CLIENT_ID=oura-sim-client OURA_CLIENT_SECRET=oura-sim-secret
fi

start_service() {  # NAME PORT ARGS…
  local name=$1 p=$2
  shift 2
  OURA_HTTP_PORT=$p "$bin/$name" "$@" >>"$demo/logs/$name.log" 2>&1 &
  pids+=($!)
  wait_ready "http://127.0.0.1:$p/readyz" "$name" "$demo/logs/$name.log"
  say "$name ready on http://127.0.0.1:$p"
}
start_service ingest-webhook "$webhook_port"
start_service query-api "$query_port"
start_service backfill-worker "$backfill_port" run

# ---------------------------------------------------------------------------------------------
# Connect the people through the real OAuth flow: /oauth/start (admin token) → Oura's authorize
# page → /oauth/callback, which stores the tokens sealed and queues the initial backfill.

connect_simulated() {  # INDEX
  local location page
  location=$(curl -fsS -o /dev/null -w '%{redirect_url}' -H "Authorization: Bearer $admin_token" \
    "http://127.0.0.1:$webhook_port/oauth/start?login_hint=$1")
  [ -n "$location" ] || die "/oauth/start gave no redirect (log: $demo/logs/ingest-webhook.log)"
  location=$(curl -fsS -o /dev/null -w '%{redirect_url}' "$location")   # the simulator approves
  page=$(curl -sS "$location")                                          # our callback
  printf '%s' "$page" | grep -q -i "connected" || die "connecting person $1 failed: $(printf '%s' "$page" | sed 's/<[^>]*>/ /g' | tr -s ' ' | head -c 300)"
}

connected=$(psql -X -At "$admin_url/oura" -c "SELECT count(*) FROM oura.users u JOIN oura_secret.oauth_tokens t USING (user_id)")
if [ "$real_oura" = 1 ]; then
  if [ "$connected" = 0 ]; then
    start=$(curl -fsS -o /dev/null -w '%{redirect_url}' -H "Authorization: Bearer $admin_token" "http://127.0.0.1:$webhook_port/oauth/start")
    say "open this address in a browser on this machine and approve the access:"
    echo "    $start"
    say "waiting for the callback …"
    until [ "$(psql -X -At "$admin_url/oura" -c "SELECT count(*) FROM oura_secret.oauth_tokens")" != 0 ]; do sleep 2; done
  fi
else
  for i in 0 1; do connect_simulated "$i"; done
  say "connected 2 people through OAuth (authorize → callback); their tokens are sealed in oura_secret"
fi

# ---------------------------------------------------------------------------------------------
# Initial backfills, followed live (a bar on a terminal, one line per interval otherwise).

for id in $("$bin/backfill-worker" list --json | python3 -c '
import json, sys
for b in json.load(sys.stdin):
    if b.get("state") in ("running", "pending"):
        print(b["id"])'); do
  say "backfill $id: following it (backfill-worker status $id --wait)"
  OURA_LOG_LEVEL=warn "$bin/backfill-worker" status "$id" --wait --interval 2 || die "backfill $id ended with failed chunks: backfill-worker status $id"
done

say "one poller pass (it also ensures the webhook subscriptions through Oura's handshake)"
OURA_LOG_LEVEL=info "$bin/poller" 2>"$demo/logs/poller.log" || { tail -5 "$demo/logs/poller.log"; die "the poller failed"; }
python3 - "$demo/logs/poller.log" <<'PY'
import json, sys
line = [json.loads(l) for l in open(sys.argv[1]) if '"poller run finished"' in l][-1]
print(f"demo: poller: {line['inserted']} inserted, {line['updated']} updated, {line['unchanged']} unchanged, "
      f"{line['deleted']} deleted, {line['failures']} failures in {line['duration_seconds']:.1f} s")
PY

if [ "$real_oura" = 0 ]; then
  say "the simulator changes two documents and delivers signed webhooks"
  for who in 0 1; do
    uid=$(curl -fsS "$sim_url/_sim/users" | python3 -c "import json,sys; print(json.load(sys.stdin)[$who]['user_id'])")
    doc=$(curl -fsS "$sim_url/_sim/truth/$uid/daily_readiness" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][-1]["id"])')
    curl -fsS -X POST "$sim_url/_sim/documents/$uid/daily_readiness/$doc/revise" >/dev/null
  done
  curl -fsS -X POST "$sim_url/_sim/webhooks/flush" >/dev/null || say "some deliveries are still being retried"
  delivered=$(curl -fsS "$sim_url/_sim/deliveries" | python3 -c 'import json,sys; d=json.load(sys.stdin); d=d.get("deliveries", d) if isinstance(d, dict) else d; print(sum(1 for x in d if x.get("outcome") == "delivered"))')
  say "$delivered webhook deliveries acknowledged by ingest-webhook (each committed before its 2xx)"
fi

# ---------------------------------------------------------------------------------------------
# What to open.

login_code=$("$bin/oura-admin" status-link --ttl 10m)
status_url="http://127.0.0.1:$query_port/status"
cat <<EOF

  ── The platform is running ──────────────────────────────────────────────────────────────
  Status page (this link logs you in once, for 10 minutes; then use the read token):
      $status_url/login?code=$login_code
  Read API (read token in $demo/secrets/read.token):
      curl -H "Authorization: Bearer \$(cat $demo/secrets/read.token)" "http://127.0.0.1:$query_port/api/daily_summaries?start=$(date -u -d '-7 days' +%F)&end=$(date -u +%F)"
      curl -H "Authorization: Bearer \$(cat $demo/secrets/read.token)" -X POST "http://127.0.0.1:$query_port/api/sql" \\
           -d '{"sql":"SELECT day, readiness_score FROM oura.daily_summaries ORDER BY day DESC LIMIT \$1","params":[7]}'
      curl -H "Authorization: Bearer \$(cat $demo/secrets/read.token)" "http://127.0.0.1:$query_port/api/export?resource=heartrate&format=csv&start=$(date -u -d '-2 days' +%F)&end=$(date -u +%F)" -o hr.csv
  Metrics:  http://127.0.0.1:$webhook_port/metrics  http://127.0.0.1:$query_port/metrics  http://127.0.0.1:$backfill_port/metrics
  Backfills:  OURA_DATABASE_URL='$OURA_DATABASE_URL' $bin/backfill-worker list
  Grafana: add a PostgreSQL datasource host 127.0.0.1:$port, database oura, user oura_grafana (no
      password, TLS off), or use deploy/grafana/ (provisioning) with the dashboards in dashboards/.
  SQL:  psql "postgresql://oura_grafana@127.0.0.1:$port/oura"
  Logs: $demo/logs/
  ──────────────────────────────────────────────────────────────────────────────────────────
EOF

# The status page as a script sees it: how many user × resource pairs are fresh.
curl -fsS -H "Authorization: Bearer $read_token" "$status_url?fragment=1" >"$demo/status.html" || die "the status page did not answer"
count() { { grep -o "$1" "$demo/status.html" || true; } | wc -l; }
say "status page: $(count 'class="freshness ok"') user × resource pairs fresh, $(count 'class="freshness \(late\|stale\)"') late or stale"
if [ "$exit_after_sync" = 1 ]; then
  say "exiting (--exit-after-sync); the status page is saved in $demo/status.html"
  exit 0
fi
say "running until Ctrl-C"
while :; do sleep 3600 & wait $!; done
