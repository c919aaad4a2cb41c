#!/usr/bin/env python3
"""Dashboard tests (ctest label `dashboards`).

    dashboards_test.py structure          uids, ids, schema version, datasource refs, and the linter
    dashboards_test.py macros             the expansion of Grafana's macros, case by case
    dashboards_test.py queries STATE BIN  every panel's SQL against a database the real simulator
                                          and the real poller filled (2 people x 400 days), for the
                                          last 30 days and the last year, connected as a role that
                                          only has oura_reader
    dashboards_test.py bench STATE DB N   per-panel query times (bench/dashboards_bench.sh)

Each prints one line per problem and exits 1 if there is any: a person opening the dashboard would
otherwise see an error or "No data".
"""

import csv
import io
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import grafana_sql  # noqa: E402
import seed  # noqa: E402

DASHBOARD_DIR = os.path.join(ROOT, "dashboards")
DS_TYPE = "grafana-postgresql-datasource"
RANGES = [("last 30 days", "now-30d"), ("last year", "now-1y")]
MIN_DASHBOARDS, MIN_PANELS = 8, 80
# Panels that show numbers need a unit; these kinds show categories or text as well and still get
# one (the linter asks every panel for a unit, as docs/dashboards.md promises).
NUMERIC_KINDS = {"timeseries", "stat", "gauge", "bargauge", "barchart", "piechart", "table", "state-timeline"}


def load():
    out = {}
    for name in sorted(os.listdir(DASHBOARD_DIR)):
        if name.endswith(".json"):
            with open(os.path.join(DASHBOARD_DIR, name), encoding="utf-8") as f:
                out[name] = json.load(f)
    return out


def panels(dash):
    return [p for p in dash["panels"] if p["type"] != "row"]


def normalized(sql):
    return re.sub(r"\s+", " ", sql.strip().lower())


def structure():
    problems = []
    dashes = load()
    if len(dashes) < MIN_DASHBOARDS:
        problems.append(f"{len(dashes)} dashboards, the issue asks for at least {MIN_DASHBOARDS}")
    total = sum(len(panels(d)) for d in dashes.values())
    if total < MIN_PANELS:
        problems.append(f"{total} panels, the issue asks for at least {MIN_PANELS}")
    uids, versions, queries = {}, set(), {}
    for file, d in dashes.items():
        where = f"{file}"
        if not d.get("uid") or not re.fullmatch(r"[a-zA-Z0-9_-]{1,40}", d["uid"]):
            problems.append(f"{where}: uid {d.get('uid')!r} is missing or not a valid Grafana uid")
        if d.get("uid") in uids:
            problems.append(f"{where}: uid {d['uid']} is also used by {uids[d['uid']]}")
        uids[d.get("uid")] = file
        versions.add(d.get("schemaVersion"))
        if d.get("id") is not None:
            problems.append(f"{where}: has a numeric id (provisioning would fight over it)")
        variables = {v["name"]: v for v in d.get("templating", {}).get("list", [])}
        ds = variables.get("datasource")
        if not ds or ds.get("type") != "datasource" or ds.get("query") != DS_TYPE:
            problems.append(f"{where}: no datasource variable of type {DS_TYPE}")
        user = variables.get("user")
        if not user or user.get("type") != "query" or "oura.users" not in user.get("query", ""):
            problems.append(f"{where}: no user variable from oura.users")
        elif user.get("datasource", {}).get("uid") != "${datasource}":
            problems.append(f"{where}: the user variable does not query through ${{datasource}}")
        ids = set()
        for p in d["panels"]:
            if p.get("id") in ids:
                problems.append(f"{where}: panel id {p.get('id')} is used twice")
            ids.add(p.get("id"))
        for p in panels(d):
            at = f"{where} panel {p.get('id')} {p.get('title')!r}"
            if not p.get("title", "").strip():
                problems.append(f"{at}: no title")
            if len(p.get("description", "").strip()) < 20:
                problems.append(f"{at}: no description that tells a person what it means")
            if p.get("datasource") != {"type": DS_TYPE, "uid": "${datasource}"}:
                problems.append(f"{at}: datasource is not the ${{datasource}} variable")
            targets = p.get("targets") or []
            if len(targets) != 1 or not targets[0].get("rawSql", "").strip():
                problems.append(f"{at}: needs exactly one query")
                continue
            t = targets[0]
            if t.get("datasource") != {"type": DS_TYPE, "uid": "${datasource}"}:
                problems.append(f"{at}: query datasource is not the ${{datasource}} variable")
            if p["type"] in NUMERIC_KINDS and not p.get("fieldConfig", {}).get("defaults", {}).get("unit"):
                problems.append(f"{at}: no unit")
            sql = t["rawSql"]
            if re.search(r"\d{4}-\d{2}-\d{2}", sql):
                problems.append(f"{at}: hard-coded date in the query")
            if "payload" in sql or "oura_documents" in sql:
                problems.append(f"{at}: reads the raw documents")
            if "oura_secret" in sql:
                problems.append(f"{at}: reads the secret schema")
            uses_user = "$user" in sql
            pipeline_wide = d.get("uid") == "oura-pipeline"
            if not uses_user and not pipeline_wide:
                problems.append(f"{at}: does not filter on $user")
            if not re.search(r"\$__(timeFilter|timeGroup|timeFrom|timeTo|unixEpoch)", sql) and not pipeline_wide:
                problems.append(f"{at}: ignores the dashboard's time range")
            if p["type"] in ("timeseries", "state-timeline") and t.get("format") != "time_series":
                problems.append(f"{at}: a time-series panel whose query is not format time_series")
            key = normalized(sql)
            if key in queries:
                problems.append(f"{at}: same query as {queries[key]} (copy)")
            queries[key] = at
        for p in d["panels"]:
            if p["type"] == "row":
                continue
            gp = p.get("gridPos", {})
            if gp.get("x", 0) + gp.get("w", 0) > 24:
                problems.append(f"{where} panel {p['id']}: wider than the grid")
    if len(versions) != 1:
        problems.append(f"schemaVersion differs between dashboards: {sorted(map(str, versions))}")
    # Provisioning must point at these files and use the reader role.
    prov = os.path.join(ROOT, "deploy", "grafana")
    for f in ("provisioning/datasources/oura.yaml", "provisioning/dashboards/oura.yaml"):
        if not os.path.exists(os.path.join(prov, f)):
            problems.append(f"deploy/grafana/{f} is missing")
    return report(problems, f"{len(dashes)} dashboards, {total} panels, structure and lint")


def macros():
    """The expansion itself, against what Grafana's macros.go produces for the same input."""
    f = datetime(2026, 10, 31, 4, 5, 6, 123000, tzinfo=timezone.utc)
    t = datetime(2026, 11, 30, 4, 5, 6, tzinfo=timezone.utc)
    cases = [
        ("SELECT $__time(day::timestamp)", 'SELECT day::timestamp AS "time"'),
        ("WHERE $__timeFilter(ts)", "WHERE ts BETWEEN '2026-10-31T04:05:06.123Z' AND '2026-11-30T04:05:06Z'"),
        ("$__timeFrom()::date <= $__timeTo()::date", "'2026-10-31T04:05:06.123Z'::date <= '2026-11-30T04:05:06Z'::date"),
        ("SELECT $__timeGroupAlias(ts, '1d', NULL), x", 'SELECT floor(extract(epoch from ts)/86400)*86400 AS "time", x'),
        ("SELECT $__timeGroup(ts,'5m'), x", 'SELECT floor(extract(epoch from ts)/300)*300 AS "time", x'),
        ("GROUP BY $__timeGroup(ts, '1w', 0)", "GROUP BY floor(extract(epoch from ts)/604800)*604800"),
        ("WHERE $__unixEpochFilter(t)", "WHERE t >= 1793419506 AND t <= 1796011506"),
        ("$__unixEpochGroupAlias(t, '1h')", 'floor((t)/3600)*3600 AS "time"'),
        ("user_id = $user AND u = ${user} AND v = [[user]] AND $username", "user_id = 7 AND u = 7 AND v = 7 AND $username"),
    ]
    problems = []
    for sql, want in cases:
        got = grafana_sql.interpolate(sql, {"user": 7}, f, t)
        if got != want:
            problems.append(f"{sql!r} expanded to {got!r}, Grafana sends {want!r}")
    for bad in ("$__timeGroup(ts)", "$__timeGroup(ts, 'soon')", "$__timeGroup(ts, '1d', sometimes)", "$__nope(x)"):
        try:
            grafana_sql.interpolate(bad, {}, f, t)
            problems.append(f"{bad!r} expanded without the error Grafana gives")
        except grafana_sql.MacroError:
            pass
    return report(problems, f"{len(cases)} macro expansions and 4 refusals")


def report(problems, what):
    for p in problems:
        print("FAIL", p)
    print(f"{what}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


def run_sql(dsn, sql):
    r = subprocess.run(["psql", "-X", "-q", "--csv", "-v", "ON_ERROR_STOP=1", dsn, "-c", sql],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip()
    rows = list(csv.reader(io.StringIO(r.stdout)))
    return rows, None


def field_refs(panel):
    """Columns the panel's field config and options name."""
    refs = []
    for o in panel.get("fieldConfig", {}).get("overrides", []):
        if o["matcher"]["id"] == "byName":
            refs.append(o["matcher"]["options"])
    if panel.get("options", {}).get("xField"):
        refs.append(panel["options"]["xField"])
    return refs


def panel_range(panel, dashboard_from, now):
    rel = f"now-{panel['timeFrom']}" if panel.get("timeFrom") else dashboard_from
    return grafana_sql.parse_relative(rel, now), now


def check_panel(dsn, file, panel, label, dashboard_from, user, now):
    at = f"{file} panel {panel['id']} {panel['title']!r} ({label}, user {user})"
    t_from, t_to = panel_range(panel, dashboard_from, now)
    target = panel["targets"][0]
    try:
        sql = grafana_sql.interpolate(target["rawSql"], {"user": user}, t_from, t_to)
    except grafana_sql.MacroError as e:
        return [f"{at}: macro error: {e}"]
    if "$" in re.sub(r"'[^']*'", "", sql):
        return [f"{at}: something was left unexpanded: {sql[:200]}"]
    rows, err = run_sql(dsn, sql)
    if err:
        return [f"{at}: SQL error: {err}\n    {sql}"]
    header, data = rows[0], rows[1:]
    problems = []
    if not data:
        problems.append(f"{at}: no rows (a person would see No data)")
    if target.get("format") == "time_series":
        if "time" not in header:
            problems.append(f"{at}: time-series query without a \"time\" column: {header}")
        elif data and all(r[header.index("time")] == "" for r in data):
            problems.append(f"{at}: the time column is empty")
    values = [i for i, h in enumerate(header) if h not in ("time", "metric")]
    if data and not any(r[i] != "" for r in data for i in values):
        problems.append(f"{at}: every value is NULL (a person would see No data)")
    expected = set(field_refs(panel))
    if target.get("format") == "time_series" and "metric" in header:
        # Long format: Grafana names the series after the metric column's values.
        metrics = {r[header.index("metric")] for r in data}
        expected -= metrics
    for col in sorted(expected - set(header)):
        problems.append(f"{at}: field config refers to column {col!r}, the query returns {header}")
    # A stat that picks its fields by regex (to show a text value) must match a column.
    fields = panel.get("options", {}).get("reduceOptions", {}).get("fields", "")
    if fields.startswith("/") and fields.endswith("/") and not any(re.search(fields[1:-1], h) for h in header):
        problems.append(f"{at}: reduceOptions.fields {fields} matches no column of {header}")
    return problems


def queries(state, bin_dir):
    port = seed.cluster_port(state)
    db = f"dashboards_{os.getpid()}"
    seed.create_database(port, db)
    try:
        t0 = time.time()
        today = seed.seed(port, db, bin_dir, users=2, days=400)
        print(f"seeded 2 people x 400 days up to {today} through oura-sim and the poller in {time.time() - t0:.1f} s")
        dsn = seed.url(port, db, seed.READER_ROLE)
        problems = []
        dashes = load()
        # The user variable, as Grafana runs it (through the reader role too).
        any_dash = next(iter(dashes.values()))
        var = next(v for v in any_dash["templating"]["list"] if v["name"] == "user")
        rows, err = run_sql(dsn, var["query"])
        if err:
            return report([f"user variable query: {err}"], "queries")
        if rows[0] != ["__value", "__text"] or len(rows) < 3:
            return report([f"user variable query returned {rows}"], "queries")
        users = [r[0] for r in rows[1:]]
        now = datetime.now(timezone.utc)
        jobs = []
        for file, d in dashes.items():
            for p in panels(d):
                for label, rel in RANGES:
                    for user in users:
                        jobs.append((dsn, file, p, label, rel, user, now))
        with ThreadPoolExecutor(max_workers=2) as pool:
            for result in pool.map(lambda j: check_panel(*j), jobs):
                problems.extend(result)
        n = sum(len(panels(d)) for d in dashes.values())
        return report(problems, f"{n} panels x {len(RANGES)} ranges x {len(users)} people = {len(jobs)} queries as {seed.READER_ROLE}")
    finally:
        seed.drop_database(port, db)


def bench(state, db, repeat):
    """Per-panel query time over every person and both ranges, `repeat` runs each, in one psql
    session per panel (connection set-up excluded), p50 and p95 from psql's \\timing."""
    port = seed.cluster_port(state)
    dsn = seed.url(port, db, seed.READER_ROLE)
    users = [r[0] for r in run_sql(dsn, "SELECT user_id FROM oura.users ORDER BY 1")[0][1:]]
    now = datetime.now(timezone.utc)
    results = []
    for file, d in load().items():
        for p in panels(d):
            script = ["\\o /dev/null", "\\timing on"]
            for label, rel in RANGES:
                t_from, t_to = panel_range(p, rel, now)
                for user in users:
                    sql = grafana_sql.interpolate(p["targets"][0]["rawSql"], {"user": user}, t_from, t_to)
                    script += [sql + ";"] * repeat
            r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", dsn], input="\n".join(script),
                               capture_output=True, text=True)
            if r.returncode != 0:
                print(f"FAIL {file} {p['title']}: {r.stderr.strip()}")
                continue
            times = sorted(float(m) for m in re.findall(r"Time: ([\d.]+) ms", r.stdout))
            p50 = times[len(times) // 2]
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            results.append((p95, p50, file, p["title"]))
    results.sort(reverse=True)
    print(f"{'p95 ms':>8} {'p50 ms':>8}  panel")
    for p95, p50, file, title in results:
        print(f"{p95:8.1f} {p50:8.1f}  {file[:-5]}: {title}")
    all95 = sorted(r[0] for r in results)
    print(f"panels: {len(results)}; over 100 ms at p95: {sum(1 for r in results if r[0] > 100)}; "
          f"slowest p95 {all95[-1]:.1f} ms; median panel p95 {all95[len(all95) // 2]:.1f} ms")
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "structure":
        sys.exit(structure())
    if len(sys.argv) >= 2 and sys.argv[1] == "macros":
        sys.exit(macros())
    if len(sys.argv) == 4 and sys.argv[1] == "queries":
        sys.exit(queries(sys.argv[2], sys.argv[3]))
    if len(sys.argv) == 5 and sys.argv[1] == "bench":
        sys.exit(bench(sys.argv[2], sys.argv[3], int(sys.argv[4])))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
