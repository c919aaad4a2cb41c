"""Grafana's PostgreSQL datasource, the parts that turn a panel's rawSql into the SQL it sends.

Mirrors grafana/pkg/tsdb/grafana-postgresql-datasource/macros.go and pkg/tsdb/sqleng (Grafana
10-11), which we cannot run here (Grafana is not installable, DESIGN §6):
- template variables: `$user`, `${user}`, `[[user]]` -> the variable's value, as is (a single-value,
  non-multi variable is not quoted by SQL datasources);
- sqleng: `$__interval_ms`, `$__interval`, `$__unixEpochFrom()`, `$__unixEpochTo()`;
- the macro engine: every `$__name(args)` (regex `\\$([_a-zA-Z0-9]+)\\(([^\\)]*)\\)`, so an argument
  cannot contain ')'), args split on ',' and trimmed:
  $__time(c) -> c AS "time"; $__timeEpoch(c) -> extract(epoch from c) as "time";
  $__timeFilter(c) -> c BETWEEN 'FROM' AND 'TO' (RFC 3339, UTC, Go's RFC3339Nano: trailing zeros of
  the fraction dropped); $__timeFrom() / $__timeTo() -> 'FROM' / 'TO';
  $__timeGroup(c, 'I'[, fill]) -> floor(extract(epoch from c)/S)*S with S the interval in seconds
  (Go %v: 86400, 0.5); followed directly by ',' it becomes $__timeGroupAlias (pre-5.3 compatibility);
  $__timeGroupAlias(...) -> the same + ' AS "time"'; the fill argument (NULL, previous, a number)
  only tells Grafana how to fill missing buckets after the query, so it is validated and dropped;
  $__unixEpochFilter(c) -> c >= F AND c <= T (seconds); $__unixEpochNanoFilter, NanoFrom/NanoTo;
  $__unixEpochGroup(c, 'I') -> floor((c)/S)*S, + AliasAS "time";
  any other `$__x(...)` is an error ("unknown macro"), as in Grafana.
"""

import re
from datetime import datetime, timedelta, timezone

MACRO = re.compile(r"\$([_a-zA-Z0-9]+)\(([^\)]*)\)")
UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "M": 2592000, "y": 31536000}


class MacroError(ValueError):
    pass


def rfc3339nano(t):
    t = t.astimezone(timezone.utc)
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    if t.microsecond:
        s += ("." + f"{t.microsecond:06d}").rstrip("0")
    return s + "Z"


def parse_interval(text):
    """gtime.ParseInterval: '5m', '1d', '1w', '30s', '500ms'."""
    m = re.fullmatch(r"(\d+)(ms|s|m|h|d|w|M|y)", text.strip().strip("'"))
    if not m:
        raise MacroError(f"error parsing interval {text}")
    return int(m.group(1)) * UNITS[m.group(2)]


def go_float(seconds):
    return str(int(seconds)) if float(seconds).is_integer() else repr(float(seconds))


def parse_relative(expr, now):
    """Grafana's relative times as dashboards use them: now, now-30d, now-1y, now-2d, now-24h."""
    if expr == "now":
        return now
    m = re.fullmatch(r"now-(\d+)([smhdwMy])", expr)
    if not m:
        raise MacroError(f"unsupported relative time {expr}")
    n, unit = int(m.group(1)), m.group(2)
    if unit == "y":
        return now.replace(year=now.year - n)
    if unit == "M":
        month = now.month - n
        year = now.year + (month - 1) // 12
        return now.replace(year=year, month=(month - 1) % 12 + 1)
    return now - timedelta(seconds=n * UNITS[unit])


def check_fill(arg):
    if arg.upper() == "NULL" or arg == "previous":
        return
    try:
        float(arg)
    except ValueError:
        raise MacroError(f"error parsing fill value {arg}")


def interpolate(sql, variables, t_from, t_to, interval_seconds=60):
    """The SQL Grafana sends for `sql` with `variables` ({name: value}) over [t_from, t_to]."""
    for name, value in variables.items():
        sql = re.sub(r"\$\{" + name + r"\}|\[\[" + name + r"\]\]|\$" + name + r"\b", str(value), sql)
    # sqleng.Interpolate, before the engine.
    sql = sql.replace("$__interval_ms", str(int(interval_seconds * 1000)))
    sql = sql.replace("$__interval", f"{int(interval_seconds)}s")
    sql = sql.replace("$__unixEpochFrom()", str(int(t_from.timestamp())))
    sql = sql.replace("$__unixEpochTo()", str(int(t_to.timestamp())))
    f, t = rfc3339nano(t_from), rfc3339nano(t_to)
    original = sql

    def evaluate(name, args):
        if name == "__time":
            return f'{args[0]} AS "time"'
        if name == "__timeEpoch":
            return f'extract(epoch from {args[0]}) as "time"'
        if name == "__timeFilter":
            if not args[0]:
                raise MacroError("missing time column argument for macro __timeFilter")
            return f"{args[0]} BETWEEN '{f}' AND '{t}'"
        if name == "__timeFrom":
            return f"'{f}'"
        if name == "__timeTo":
            return f"'{t}'"
        if name in ("__timeGroup", "__unixEpochGroup"):
            if len(args) < 2:
                raise MacroError(f"macro {name} needs time column and interval and optional fill value")
            s = go_float(parse_interval(args[1]))
            if len(args) == 3:
                check_fill(args[2])
            if name == "__timeGroup":
                return f"floor(extract(epoch from {args[0]})/{s})*{s}"
            return f"floor(({args[0]})/{s})*{s}"
        if name == "__timeGroupAlias":
            return evaluate("__timeGroup", args) + ' AS "time"'
        if name == "__unixEpochGroupAlias":
            return evaluate("__unixEpochGroup", args) + ' AS "time"'
        if name == "__unixEpochFilter":
            return f"{args[0]} >= {int(t_from.timestamp())} AND {args[0]} <= {int(t_to.timestamp())}"
        if name == "__unixEpochNanoFilter":
            return f"{args[0]} >= {int(t_from.timestamp() * 1e9)} AND {args[0]} <= {int(t_to.timestamp() * 1e9)}"
        if name == "__unixEpochNanoFrom":
            return str(int(t_from.timestamp() * 1e9))
        if name == "__unixEpochNanoTo":
            return str(int(t_to.timestamp() * 1e9))
        raise MacroError(f'unknown macro "{name}"')

    def replace(m):
        name, args = m.group(1), [a.strip(" ") for a in m.group(2).split(",")]
        if name == "__timeGroup":
            i = original.find(m.group(0))
            if i >= 0 and original[i + len(m.group(0)):i + len(m.group(0)) + 1] == ",":
                name = "__timeGroupAlias"
        return evaluate(name, args)

    return MACRO.sub(replace, sql)
