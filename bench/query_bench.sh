#!/usr/bin/env bash
# Benchmark: query-api over a database filled through the real simulator and one real poller pass
# (tests/dashboards/seed.py), in one invocation:
#   1. POST /api/sql for every dashboard panel's query (Grafana's macros expanded for the first
#      person, last 30 days; cache off, so every request runs the gateway's whole recipe) against
#      the same statement sent directly by psql (libpq) in one session as oura_reader: per panel
#      p50 of REPEAT runs each; the figure is the median over panels of (api p50 − psql p50),
#      target ≤ 1 ms, and the worst panel's overhead;
#   2. GET /api/export of every heart-rate sample as CSV: rows/s against psql \copy of the same rows;
#   3. query-api's RSS idle and after the load.
# Prints FIGURE lines (bench/lib.sh); never fails on timing. BENCH_QUICK=1: 1 person × 30 days, 3 runs.
# Usage: bench/query_bench.sh [DAYS] [REPEAT] (or through bench/run)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
if [ "$BENCH_QUICK" = 1 ]; then days=${1:-30} repeat=${2:-3}; else days=${1:-365} repeat=${2:-20}; fi
bench_init
bench_pg

t0=$(bench_now)
PYTHONDONTWRITEBYTECODE=1 python3 "$bench_root/tests/dashboards/seed.py" "$bench_pg_state" "$BENCH_BIN" bench_query 1 "$days" >/dev/null
echo "query bench: 1 person × $days days seeded in $(bench_since "$t0") s"
psql -qX "$BENCH_PG/bench_query" -c "CREATE ROLE bench_sql LOGIN IN ROLE oura_sql"
sql_url="postgresql://bench_sql@127.0.0.1:$PGPORT/bench_query"

token=$(openssl rand -hex 24)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
OURA_DATABASE_URL=$BENCH_PG/bench_query OURA_QUERY_SQL_DATABASE_URL=$sql_url OURA_QUERY_READ_TOKENS=$token \
  OURA_HTTP_PORT=$port OURA_HTTP_ADDRESS=127.0.0.1 OURA_QUERY_CACHE_BYTES=0 OURA_QUERY_RATE_LIMIT_PER_MINUTE=1000000 \
  OURA_CLIENT_ID=bench OURA_CLIENT_SECRET=bench-secret OURA_TOKEN_ENCRYPTION_KEY=$(openssl rand -hex 32) OURA_LOG_LEVEL=warn \
  "$BENCH_BIN/query-api" 2>"$bench_work/query-api.log" &
api_pid=$!
bench_pids+=("$api_pid")
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$bench_work/query-api.log" >&2; exit 1; }
sleep 1
rss_idle=$(bench_rss_kib "$api_pid")

# 1. /api/sql vs psql, per panel.
read -r n overhead worst worst_name api_p50 < <(PYTHONDONTWRITEBYTECODE=1 python3 - "$sql_url" "$port" "$token" "$repeat" "$bench_root" <<'PY'
import http.client, json, re, statistics, subprocess, sys, time
from datetime import datetime, timezone
sys.path.insert(0, sys.argv[5] + "/tests/dashboards")
import dashboards_test as dt, grafana_sql
dsn, port, token, repeat = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
r = subprocess.run(["psql", "-XAtq", dsn, "-c", "SET ROLE oura_reader", "-c", "SELECT min(user_id) FROM oura.users"],
                   capture_output=True, text=True, check=True)
user = r.stdout.split()[-1]
now = datetime.now(timezone.utc)
conn = http.client.HTTPConnection("127.0.0.1", port)
head = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
out = []
for file, d in dt.load().items():
    for p in dt.panels(d):
        t_from, t_to = dt.panel_range(p, "now-30d", now)
        sql = grafana_sql.interpolate(p["targets"][0]["rawSql"], {"user": user}, t_from, t_to)
        body = json.dumps({"sql": sql})
        api = []
        for _ in range(repeat + 1):
            t = time.perf_counter()
            conn.request("POST", "/api/sql", body, head)
            resp = conn.getresponse()
            data = resp.read()
            api.append((time.perf_counter() - t) * 1000)
            if resp.status != 200:
                print(f"FAIL {file} {p['title']}: {resp.status} {data[:200]!r}", file=sys.stderr)
                sys.exit(1)
        script = ["SET ROLE oura_reader;", "\\o /dev/null", "\\timing on"] + [sql.rstrip().rstrip(";") + ";"] * (repeat + 1)
        r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", dsn], input="\n".join(script),
                           capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL psql {file} {p['title']}: {r.stderr.strip()}", file=sys.stderr)
            sys.exit(1)
        direct = [float(m) for m in re.findall(r"Time: ([\d.]+) ms", r.stdout)]
        a, b = statistics.median(api[1:]), statistics.median(direct[1:])  # the first of each warms up
        out.append((a - b, a, b, f"{file[:-5]}: {p['title']}"))
out.sort(reverse=True)
for o, a, b, name in out:
    print(f"{o:8.2f} {a:8.2f} {b:8.2f}  {name}", file=sys.stderr)
print(len(out), round(statistics.median(o[0] for o in out), 3), round(out[0][0], 3), out[0][3].replace(" ", "_")[:60],
      round(statistics.median(o[1] for o in out), 3))
PY
)
figure "sql overhead p50" "$overhead" ms target_max=1 \
  note="median over $n panels of /api/sql p50 − psql p50, $repeat runs each, cache off"
figure "sql overhead p50, worst panel" "$worst" ms note="${worst_name//_/ }"
figure "/api/sql p50, median panel" "$api_p50" ms

# 2. Export: every heart-rate sample of the person as CSV, against psql \copy of the same rows.
user=$(psql -XAtq "$BENCH_PG/bench_query" -c "SELECT min(user_id) FROM oura.users")
start=$(date -u -d "$((days + 2)) days ago" +%Y-%m-%dT00:00:00Z)
end=$(date -u -d tomorrow +%Y-%m-%dT00:00:00Z)
t0=$(bench_now)
curl -fsS -H "Authorization: Bearer $token" -o "$bench_work/export.csv" \
  "http://127.0.0.1:$port/api/export?resource=heartrate&user=$user&start=$start&end=$end&format=csv"
t_export=$(bench_since "$t0")
rss_load=$(bench_rss_kib "$api_pid")
rows=$(($(wc -l <"$bench_work/export.csv") - 1))
t0=$(bench_now)
psql -qX "$BENCH_PG/bench_query" -c "\\copy (SELECT * FROM oura.heart_rate_samples WHERE user_id = $user ORDER BY 1, 2) TO '$bench_work/copy.csv' CSV HEADER"
t_copy=$(bench_since "$t0")
figure "export rows/s, heart rate CSV" "$(python3 -c "print(round($rows / $t_export))")" rows/s better=higher \
  baseline="$(python3 -c "print(round($rows / $t_copy))")" baseline_name="psql \\copy of the same rows" note="$rows rows"

# 3. RSS.
figure "query-api RSS idle" "$(python3 -c "print(round($rss_idle / 1024, 1))")" MiB target_max=30
figure "query-api RSS after load" "$(python3 -c "print(round($rss_load / 1024, 1))")" MiB target_max=30 \
  note="after every panel through /api/sql and the export"
