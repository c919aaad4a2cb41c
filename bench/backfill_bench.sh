#!/usr/bin/env bash
# Benchmark: backfill-worker over 1 user x 3 years (every resource) against the simulator, and the
# ideals it is measured against, in one invocation:
#   1. zero latency, 1 worker process and 2 worker processes (concurrency 1 each): wall time and
#      rows/s, against plain COPY of the very rows they wrote;
#      (and one process with concurrency C = BENCH_CONCURRENCY, default 8, the floor of the latency
#      scenario below);
#   2. 100 ms added to every Oura answer, one process with concurrency C: wall time against its
#      ideal, requests x latency / C, or the same backfill at zero latency where that is longer (on
#      2 cores the zero-latency run is CPU-bound: no latency can make it faster);
#   3. 10 users x 1 year with the simulator enforcing an application limit (BENCH_LIMIT requests per
#      rolling BENCH_WINDOW s; default 167 per 10 s: Oura's documented 5000 per 5 minutes with the
#      window 30x shorter, so the limit binds within a minute) and the workers' shared budget set
#      to it, 2 processes x 4: wall time against the time the limit alone needs (the last request
#      can go out ceil(requests / limit) - 1 windows after the first), and the 429s;
#   4. the daemon's RSS: its peak during the concurrency-C run, and idle.
# Prints FIGURE lines (bench/lib.sh); never fails on timing. BENCH_QUICK=1: 14 days (2 users limited).
# Usage: bench/backfill_bench.sh [DAYS] (or through bench/run)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
if [ "$BENCH_QUICK" = 1 ]; then days=${1:-14}; else days=${1:-1095}; fi
limit=${BENCH_LIMIT:-167}
window=${BENCH_WINDOW:-10}
conc=${BENCH_CONCURRENCY:-8}
if [ "$BENCH_QUICK" = 1 ]; then limited_users=2 limited_days=14; else limited_users=10 limited_days=365; fi
bench_init
bench_pg
bin=$BENCH_BIN
work=$bench_work
base=$BENCH_PG
now() { bench_now; }
since() { bench_since "$1"; }

start_sim() {  # start_sim USERS DAYS ARGS... ; sets sim_url
  local users=$1 sim_days=$2
  shift 2
  bench_sim --users "$users" --days "$sim_days" --seed 1 "$@"
  sim_url=$BENCH_SIM_URL
}

export OURA_TOKEN_ENCRYPTION_KEY=${OURA_TOKEN_ENCRYPTION_KEY:-$(openssl rand -hex 32)} OURA_INITIAL_BACKFILL_DAYS=0 OURA_HTTP_PORT=0 OURA_BACKFILL_POLL_INTERVAL=200ms

# One database per scenario, the simulator's users registered, the backfill of DAYS queued; sets id.
prepare() {  # prepare DB [DAYS]
  bench_platform_env "$(bench_database "$1")"
  bench_register_users
  id=$("$bin/backfill-worker" enqueue --all --days $((${2:-$days} + 1)) --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
}

scalar() { psql -qXAt "$OURA_DATABASE_URL" -c "$1"; }

# Runs N worker processes (env as exported plus extra) until the backfill ends; echoes seconds.
run_workers() {  # run_workers ID N [VAR=VALUE...]
  local id=$1 n=$2
  shift 2
  local started w=() i
  started=$(now)
  for ((i = 0; i < n; i++)); do
    env OURA_LOG_LEVEL=info "$@" "$bin/backfill-worker" run >/dev/null 2>>"$work/worker-${OURA_DATABASE_URL##*/}.log" &
    w+=($!)
    bench_pids+=($!)
  done
  # Polled every 50 ms by one psql session (\watch): a psql started per poll cost a fifth of the
  # CPU the workers had (status --wait prints at most once a second).
  # Each poll also samples the workers' resident sets (bash reads /proc itself: no process per poll).
  local state peak=0 p k v
  while read -r state && [ "$state" = running ]; do
    for p in "${w[@]}"; do
      while read -r k v _; do [ "$k" = VmRSS: ] && [ "$v" -gt "$peak" ] && peak=$v; done <"/proc/$p/status" || true
    done
  done < <(
    printf 'SELECT state FROM oura.backfills WHERE id = %s \\watch 0.05\n' "$id" | psql -qXAt "$OURA_DATABASE_URL")
  echo "$peak" >"$work/peak-rss-kib"
  [ "$(scalar "SELECT state FROM oura.backfills WHERE id = $id")" = succeeded ] || echo "backfill $id did not succeed" >&2
  since "$started"
  for p in "${w[@]}"; do kill -TERM "$p"; wait "$p" || true; done
}

# Rows in every table a backfill writes.
tables="oura_documents daily_summaries sleep_episodes sleep_samples heart_rate_samples ring_battery_levels workouts sessions enhanced_tags tags rest_mode_periods ring_configurations personal_info"
count_rows() {  # one query: a psql per table costs more than the counting here
  local t sql=""
  for t in $tables; do sql+="${sql:+ + }(SELECT count(*) FROM oura.$t)"; done
  scalar "SELECT $sql"
}

t0=$(now)
start_sim 1 "$days"
t_sim=$(since "$t0")

prepare bench_one
t_one=$(run_workers "$id" 1 OURA_BACKFILL_CONCURRENCY=1)
rows=$(count_rows)
requests=$(scalar "SELECT sum(requests) FROM oura.backfill_chunks")
chunks=$(scalar "SELECT count(*) FROM oura.backfill_chunks")

# The COPY baseline: the rows the first run wrote, loaded into an empty database.
bench_database bench_copy >/dev/null
copy_script=$work/load.sql
echo "\\copy oura.users (user_id, oura_user_id, email, display_name, status, created_at, updated_at) FROM '$work/users.copy'" >"$copy_script"
echo "\\copy (SELECT user_id, oura_user_id, email, display_name, status, created_at, updated_at FROM oura.users) TO '$work/users.copy'" >"$work/dump.sql"
for t in $tables; do
  echo "\\copy (SELECT * FROM oura.$t) TO '$work/$t.copy'" >>"$work/dump.sql"
  echo "\\copy oura.$t FROM '$work/$t.copy'" >>"$copy_script"
done
psql -qX -v ON_ERROR_STOP=1 "$OURA_DATABASE_URL" -f "$work/dump.sql"
psql -qX "$base/bench_copy" -c "ALTER TABLE oura.users ALTER COLUMN user_id SET GENERATED BY DEFAULT"
t0=$(now)
psql -qX -v ON_ERROR_STOP=1 "$base/bench_copy" -f "$copy_script"
t_copy=$(since "$t0")

prepare bench_two
t_two=$(run_workers "$id" 2 OURA_BACKFILL_CONCURRENCY=1)

prepare bench_many
t_many=$(run_workers "$id" 1 OURA_BACKFILL_CONCURRENCY="$conc")
load_rss_kib=$(cat "$work/peak-rss-kib")

prepare bench_latency
curl -fsS -X POST "$sim_url/_sim/faults" -d '{"route":"*","kind":"latency","latency_ms":100}' >/dev/null
t_latency=$(run_workers "$id" 1 OURA_BACKFILL_CONCURRENCY="$conc")
latency_requests=$(scalar "SELECT sum(requests) FROM oura.backfill_chunks")
curl -fsS -X DELETE "$sim_url/_sim/faults" >/dev/null

# Idle RSS: a worker with nothing to do, after it settled.
env OURA_BACKFILL_CONCURRENCY=4 "$bin/backfill-worker" run >/dev/null 2>>"$work/worker.log" &
idle=$!
bench_pids+=($idle)
if [ "$BENCH_QUICK" = 1 ]; then sleep 1; else sleep 3; fi
rss_kib=$(bench_rss_kib "$idle")
kill -TERM "$idle"
wait "$idle" || true

start_sim "$limited_users" "$limited_days" --rate-limit-per-app "$limit/$window"
prepare bench_limited "$limited_days"
curl -fsS -X DELETE "$sim_url/_sim/stats" >/dev/null
t_limited=$(run_workers "$id" 2 OURA_BACKFILL_CONCURRENCY=4 OURA_API_BUDGET_REQUESTS="$limit" OURA_API_BUDGET_WINDOW="${window}s")
limited_requests=$(scalar "SELECT sum(requests) FROM oura.backfill_chunks")
limited_429=$(curl -fsS "$sim_url/_sim/stats" | python3 -c 'import json,sys; r=json.load(sys.stdin)["routes"]; print(sum(v.get("429",0) for v in r.values()))')

scale="1 user × $days days"
limited_scale="$limited_users users × $limited_days days"
read -r bound_latency ideal_latency ideal_limited < <(python3 -c "b = round($latency_requests * 0.100 / $conc, 3); import math; print(b, max(b, $t_many), (math.ceil($limited_requests / $limit) - 1) * $window)")
rate() { python3 -c "print(round($rows / $1))"; }
echo "backfill bench: $scale, every resource: $chunks chunks, $requests Oura requests, $rows rows (simulator ready in $t_sim s)"
figure "backfill, 1 worker × 1, $scale" "$t_one" s baseline="$t_copy" baseline_name="psql COPY of the same $rows rows" \
  note="$chunks chunks, $requests requests, zero latency; one chunk at a time, so one core (no target)"
figure "backfill rows/s, 1 worker × 1, $scale" "$(rate "$t_one")" rows/s better=higher baseline="$(rate "$t_copy")" baseline_name="psql COPY"
figure "backfill, 2 workers × 1, $scale" "$t_two" s baseline="$t_copy" baseline_name="psql COPY of the same rows" target_ratio=1.25
figure "backfill, 1 worker × $conc, $scale" "$t_many" s baseline="$t_copy" baseline_name="psql COPY of the same rows" target_ratio=1.25 \
  note="the floor of the latency scenario"
figure "backfill, 100 ms latency, 1 worker × $conc, $scale" "$t_latency" s baseline="$ideal_latency" \
  baseline_name="ideal: the longer of $latency_requests requests × 0.1 s ÷ $conc = $bound_latency s and the zero-latency run" target_ratio=1.10
figure "backfill, limit $limit per ${window}s, 2 workers × 4, $limited_scale" "$t_limited" s baseline="$ideal_limited" \
  baseline_name="ideal: in a rolling window of $window s the last of $limited_requests requests goes out ⌈$limited_requests ÷ $limit⌉ − 1 windows after the first" target_ratio=1.10
figure "429s after the first, under the limit, $limited_scale" "$((limited_429 > 0 ? limited_429 - 1 : 0))" responses target_max=0 \
  note="the simulator answered $limited_429 429s in all"
figure "backfill-worker RSS under load" "$(python3 -c "print(round($load_rss_kib / 1024, 1))")" MiB note="peak of 1 worker × $conc over the zero-latency backfill, sampled every 50 ms"
figure "backfill-worker idle RSS" "$(python3 -c "print(round($rss_kib / 1024, 1))")" MiB target_max=30 note="concurrency 4, idle"
