"""Builders that turn compact panel definitions (dashboards/src/definitions.py) into Grafana
dashboard JSON. Every shape that repeats (the datasource reference, the two variables, a time
series with a personal baseline, a "latest value" stat) is written once here.

Conventions every dashboard gets from here, which tests/dashboards checks:
- the datasource is the variable ${datasource} (a PostgreSQL datasource), never a fixed uid;
- the person is the variable $user (users.user_id, shown by name), every per-person query filters on it;
- the time range reaches SQL only through Grafana's macros ($__timeFilter, $__timeGroupAlias,
  $__timeFrom(), $__timeTo()); nothing holds a date;
- uids and panel ids are stable: uids are written here, panel ids follow the definition order.
"""

import json

DS_TYPE = "grafana-postgresql-datasource"
DS_REF = {"type": DS_TYPE, "uid": "${datasource}"}
SCHEMA_VERSION = 39
GRID_WIDTH = 24

USER_QUERY = (
    "SELECT user_id AS __value, coalesce(display_name, email, oura_user_id, 'user ' || user_id) AS __text "
    "FROM oura.users ORDER BY user_id"
)

# Colours Grafana knows by name.
GREEN, YELLOW, ORANGE, RED, BLUE, PURPLE, GREY = "green", "yellow", "orange", "red", "blue", "purple", "text"

# Time-series shapes: how a panel draws (the SQL decides what).
LINE, BARS, POINTS = "line", "bars", "points"


def steps(*pairs):
    """Threshold steps: steps(RED, (70, YELLOW), (85, GREEN)) -> base red, yellow from 70, green from 85."""
    out = [{"color": pairs[0], "value": None}]
    for value, color in pairs[1:]:
        out.append({"color": color, "value": value})
    return {"mode": "absolute", "steps": out}


# Oura's own bands for 1-100 scores: pay attention below 70, good 70-84, optimal 85+.
SCORE_STEPS = steps(RED, (60, ORANGE), (70, YELLOW), (85, GREEN))
# Distance from the person's own 30-day baseline, in the metric's unit, higher is better.
ABOVE_BASELINE_STEPS = steps(RED, (-5, ORANGE), (-2, YELLOW), (0, GREEN))


class Panel:
    """One panel. kind: timeseries, stat, table, state-timeline, barchart, bargauge, piechart, gauge.

    sql: the query, with $user and Grafana macros. unit: a Grafana unit id (every panel has one).
    series: a time-series panel (format time_series; the query returns a "time" column).
    overrides: {column: {property: value}}; property keys are Grafana override ids.
    """

    def __init__(self, kind, title, description, sql, unit, *, w=None, h=None, series=None,
                 thresholds=None, overrides=None, mappings=None, min=None, max=None, decimals=None,
                 draw=LINE, stack=False, fill=None, x_field=None, threshold_line=False, color=None,
                 options=None, transformations=None, time_from=None):
        self.kind, self.title, self.description = kind, title, description
        self.sql = " ".join(line.strip() for line in sql.strip().splitlines())
        self.unit = unit
        self.series = series if series is not None else kind in ("timeseries", "state-timeline")
        self.w = w or {"stat": 4, "gauge": 4, "table": 12, "timeseries": 12, "state-timeline": 24,
                       "barchart": 12, "bargauge": 12, "piechart": 6}[kind]
        self.h = h or {"stat": 4, "gauge": 4, "piechart": 8}.get(kind, 8)
        self.thresholds, self.overrides, self.mappings = thresholds, overrides or {}, mappings
        self.min, self.max, self.decimals = min, max, decimals
        self.draw, self.stack, self.fill, self.x_field = draw, stack, fill, x_field
        self.threshold_line, self.color, self.options = threshold_line, color, options or {}
        self.transformations = transformations or []
        # A relative time that replaces the dashboard's range for this panel (Grafana's
        # "relative time" override), e.g. "2d" for last night's curves.
        self.time_from = time_from

    def field_config(self):
        d = {"unit": self.unit}
        if self.min is not None:
            d["min"] = self.min
        if self.max is not None:
            d["max"] = self.max
        if self.decimals is not None:
            d["decimals"] = self.decimals
        d["thresholds"] = self.thresholds or steps(GREEN)
        if self.mappings:
            d["mappings"] = self.mappings
        if self.color:
            d["color"] = {"mode": "fixed", "fixedColor": self.color}
        elif self.kind in ("stat", "gauge", "bargauge") and self.thresholds:
            d["color"] = {"mode": "thresholds"}
        elif self.kind in ("piechart", "barchart", "timeseries", "state-timeline"):
            d["color"] = {"mode": "palette-classic"}
        if self.kind == "timeseries":
            d["custom"] = {
                "drawStyle": self.draw,
                "lineWidth": 2 if self.draw == LINE else 1,
                "fillOpacity": self.fill if self.fill is not None else (80 if self.draw == BARS else 10),
                "pointSize": 6,
                "showPoints": "auto" if self.draw != POINTS else "always",
                "spanNulls": False,
                "stacking": {"mode": "normal" if self.stack else "none", "group": "A"},
                "thresholdsStyle": {"mode": "line+area" if self.threshold_line else "off"},
            }
        if self.kind == "barchart":
            d["custom"] = {"fillOpacity": 80, "lineWidth": 1,
                           "stacking": {"mode": "normal" if self.stack else "none", "group": "A"}}
        if self.kind == "state-timeline":
            d["custom"] = {"fillOpacity": 80, "lineWidth": 0}
        overrides = []
        for column, props in self.overrides.items():
            overrides.append({"matcher": {"id": "byName", "options": column},
                              "properties": [{"id": k, "value": v} for k, v in props.items()]})
        return {"defaults": d, "overrides": overrides}

    def panel_options(self):
        legend = {"displayMode": "list", "placement": "bottom", "showLegend": True}
        base = {
            "timeseries": {"legend": legend, "tooltip": {"mode": "multi", "sort": "none"}},
            "stat": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                     "colorMode": "background" if self.thresholds else "value", "graphMode": "none",
                     "justifyMode": "auto", "orientation": "auto", "textMode": "auto"},
            "gauge": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                      "showThresholdLabels": False, "showThresholdMarkers": True},
            "table": {"showHeader": True, "cellHeight": "sm", "footer": {"show": False}},
            "state-timeline": {"legend": legend, "mergeValues": True, "showValue": "never",
                               "rowHeight": 0.9, "alignValue": "left"},
            "barchart": {"legend": legend, "orientation": "auto", "showValue": "auto",
                         "stacking": "normal" if self.stack else "none", "groupWidth": 0.7,
                         "barWidth": 0.9, "xTickLabelRotation": 0},
            "bargauge": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": True},
                         "displayMode": "gradient", "orientation": "horizontal", "showUnfilled": True},
            "piechart": {"legend": dict(legend, placement="right", values=["percent"]),
                         "pieType": "donut", "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": True}},
        }[self.kind]
        if self.x_field:
            base["xField"] = self.x_field
        base.update(self.options)
        return base

    def to_json(self, panel_id, x, y):
        return {
            "id": panel_id,
            "type": self.kind,
            "title": self.title,
            "description": self.description,
            "datasource": DS_REF,
            "gridPos": {"h": self.h, "w": self.w, "x": x, "y": y},
            "fieldConfig": self.field_config(),
            "options": self.panel_options(),
            "targets": [{
                "refId": "A",
                "datasource": DS_REF,
                "editorMode": "code",
                "format": "time_series" if self.series else "table",
                "rawQuery": True,
                "rawSql": self.sql,
            }],
            **({"transformations": self.transformations} if self.transformations else {}),
            **({"timeFrom": self.time_from} if self.time_from else {}),
        }


class Row:
    """A collapsible row header: groups the panels after it."""

    def __init__(self, title):
        self.title = title


def dashboard(uid, title, description, tags, items, time_from="now-30d"):
    panels, x, y, row_h, next_id = [], 0, 0, 0, 1
    for item in items:
        if isinstance(item, Row):
            if x:
                y, x, row_h = y + row_h, 0, 0
            panels.append({"id": next_id, "type": "row", "title": item.title, "collapsed": False,
                           "gridPos": {"h": 1, "w": GRID_WIDTH, "x": 0, "y": y}, "panels": []})
            next_id, y = next_id + 1, y + 1
            continue
        if x + item.w > GRID_WIDTH:
            y, x, row_h = y + row_h, 0, 0
        panels.append(item.to_json(next_id, x, y))
        next_id, x, row_h = next_id + 1, x + item.w, max(row_h, item.h)
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["oura"] + tags,
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "timezone": "browser",
        "time": {"from": time_from, "to": "now"},
        "refresh": "",
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True,
            "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"}]},
        "links": [{"asDropdown": True, "icon": "external link", "includeVars": True, "keepTime": True,
                   "tags": ["oura"], "targetBlank": False, "title": "Oura dashboards", "type": "dashboards"}],
        "templating": {"list": [
            {"name": "datasource", "label": "Data source", "type": "datasource", "query": DS_TYPE,
             "current": {}, "hide": 0, "includeAll": False, "multi": False, "refresh": 1, "regex": "",
             "description": "The PostgreSQL datasource connected as a member of oura_reader."},
            {"name": "user", "label": "Person", "type": "query", "datasource": DS_REF,
             "query": USER_QUERY, "definition": USER_QUERY, "current": {}, "hide": 0,
             "includeAll": False, "multi": False, "refresh": 1, "regex": "", "sort": 0,
             "description": "Whose data the panels show (oura.users)."},
        ]},
        "panels": panels,
    }


def render(dash):
    """The exact bytes committed under dashboards/: stable key order, two-space indent, newline."""
    return json.dumps(dash, indent=2, ensure_ascii=False) + "\n"
