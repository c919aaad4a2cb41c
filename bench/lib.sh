# Shared by every bench/*_bench.sh (sourced, not run): where the binaries are, a private
# PostgreSQL cluster, the simulator, clocks, and how a figure is reported to bench/run.
#
# A script reports each figure with `figure`; bench/run collects those lines from every run,
# takes medians and writes bench/REPORT.md. Run alone, a script prints the same lines, readable.
#
# Environment bench/run sets (a script run alone gets the defaults):
#   BENCH_BIN    the binaries to measure (default: build/release/bin, built here when missing)
#   BENCH_QUICK  1 = small sizes, to check the script works (CI), never to compare timings
#   BENCH_LOGS   a folder the services' logs (every *.log of the scratch folder) are copied to on exit
set -euo pipefail

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_QUICK=${BENCH_QUICK:-0}

# Builds the release binaries unless bench/run (or the caller) already points BENCH_BIN at a build.
bench_binaries() {
  if [ -z "${BENCH_BIN:-}" ]; then
    (cd "$bench_root" && bash deploy/install-deps.sh >/dev/null &&
      cmake --preset release >/dev/null && cmake --build --preset release -j"$(nproc)" >/dev/null)
    BENCH_BIN=$bench_root/build/release/bin
  fi
  export BENCH_BIN
}

bench_work=""
bench_pg_state=""
bench_pids=()
bench_cleanup() {
  local pid
  for pid in "${bench_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${bench_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "${BENCH_LOGS:-}" ] && [ -n "$bench_work" ] && compgen -G "$bench_work/*.log" >/dev/null; then
    mkdir -p "$BENCH_LOGS" && cp "$bench_work"/*.log "$BENCH_LOGS"/ || true
  fi
  [ -n "$bench_pg_state" ] && bash "$bench_root/tests/harness/pg_cluster.sh" stop "$bench_pg_state" >/dev/null 2>&1 || true
  [ -n "$bench_work" ] && rm -rf "$bench_work"
}

# A scratch folder removed on exit, with everything started from here stopped first.
bench_init() {
  bench_binaries
  bench_work=$(mktemp -d /tmp/oura-bench.XXXXXX)
  trap bench_cleanup EXIT
}

# A private cluster with the migrated template; sets BENCH_PG (URL prefix without database).
bench_pg() {
  bench_pg_state=$bench_work/pg.state
  bash "$bench_root/tests/harness/pg_cluster.sh" start "$bench_pg_state" "$BENCH_BIN/oura-migrate" >/dev/null
  # shellcheck disable=SC1090
  . "$bench_pg_state"
  BENCH_PG="postgresql://postgres@127.0.0.1:$PGPORT"
}

# A database cloned from the migrated template.
bench_database() {
  psql -qX "$BENCH_PG/postgres" -c "CREATE DATABASE $1 TEMPLATE oura_template" >/dev/null
  echo "$BENCH_PG/$1"
}

# Starts oura-sim with the given flags; sets BENCH_SIM_URL. Its log goes to $bench_work/sim.log.
bench_sim() {
  local fifo
  fifo=$bench_work/sim.$RANDOM.out
  mkfifo "$fifo"
  "$BENCH_BIN/oura-sim" --port 0 "$@" >"$fifo" 2>"$bench_work/sim.log" &
  bench_pids+=($!)
  read -r BENCH_SIM_URL <"$fifo"
  rm -f "$fifo"
}

# The platform's variables for a binary talking to the simulator and database URL $1.
bench_platform_env() {
  export OURA_DATABASE_URL=$1 OURA_API_BASE_URL=$BENCH_SIM_URL OURA_AUTH_BASE_URL=$BENCH_SIM_URL \
         OURA_CLIENT_ID=oura-sim-client OURA_CLIENT_SECRET=oura-sim-secret OURA_LOG_LEVEL=warn \
         OURA_TOKEN_ENCRYPTION_KEY=${OURA_TOKEN_ENCRYPTION_KEY:-$(openssl rand -hex 32)}
}

# Registers every simulated user with fresh tokens (oura-admin users add), as an operator would.
bench_register_users() {
  local id
  for id in $(curl -fsS "$BENCH_SIM_URL/_sim/users" | python3 -c 'import json,sys; print(" ".join(u["user_id"] for u in json.load(sys.stdin)))'); do
    curl -fsS -X POST "$BENCH_SIM_URL/_sim/users/$id/token" | "$BENCH_BIN/oura-admin" users add --tokens-file - >/dev/null
  done
}

bench_now() { date +%s.%N; }
bench_since() { python3 -c "print(round($(date +%s.%N) - $1, 4))"; }

# Runs CMD (its stdout joins its stderr) and prints "SECONDS PEAK_RSS_KIB": its wall time, timed
# around the child alone, and its peak resident set size. Fails as the command does.
bench_run_measured() {  # bench_run_measured CMD...
  python3 -c '
import resource, subprocess, sys, time
t = time.monotonic()
rc = subprocess.call(sys.argv[1:], stdout=sys.stderr)
took = time.monotonic() - t
print(round(took, 4), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)' "$@"
}

# Resident set size of a process in KiB.
bench_rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# figure NAME VALUE UNIT [key=value …]
#   better=lower|higher (default lower)     baseline=VALUE baseline_name=TEXT
#   target_ratio=R   value/baseline (lower) or baseline/value (higher) must be ≤ R
#   target_max=X / target_min=X              absolute bound
#   note=TEXT                                what was measured, in a few words
figure() {
  python3 - "$@" <<'PY'
import json, sys
name, value, unit, *rest = sys.argv[1:]
f = {"name": name, "value": float(value), "unit": unit}
for kv in rest:
    k, _, v = kv.partition("=")
    f[k] = float(v) if k in ("baseline", "target_ratio", "target_max", "target_min") else v
print("FIGURE " + json.dumps(f, ensure_ascii=False), flush=True)
PY
}
