#!/usr/bin/env bash
# The main job on one machine: a private PostgreSQL cluster (kept in .demo/ between runs), the
# built-in Oura simulator — or your own account when OURA_ACCESS_TOKEN/OURA_REFRESH_TOKEN and
# OURA_CLIENT_ID/OURA_CLIENT_SECRET are set — the schema, the users, one poller pass, and a look
# at what landed.
#   deploy/demo.sh          run (again: a second pass only fetches what changed)
#   deploy/demo.sh stop     stop the demo's PostgreSQL
#   deploy/demo.sh reset    stop it and delete .demo/
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
demo=$root/.demo
pgbin=/usr/lib/postgresql/15/bin
port=${OURA_DEMO_PORT:-54329}

as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_running() { [ -f "$demo/pg/postmaster.pid" ] && as_postgres "$pgbin/pg_ctl" -D "$demo/pg" status >/dev/null 2>&1; }

case "${1:-run}" in
  stop)  pg_running && as_postgres "$pgbin/pg_ctl" -D "$demo/pg" -m fast stop >/dev/null; echo "demo: PostgreSQL stopped"; exit 0 ;;
  reset) pg_running && as_postgres "$pgbin/pg_ctl" -D "$demo/pg" -m fast stop >/dev/null; rm -rf "$demo"; echo "demo: removed .demo/"; exit 0 ;;
  run) ;;
  *) echo "usage: deploy/demo.sh [run|stop|reset]" >&2; exit 2 ;;
esac

bash deploy/install-deps.sh
echo "demo: building (release preset; the first build takes a few minutes)"
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target oura-migrate oura-sim oura-admin poller
bin=$root/build/release/bin

mkdir -p "$demo"
chmod 755 "$demo"
if [ ! -d "$demo/pg" ]; then
  mkdir -p "$demo/pg"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$demo/pg"
  as_postgres "$pgbin/initdb" -D "$demo/pg" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
fi
if ! pg_running; then
  as_postgres "$pgbin/pg_ctl" -D "$demo/pg" -l "$demo/pg/server.log" -w start \
    -o "-p $port -k /tmp -c listen_addresses=127.0.0.1" >/dev/null
fi
psql -q -X "postgresql://postgres@127.0.0.1:$port/postgres" -tc "SELECT 1 FROM pg_database WHERE datname='oura'" | grep -q 1 \
  || psql -q -X "postgresql://postgres@127.0.0.1:$port/postgres" -c "CREATE DATABASE oura" >/dev/null
export OURA_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/oura"

# The key that seals OAuth tokens at rest; made once, kept beside the demo's data.
if [ ! -s "$demo/token.key" ]; then (umask 077; openssl rand -hex 32 >"$demo/token.key"); fi
export OURA_TOKEN_ENCRYPTION_KEY_FILE=$demo/token.key
export OURA_LOG_LEVEL=${OURA_LOG_LEVEL:-warn}

"$bin/oura-migrate"

sim_pid=""
cleanup() { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

if [ -n "${OURA_ACCESS_TOKEN:-}" ] && [ -n "${OURA_REFRESH_TOKEN:-}" ]; then
  : "${OURA_CLIENT_ID:?set OURA_CLIENT_ID to your Oura application's client id}"
  : "${OURA_CLIENT_SECRET:?set OURA_CLIENT_SECRET to your Oura application's client secret}"
  echo "demo: using your Oura account"
  # printf is a shell builtin: the tokens go through a pipe, never onto a command line (ps).
  printf '%s\n%s\n' "$OURA_ACCESS_TOKEN" "$OURA_REFRESH_TOKEN" | "$bin/oura-admin" users add --tokens-file -
  days=${OURA_DEMO_DAYS:-30}
else
  echo "demo: using the simulator (3 users, 90 days; set OURA_ACCESS_TOKEN and OURA_REFRESH_TOKEN for your own ring)"
  coproc SIM { exec "$bin/oura-sim" --port 0 --users 3 --days 90 --seed 1 2>"$demo/oura-sim.log"; }
  sim_pid=$SIM_PID
  read -r sim_url <&"${SIM[0]}"
  export OURA_API_BASE_URL=$sim_url OURA_AUTH_BASE_URL=$sim_url
  export OURA_CLIENT_ID=oura-sim-client OURA_CLIENT_SECRET=oura-sim-secret
  for id in $(curl -fsS "$sim_url/_sim/users" | python3 -c 'import json,sys; print(" ".join(u["user_id"] for u in json.load(sys.stdin)))'); do
    # The token endpoint's JSON answer goes in as it comes, through a pipe.
    curl -fsS -X POST "$sim_url/_sim/users/$id/token" | "$bin/oura-admin" users add --tokens-file - >/dev/null
  done
  days=91
fi

echo "demo: one poller pass over the last $days days"
start=$(date +%s.%N)
OURA_LOG_LEVEL=info "$bin/poller" --days "$days" 2>"$demo/poller.log" || { tail -5 "$demo/poller.log"; exit 1; }
elapsed=$(python3 -c "print(round($(date +%s.%N) - $start, 1))")
python3 - "$demo/poller.log" "$elapsed" <<'PY'
import json, sys
line = [json.loads(l) for l in open(sys.argv[1]) if '"poller run finished"' in l][-1]
print(f"demo: poller finished in {sys.argv[2]} s: {line['inserted']} inserted, {line['updated']} updated, "
      f"{line['unchanged']} unchanged, {line['deleted']} deleted, {line['failures']} failures")
PY

"$bin/oura-admin" users list
psql -X -q "$OURA_DATABASE_URL" <<'SQL'
\echo
\echo 'Last 7 days (oura.daily_summaries):'
SELECT u.user_id AS "user", d.day, d.sleep_score AS sleep, d.readiness_score AS readiness,
       d.activity_score AS activity, d.activity_steps AS steps
  FROM oura.daily_summaries d JOIN oura.users u USING (user_id)
 WHERE d.day > current_date - 7 ORDER BY u.user_id, d.day DESC LIMIT 21;
\echo 'Rows per table:'
SELECT 'oura_documents' AS "table", count(*) FROM oura.oura_documents
UNION ALL SELECT 'heart_rate_samples', count(*) FROM oura.heart_rate_samples
UNION ALL SELECT 'sleep_episodes', count(*) FROM oura.sleep_episodes
UNION ALL SELECT 'sleep_samples', count(*) FROM oura.sleep_samples
UNION ALL SELECT 'workouts', count(*) FROM oura.workouts;
SQL
echo "demo: explore with   psql $OURA_DATABASE_URL"
echo "demo: run again to see a second pass write nothing; 'deploy/demo.sh stop' stops PostgreSQL"
