#!/usr/bin/env bash
# Benchmark: signed webhook deliveries per second into ingest-webhook at 64 keep-alive
# connections, each answered only after its inbox row and job committed (group commit), with
# p50/p99 latency; baseline in the same invocation: the same inbox + job insert committed once per
# transaction by pgbench (custom script) at the same concurrency. Unlike the test cluster this one
# runs with fsync and synchronous_commit on: commit cost is what group commit saves.
# Prints FIGURE lines (bench/lib.sh); never fails on timing. BENCH_QUICK=1: 2 s, 8 connections.
# Usage: bench/webhook_bench.sh [SECONDS] [CONNECTIONS] (or through bench/run)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
if [ "$BENCH_QUICK" = 1 ]; then seconds=${1:-2} conns=${2:-8}; else seconds=${1:-10} conns=${2:-64}; fi
bench_init
bin=$BENCH_BIN
work=$bench_work

g++ -O2 -std=c++20 -pthread "$bench_root/bench/webhook_load.cpp" -o "$work/webhook_load" -lcrypto

bench_pg
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
# Restart durable: fsync and synchronous_commit back to their defaults (on).
as_postgres /usr/lib/postgresql/15/bin/pg_ctl -D "$PGDIR/data" -l "$PGDIR/server.log" -w -m fast restart \
  -o "-p $PGPORT -k $PGDIR -c listen_addresses=127.0.0.1 -c max_connections=300" >/dev/null
base=$BENCH_PG
psql -qX "$base/postgres" -c "CREATE DATABASE bench_edge TEMPLATE oura_template" -c "CREATE DATABASE bench_pgbench TEMPLATE oura_template"
for db in bench_edge bench_pgbench; do
  psql -qX "$base/$db" -c "INSERT INTO oura.users (oura_user_id) VALUES ('bench-user')"
done
echo "PostgreSQL: fsync=$(psql -tAX "$base/postgres" -c 'SHOW fsync'), synchronous_commit=$(psql -tAX "$base/postgres" -c 'SHOW synchronous_commit')"

export OURA_DATABASE_URL="$base/bench_edge" OURA_CLIENT_ID=bench OURA_CLIENT_SECRET=bench-secret \
       OURA_TOKEN_ENCRYPTION_KEY=$(openssl rand -hex 32) OURA_WEBHOOK_VERIFICATION_TOKEN=bench-verification-token \
       OURA_LOG_LEVEL=error OURA_WEBHOOK_WORKERS=0 OURA_HTTP_ADDRESS=127.0.0.1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
OURA_HTTP_PORT=$port "$bin/ingest-webhook" 2>"$work/edge.log" &
edge_pid=$!
bench_pids+=("$edge_pid")
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
rss() { python3 -c "print(round($(bench_rss_kib "$edge_pid") / 1024, 1))"; }
rss_idle=$(rss)

"$work/webhook_load" 127.0.0.1 "$port" "$conns" "$([ "$BENCH_QUICK" = 1 ] && echo 0.5 || echo 2)" bench-secret bench-user >/dev/null  # warm-up
( sleep "$(python3 -c "print($seconds/2)")"; rss >"$work/rss_load" ) &
rss_pid=$!
load=$("$work/webhook_load" 127.0.0.1 "$port" "$conns" "$seconds" bench-secret bench-user)
echo "ingest-webhook, $conns keep-alive connections, ${seconds}s: $load"
wait "$rss_pid"
rss_load=$(cat "$work/rss_load")
field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }
rows=$(psql -tAX "$base/bench_edge" -c "SELECT count(*) FROM oura.webhook_inbox i JOIN oura.jobs j ON j.id = i.job_id")
echo "  inbox rows with their job: $rows; group commits: $(curl -fsS "http://127.0.0.1:$port/metrics" | awk '/^oura_webhook_commit_batch_size_count/ {print $2}')"

cat >"$work/delivery.sql" <<'SQL'
\set n random(1, 2000000000)
BEGIN;
INSERT INTO oura.webhook_inbox (event_type, data_type, object_id, event_time, oura_user_id, body)
  VALUES ('create', 'sleep', 'pgbench-' || :client_id || '-' || :n, '2026-01-01T00:00:00Z', 'bench-user',
          '{"event_type":"create","data_type":"sleep","object_id":"x","event_time":"2026-01-01T00:00:00+00:00","user_id":"bench-user"}')
  ON CONFLICT ON CONSTRAINT webhook_inbox_delivery_key DO NOTHING RETURNING id AS inbox_id \gset
INSERT INTO oura.jobs (kind, user_id, payload, priority)
  SELECT 'webhook_event', user_id, jsonb_build_object('inbox_id', :inbox_id), 10 FROM oura.users WHERE oura_user_id = 'bench-user'
  RETURNING id AS job_id \gset
UPDATE oura.webhook_inbox SET job_id = :job_id WHERE id = :inbox_id;
COMMIT;
SQL
(cd "$work" && pgbench -n -c "$conns" -j 2 -T "$seconds" -f delivery.sql -l --log-prefix=pgb "$base/bench_pgbench" >"$work/pgbench.out" 2>&1) || cat "$work/pgbench.out"
tps=$(awk '/^tps/ {print int($3)}' "$work/pgbench.out" | head -1)
pcts=$(cat "$work"/pgb.* | python3 -c '
import sys
lat = sorted(int(l.split()[2]) / 1000.0 for l in sys.stdin if l.strip())
print("p50_ms=%.2f p99_ms=%.2f" % (lat[len(lat)//2], lat[min(len(lat)-1, int(len(lat)*0.99))]))')
echo "pgbench baseline (one commit per delivery), $conns clients, ${seconds}s: per_second=$tps $pcts"
scale="$conns connections, ${seconds} s"
figure "webhook deliveries/s, $scale" "$(field "$load" per_second)" deliveries/s better=higher baseline="$tps" \
  baseline_name="pgbench, one commit per delivery" target_min=5000 note="signed, inbox row + job, group commit, fsync on"
figure "webhook p50, $scale" "$(field "$load" p50_ms)" ms baseline="$(field "$pcts" p50_ms)" baseline_name="pgbench p50"
figure "webhook p99, $scale" "$(field "$load" p99_ms)" ms baseline="$(field "$pcts" p99_ms)" baseline_name="pgbench p99" target_max=25
figure "ingest-webhook RSS idle" "$rss_idle" MiB target_max=30
figure "ingest-webhook RSS under load, $scale" "$rss_load" MiB target_max=30
