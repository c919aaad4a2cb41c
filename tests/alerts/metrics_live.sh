#!/usr/bin/env bash
# Every metric an alert rule reads is really exported: each service binary that exists in this
# build is started against a fresh database of the test PostgreSQL and its live /metrics read
# (the poller, a one-shot job, pushes to a real Prometheus Pushgateway, which is then scraped).
# A metric fails the test when the service that should export it is built and does not; a metric
# whose service is not built yet is listed as not checked (the test still passes for it), so the
# output always says what was and was not proven.
#   metrics_live.sh BIN_DIR PG_STATE_FILE "TARGETS"   (TARGETS: the binaries this build has)
set -euo pipefail
bin=${1:?bin dir}
state=${2:?pg state file}
targets=" ${3:?targets of this build} "
built() { [[ "$targets" == *" $1 "* ]]; }
root="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck disable=SC1090
. "$state"   # the cluster's PGPORT (tests/harness/pg_cluster.sh)
admin_url="postgresql://postgres@127.0.0.1:$PGPORT/postgres"
bash "$root/deploy/chart-tools.sh"

work=$(mktemp -d /tmp/oura-alert-metrics.XXXXXX)
db="alerts_metrics_$$"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  psql -q -X "$admin_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
psql -q -X -v ON_ERROR_STOP=1 "$admin_url" -c "CREATE DATABASE $db TEMPLATE oura_template" >/dev/null
db_url="postgresql://postgres@127.0.0.1:$PGPORT/$db"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
# Bounded wait for a URL to answer 200 (a service that never comes up fails the test, with its log).
wait_http() {
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# The environment every service gets: a real database, an Oura origin nothing listens on (no test
# here needs Oura), test secrets.
export OURA_DATABASE_URL="$db_url" OURA_API_BASE_URL="http://127.0.0.1:9" OURA_AUTH_BASE_URL="http://127.0.0.1:9"
export OURA_CLIENT_ID=alerts-test OURA_CLIENT_SECRET=alerts-test-secret OURA_LOG_LEVEL=warn
export OURA_TOKEN_ENCRYPTION_KEY=0000000000000000000000000000000000000000000000000000000000000001
export OURA_WEBHOOK_VERIFICATION_TOKEN=alerts-test-verification
export OURA_QUERY_READ_TOKENS=alerts-test-read-token-01 OURA_QUERY_ADMIN_TOKENS=alerts-test-admin-token-01
export OURA_DISCOVER_COLLECTIONS=false
# query-api's /api/sql login role (a member of oura_sql only), as the harness's cluster creates it.
export OURA_QUERY_SQL_DATABASE_URL="postgresql://oura_test_sql@127.0.0.1:$PGPORT/$db"

declare -A scraped   # service -> file with its exposition text
start_daemon() {      # service, args…
  local svc=$1; shift
  local port; port=$(free_port)
  OURA_HTTP_PORT=$port "$bin/$svc" "$@" >"$work/$svc.log" 2>&1 &
  pids+=($!)
  if ! wait_http "http://127.0.0.1:$port/healthz"; then
    echo "FAIL: $svc did not answer /healthz; its log:"; cat "$work/$svc.log"; return 1
  fi
  # ingest-webhook counts deliveries by outcome: one unsigned delivery makes the family appear.
  [ "$svc" = ingest-webhook ] && curl -s -o /dev/null -X POST -H 'content-type: application/json' \
    --data '{}' "http://127.0.0.1:$port/webhook/oura" || true
  curl -fsS "http://127.0.0.1:$port/metrics" >"$work/$svc.metrics"
  scraped[$svc]="$work/$svc.metrics"
  echo "scraped $svc: $(grep -c '^oura_' "$work/$svc.metrics" || true) oura_ samples"
}

if built backfill-worker; then start_daemon backfill-worker run; fi
if built ingest-webhook; then start_daemon ingest-webhook; fi
if built poller; then
  gw_port=$(free_port)
  prometheus-pushgateway --web.listen-address="127.0.0.1:$gw_port" >"$work/pushgateway.log" 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$gw_port/-/ready" || { echo "FAIL: the Pushgateway did not start"; cat "$work/pushgateway.log"; exit 1; }
  # One simulated user, so the run really calls Oura (the oura_api_* families get samples).
  if built oura-sim && built oura-admin; then
    "$bin/oura-sim" --users 1 --days 2 --client-id "$OURA_CLIENT_ID" --client-secret "$OURA_CLIENT_SECRET" \
      >"$work/sim.out" 2>"$work/sim.log" &
    pids+=($!)
    for _ in $(seq 1 100); do [ -s "$work/sim.out" ] && break; sleep 0.1; done
    sim_url=$(head -1 "$work/sim.out")
    export OURA_API_BASE_URL="$sim_url" OURA_AUTH_BASE_URL="$sim_url"
    curl -fsS -X POST "$sim_url/_sim/users/0/token" >"$work/token.json"
    "$bin/oura-admin" users add --tokens-file "$work/token.json" >"$work/admin.log" 2>&1 ||
      { echo "FAIL: oura-admin users add; its log:"; cat "$work/admin.log"; exit 1; }
  fi
  OURA_PUSHGATEWAY_URL="http://127.0.0.1:$gw_port" "$bin/poller" --days 1 >"$work/poller.log" 2>&1 ||
    { echo "FAIL: the poller run failed; its log:"; cat "$work/poller.log"; exit 1; }
  curl -fsS "http://127.0.0.1:$gw_port/metrics" | grep -v '^push_\|^pushgateway_\|^go_\|^process_' >"$work/poller.metrics"
  scraped[poller]="$work/poller.metrics"
  echo "scraped poller (through the Pushgateway): $(grep -c '^oura_' "$work/poller.metrics" || true) oura_ samples"
fi

# query-api derives its gauges from the database: give it what a running platform has (the
# poller's user with its token and sync state above, a queued job, a webhook subscription) so every
# labelled series exists, then scrape it.
if built query-api; then
  psql -q -X -v ON_ERROR_STOP=1 "$db_url" >/dev/null <<'SQL'
INSERT INTO oura.jobs (kind, payload) VALUES ('backfill_chunk', '{}');
INSERT INTO oura.webhook_subscriptions (id, callback_url, event_type, data_type, expiration_time)
VALUES ('alerts-test-subscription', 'https://example.org/webhook/oura', 'create', 'sleep', now() + interval '30 days');
SQL
  start_daemon query-api
fi

pass=0 fail=0 unchecked=()
while IFS=$'\t' read -r metric service labels; do
  if [ "$service" = prometheus ]; then
    echo "ok   $metric (Prometheus's own)"; continue
  fi
  if [ "$service" = unknown ]; then
    echo "FAIL: $metric is read by an alert but no service is meant to export it (tests/alerts/rules_test.mjs)"
    fail=$((fail + 1)); continue
  fi
  # Several services may export one metric (every Oura caller has oura_api_*); a counter with
  # labels shows only once something was counted, so an idle daemon may not have it yet. Some built
  # service must export it, and every one that does must carry the labels the rule matches on.
  built=0 found=0
  for svc in ${service//,/ }; do
    file=${scraped[$svc]:-}
    [ -z "$file" ] && continue
    built=1
    # A sample line or a TYPE line: a family with no children yet still declares itself.
    grep -Eq "^${metric}(\{| )|^# TYPE ${metric} " "$file" || continue
    found=1
    # The labels the rule matches on must be on the samples (when there are samples yet).
    missing=""
    if grep -Eq "^${metric}(\{| )" "$file"; then
      for l in ${labels//,/ }; do grep -Eq "^${metric}\{(.*[,{])?${l}=" "$file" || missing+=" $l"; done
    fi
    if [ -n "$missing" ]; then
      echo "FAIL: $metric from $svc has no label(s)$missing, which an alert matches on"; fail=$((fail + 1))
    else
      echo "ok   $metric exported by $svc${labels:+ with label(s) $labels}"; pass=$((pass + 1))
    fi
  done
  if [ "$built" -eq 1 ] && [ "$found" -eq 0 ]; then
    echo "FAIL: $metric is read by an alert but none of $service exports it"; fail=$((fail + 1))
  fi
  [ "$built" -eq 0 ] && unchecked+=("$metric (${service} not built yet)")
done < <(node "$root/tests/alerts/rules_test.mjs" metrics)

for u in "${unchecked[@]}"; do echo "not checked: $u"; done
echo "${#unchecked[@]} metric(s) not checked because their service is not built yet"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
