#!/usr/bin/env bash
# Benchmark: every dashboard panel's query against 5 people x 5 years, filled through the real
# simulator and one real poller pass, connected as a member of oura_reader with Grafana's macros
# expanded (tests/dashboards/grafana_sql.py). For each panel: p50 and p95 over every person, both
# ranges (last 30 days, last year) and REPEAT runs each, timed by psql's \timing inside one session
# (connection set-up excluded). Figures: the worst panel's p95 and the p95 across the panels' p95s
# (target ≤ 100 ms), and the panels over 100 ms. Never fails on timing.
# Usage: bench/dashboards_bench.sh [USERS] [DAYS] [REPEAT] (or through bench/run; quick: 1 x 30, 2 runs)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
if [ "$BENCH_QUICK" = 1 ]; then
  users=${1:-1} days=${2:-30} repeat=${3:-2}
else
  users=${1:-5} days=${2:-1825} repeat=${3:-10}
fi
bench_init
bench_pg

t0=$(bench_now)
PYTHONDONTWRITEBYTECODE=1 python3 "$bench_root/tests/dashboards/seed.py" "$bench_pg_state" "$BENCH_BIN" bench_dashboards "$users" "$days" >/dev/null
t_seed=$(bench_since "$t0")
rows=$(psql -XAtq "$BENCH_PG/bench_dashboards" \
  -c "SELECT (SELECT count(*) FROM oura.heart_rate_samples) || ' heart-rate samples, ' || (SELECT count(*) FROM oura.daily_summaries) || ' days, ' || (SELECT count(*) FROM oura.sleep_samples) || ' sleep samples'")
echo "dashboards bench: $users people x $days days ($rows), seeded in $t_seed s; $repeat runs per person and range"
PYTHONDONTWRITEBYTECODE=1 python3 "$bench_root/tests/dashboards/dashboards_test.py" bench "$bench_pg_state" bench_dashboards "$repeat" \
  | tee "$bench_work/panels.txt"
if grep -q '^FAIL' "$bench_work/panels.txt"; then echo "dashboards bench: a panel's query failed" >&2; exit 1; fi

# One line per panel: "p95 p50  file: title", slowest first.
read -r n worst worst_name p95_all over < <(python3 - "$bench_work/panels.txt" <<'PY'
import re, sys
rows = [(float(m[1]), m[3]) for m in (re.match(r"\s*([\d.]+)\s+([\d.]+)\s+(.*)", l) for l in open(sys.argv[1])) if m]
p95s = sorted(r[0] for r in rows)
worst = max(rows)
print(len(rows), worst[0], worst[1].replace(" ", "_")[:60], p95s[min(len(p95s) - 1, int(len(p95s) * 0.95))],
      sum(1 for v in p95s if v > 100))
PY
)
scale="$users $([ "$users" = 1 ] && echo person || echo people) × $days days"
figure "slowest panel p95, $scale" "$worst" ms target_max=100 note="${worst_name//_/ }"
figure "p95 across panels, $scale" "$p95_all" ms target_max=100 note="the 95th percentile of the $n panels' p95s"
figure "panels over 100 ms at p95, $scale" "$over" panels target_max=0 note="of $n panels"
