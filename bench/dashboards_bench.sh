#!/usr/bin/env bash
# Benchmark: every dashboard panel's query against 5 people x 5 years, filled through the real
# simulator and one real poller pass, connected as a member of oura_reader with Grafana's macros
# expanded (tests/dashboards/grafana_sql.py). For each panel: p50 and p95 over every person, both
# ranges (last 30 days, last year) and REPEAT runs each, timed by psql's \timing inside one session
# (connection set-up excluded). Target: p95 <= 100 ms. Prints figures; never fails on timing.
# Usage: bench/dashboards_bench.sh [USERS] [DAYS] [REPEAT]
# BENCH_PRESET=ci reuses the ci build instead of building release (the seeding is slower, the
# query times are PostgreSQL's and do not change).
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-5}
days=${2:-1825}
repeat=${3:-10}
preset=${BENCH_PRESET:-release}

bash deploy/install-deps.sh >/dev/null
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j2 --target oura-migrate oura-sim oura-admin poller >/dev/null
bin=$PWD/build/$preset/bin

work=$(mktemp -d /tmp/oura-dash-bench.XXXXXX)
state=$work/pg.state
cleanup() {
  bash tests/harness/pg_cluster.sh stop "$state" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

bash tests/harness/pg_cluster.sh start "$state" "$bin/oura-migrate" >/dev/null
t0=$(date +%s)
PYTHONDONTWRITEBYTECODE=1 python3 tests/dashboards/seed.py "$state" "$bin" bench_dashboards "$users" "$days" >/dev/null
. "$state"
rows=$(psql -XAtq "postgresql://postgres@127.0.0.1:$PGPORT/bench_dashboards" \
  -c "SELECT (SELECT count(*) FROM oura.heart_rate_samples) || ' heart-rate samples, ' || (SELECT count(*) FROM oura.daily_summaries) || ' days, ' || (SELECT count(*) FROM oura.sleep_samples) || ' sleep samples'")
echo "dashboards bench: $users people x $days days ($rows), seeded in $(( $(date +%s) - t0 )) s; $repeat runs per person and range"
PYTHONDONTWRITEBYTECODE=1 python3 tests/dashboards/dashboards_test.py bench "$state" bench_dashboards "$repeat"
