"""Seeds a database of the run's PostgreSQL cluster the way a person's would fill: the real
oura-sim serves N users x D days, `oura-admin users add` registers each with a fresh token pair,
and one real `poller --days D+1` pass copies everything. Used by the dashboard query test (2 x 400)
and by bench/dashboards_bench.sh (5 x 5 years).

Nothing here writes rows itself: what the dashboards read is what the platform wrote.
"""

import json
import os
import shlex
import subprocess
import sys
import urllib.request

TEST_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"  # tests only
READER_ROLE = "oura_test_reader"


def cluster_port(state_file):
    with open(state_file) as f:
        for line in f:
            if line.startswith("PGPORT="):
                return line.strip().split("=", 1)[1]
    raise RuntimeError(f"PGPORT missing from {state_file}")


def url(port, db, role="postgres"):
    return f"postgresql://{role}@127.0.0.1:{port}/{db}"


def psql(dsn, sql, *extra):
    """Runs SQL through psql; raises with psql's message on any error."""
    r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", *extra, dsn, "-c", sql],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"psql failed: {r.stderr.strip()}\n  SQL: {sql[:400]}")
    return r.stdout


def create_database(port, name):
    """A migrated database cloned from the template, with the template's database grants (a clone
    does not copy them; see tests/harness/harness.cpp)."""
    admin = url(port, "postgres")
    psql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(admin, f'CREATE DATABASE "{name}" TEMPLATE oura_template')
    psql(admin, "UPDATE pg_database SET datacl = (SELECT datacl FROM pg_database WHERE datname = 'oura_template') "
                f"WHERE datname = '{name}'")
    # Grafana's login role as docs/grafana.md sets it up: LOGIN, nothing of its own, member of
    # oura_reader. Roles are cluster-wide; a concurrent creator is tolerated.
    psql(admin, f"""DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{READER_ROLE}') THEN
            CREATE ROLE {READER_ROLE} LOGIN IN ROLE oura_reader;
        END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$""")


def drop_database(port, name):
    try:
        psql(url(port, "postgres"), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except RuntimeError:
        pass


def _get(base, path, method="GET"):
    req = urllib.request.Request(base + path, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.read()


def seed(port, db, bin_dir, users, days, progress=print):
    """Fills database `db` through the simulator and one poller pass. Returns the simulator's
    today (YYYY-MM-DD): the last day with data."""
    sim = subprocess.Popen([os.path.join(bin_dir, "oura-sim"), "--port", "0", "--users", str(users),
                            "--days", str(days), "--seed", "1", "--time-of-day", "23:59:59"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        base = sim.stdout.readline().strip()
        if not base.startswith("http"):
            raise RuntimeError(f"oura-sim did not print its URL (got {base!r})")
        env = dict(os.environ)
        env.update({
            # The services' role, as in production (member of oura_writer only).
            "OURA_DATABASE_URL": url(port, db, "oura_test_writer"),
            "OURA_API_BASE_URL": base, "OURA_AUTH_BASE_URL": base,
            "OURA_CLIENT_ID": "oura-sim-client", "OURA_CLIENT_SECRET": "oura-sim-secret",
            "OURA_TOKEN_ENCRYPTION_KEY": TEST_KEY, "OURA_LOG_LEVEL": "warn", "OURA_HTTP_TIMEOUT": "30s",
        })
        today = json.loads(_get(base, "/_sim/clock"))["today"]
        # Noon UTC of the simulator's today: every simulated user (UTC-8 to UTC+9) is on that day.
        env["OURA_NOW"] = today + "T12:00:00Z"
        for u in json.loads(_get(base, "/_sim/users")):
            tokens = _get(base, f"/_sim/users/{u['user_id']}/token", "POST")
            r = subprocess.run([os.path.join(bin_dir, "oura-admin"), "users", "add", "--tokens-file", "-"],
                               input=tokens, capture_output=True, env=env)
            if r.returncode != 0:
                raise RuntimeError(f"oura-admin users add exited {r.returncode}: {r.stderr.decode()}")
        progress(f"seed: {users} users registered; poller --days {days + 1} ...")
        r = subprocess.run([os.path.join(bin_dir, "poller"), "--days", str(days + 1)],
                           capture_output=True, text=True, env=env)
        if r.returncode != 0:
            raise RuntimeError(f"poller exited {r.returncode}: {r.stderr[-3000:]}")
        # Planner statistics, as autovacuum would gather them shortly after a big load.
        psql(url(port, db), "ANALYZE")
        return today
    finally:
        sim.terminate()
        sim.wait(timeout=30)


if __name__ == "__main__":
    # seed.py STATE_FILE BIN_DIR DB USERS DAYS: for benchmarks and by hand.
    state, bin_dir, db, users, days = sys.argv[1:6]
    port = cluster_port(state)
    create_database(port, db)
    print("seeded up to", seed(port, db, bin_dir, int(users), int(days)))
    print("reader URL:", shlex.quote(url(port, db, READER_ROLE)))
