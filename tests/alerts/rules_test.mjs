// What the alert rules promise beyond promtool's own checks:
//   fields   every rule has for, severity, summary, description and a runbook_url whose anchor is a
//            section of docs/runbook.md, and every runbook section belongs to a rule;
//   tested   every rule has a promtool case where it fires and one where it stays silent, and the
//            firing case checks the for: boundary (silent one evaluation before);
//   metrics  prints every metric the rules read, with the service that exports it (metrics.tsv),
//            for tests/alerts/metrics_live.sh.
// Usage: node tests/alerts/rules_test.mjs fields|tested|metrics
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(path.join(root, ".cache/npm/package.json"));
const YAML = require("yaml");

const rulesFile = YAML.parse(readFileSync(path.join(root, "deploy/prometheus/alerts.yml"), "utf8"));
const rules = rulesFile.groups.flatMap((g) => g.rules);
let passes = 0;
let failures = 0;
const check = (ok, what) => (ok ? passes++ : (failures++, console.log(`FAIL: ${what}`)));

// GitHub's anchor of a heading: lower case, spaces to '-', punctuation dropped.
const slug = (h) => h.trim().toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-");

function fields() {
  const runbook = readFileSync(path.join(root, "docs/runbook.md"), "utf8");
  const anchors = new Set([...runbook.matchAll(/^#{2,3} (.+)$/gm)].map((m) => slug(m[1])));
  const used = new Set();
  for (const r of rules) {
    const a = r.alert;
    check(/^\d+[smh]$/.test(r.for ?? ""), `${a}: has a for:`);
    check(["critical", "warning", "info"].includes(r.labels?.severity), `${a}: severity is critical, warning or info`);
    check(r.annotations?.summary?.length > 10, `${a}: has a summary`);
    check(r.annotations?.description?.length > 30, `${a}: has a description`);
    const url = r.annotations?.runbook_url ?? "";
    const anchor = url.split("#")[1];
    check(url.includes("docs/runbook.md#") && anchors.has(anchor), `${a}: runbook_url ${url} points at a section of docs/runbook.md`);
    used.add(anchor);
  }
  for (const anchor of anchors) check(used.has(anchor), `docs/runbook.md section #${anchor} belongs to no alert`);
  console.log(`${rules.length} rules, ${anchors.size} runbook sections`);
}

function tested() {
  const t = YAML.parse(readFileSync(path.join(root, "tests/alerts/alerts_test.yml"), "utf8"));
  const cases = t.tests.flatMap((g) => g.alert_rule_test.map((c) => ({ ...c, interval: g.interval })));
  const minutes = (d) => Number(d.replace(/m$/, "")) || 0;
  const forMinutes = (d) => (d.endsWith("h") ? 60 * parseInt(d) : d.endsWith("m") ? parseInt(d) : parseInt(d) / 60);
  for (const r of rules) {
    const mine = cases.filter((c) => c.alertname === r.alert);
    const firing = mine.filter((c) => c.exp_alerts.length > 0);
    const silent = mine.filter((c) => c.exp_alerts.length === 0);
    check(firing.length > 0, `${r.alert}: a promtool case where it fires`);
    check(silent.length > 0, `${r.alert}: a promtool case where it stays silent`);
    // The boundary: for some firing case at T, a silent case in the same group one minute earlier,
    // with T at least the rule's for: (so the for: is what held it back).
    const boundary = t.tests.some((g) =>
      g.alert_rule_test.some(
        (c) =>
          c.alertname === r.alert &&
          c.exp_alerts.length > 0 &&
          minutes(c.eval_time) >= forMinutes(r.for) &&
          g.alert_rule_test.some((s) => s.alertname === r.alert && s.exp_alerts.length === 0 && minutes(s.eval_time) === minutes(c.eval_time) - 1),
      ),
    );
    check(boundary, `${r.alert}: the for: boundary is tested (silent one minute before it fires)`);
  }
  console.log(`${rules.length} rules, ${cases.length} promtool cases`);
}

// Which service exports each metric (the cross-helper contract of metric names). "prometheus"
// means Prometheus itself (up). A metric missing here is named "unknown" and fails the live check:
// an alert must not read a metric no service is meant to export.
const exporter = {
  up: "prometheus",
  oura_api_rate_limited_total: "backfill-worker,poller",
  oura_api_requests_total: "backfill-worker,poller",
  oura_webhook_deliveries_total: "ingest-webhook",
  oura_poller_last_run_timestamp_seconds: "poller",
  oura_poller_last_run_failures: "poller",
  oura_tokens_dead_grants: "poller",
  oura_sync_last_success_timestamp_seconds: "query-api",
  oura_jobs: "query-api",
  oura_jobs_oldest_pending_age_seconds: "query-api",
  oura_webhook_inbox_lag_seconds: "query-api",
  oura_webhook_subscription_expiry_timestamp_seconds: "query-api",
  oura_token_expiry_timestamp_seconds: "query-api",
  oura_users_needing_reconnect: "query-api",
  oura_database_up: "query-api",
  oura_table_rows: "query-api",
  oura_backfill_chunks: "query-api",
  oura_budget_tokens_remaining: "backfill-worker",
  oura_jobs_processed_total: "backfill-worker",
  oura_webhook_processing_lag_seconds: "ingest-webhook",
  oura_oauth_callbacks_total: "ingest-webhook",
};
// One line per metric: name, exporting service(s), the label names the rules match it by.
function metrics() {
  const labels = new Map();
  for (const r of rules) {
    for (const m of r.expr.matchAll(/\b(oura_[a-z0-9_]+|up)\b(\{[^}]*\})?/g)) {
      if (!labels.has(m[1])) labels.set(m[1], new Set());
      for (const l of (m[2] ?? "").matchAll(/([a-z_]+)\s*(=~|!=|!~|=)/g)) labels.get(m[1]).add(l[1]);
    }
    // Labels the rule groups by or its annotations print belong to its one metric, when it has one.
    const own = [...new Set([...r.expr.matchAll(/\b(oura_[a-z0-9_]+)\b/g)].map((m) => m[1]))];
    if (own.length === 1) {
      const texts = r.expr + JSON.stringify(r.annotations);
      for (const m of texts.matchAll(/by \(([a-z_, ]+)\)/g)) for (const l of m[1].split(/,\s*/)) labels.get(own[0]).add(l);
      for (const m of texts.matchAll(/\$labels\.([a-z_]+)/g)) if (!["job", "instance"].includes(m[1])) labels.get(own[0]).add(m[1]);
    }
  }
  for (const n of [...labels.keys()].sort()) console.log(`${n}\t${exporter[n] ?? "unknown"}\t${[...labels.get(n)].join(",")}`);
}

const what = process.argv[2];
const run = { fields, tested, metrics }[what];
if (!run) {
  console.error("usage: rules_test.mjs fields|tested|metrics");
  process.exit(2);
}
run();
if (what !== "metrics") {
  console.log(`${passes} passed, ${failures} failed`);
  process.exit(failures ? 1 : 0);
}
