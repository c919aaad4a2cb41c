// The chart, checked the way an operator would meet it: `helm lint`, `helm template` of the
// defaults and of every scenario in helm/oura/ci/, every rendered object validated against the
// Kubernetes and CRD schemas (npm kubernetes-models), the security and scheduling settings every
// workload must carry, values that must fail failing with a readable message, values.yaml
// documented value by value, and the names the NOTES and docs/operations.md commands use matching
// the rendered objects.
//
// Usage: node tests/chart/chart_test.mjs CHECK   (CHECK: lint, render, failing, docs, notes; see
// tests/CMakeLists.txt). Needs deploy/chart-tools.sh to have run (it does, through tools.sh).
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const cache = path.join(root, ".cache/npm");
const require = createRequire(path.join(cache, "package.json"));
const YAML = require("yaml");
const helm = path.join(cache, "bin/helm");
const chart = path.join(root, "helm/oura");
const helmEnv = {
  ...process.env,
  HELM_CACHE_HOME: path.join(root, ".cache/helm/cache"),
  HELM_CONFIG_HOME: path.join(root, ".cache/helm/config"),
  HELM_DATA_HOME: path.join(root, ".cache/helm/data"),
};

let failures = 0;
let passes = 0;
function check(ok, what) {
  if (ok) passes++;
  else {
    failures++;
    console.log(`FAIL: ${what}`);
  }
}

// Helm says where it found the dashboards link on every run; that line is not an error.
const quiet = (s) => s.split("\n").filter((l) => l && !l.includes("found symbolic link in path")).join("\n");

function runHelm(args) {
  const r = spawnSync(helm, args, { env: helmEnv, encoding: "utf8", maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: quiet(r.stderr) };
}

function render(valueFiles = [], { release = "oura", namespace = "oura", chartDir = chart, extra = [] } = {}) {
  const args = ["template", release, chartDir, "--namespace", namespace, ...extra];
  for (const f of valueFiles) args.push("-f", f);
  const r = runHelm(args);
  if (r.code !== 0) throw new Error(`helm ${args.join(" ")} failed:\n${r.err}`);
  return YAML.parseAllDocuments(r.out).map((d) => d.toJS()).filter((d) => d);
}

const scenarios = () => [
  { name: "defaults", files: [] },
  ...readdirSync(path.join(chart, "ci"))
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => ({ name: f, files: [path.join(chart, "ci", f)] })),
];

// apiVersion/kind → the kubernetes-models class that validates it.
async function modelFor(obj) {
  const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : ["", obj.apiVersion];
  let spec;
  if (group === "external-secrets.io") spec = `@kubernetes-models/external-secrets/external-secrets.io/${version}/${obj.kind}`;
  else if (group === "monitoring.coreos.com") spec = `@kubernetes-models/prometheus-operator/monitoring.coreos.com/${version}/${obj.kind}`;
  else spec = `kubernetes-models/${group ? `${group}/` : ""}${version}/${obj.kind}`;
  // The packages export ESM only; import the file itself (a missing kind fails the import).
  const mod = await import(pathToFileURL(path.join(cache, "node_modules", `${spec}.js`)).href);
  return mod[obj.kind];
}

async function validateObject(obj, where) {
  let Model;
  try {
    Model = await modelFor(obj);
  } catch (e) {
    check(false, `${where}: no schema for ${obj.apiVersion} ${obj.kind} (${e.message.split("\n")[0]})`);
    return;
  }
  try {
    new Model(obj).validate();
    check(true, "");
  } catch (e) {
    check(false, `${where}: ${obj.kind}/${obj.metadata?.name} does not match its schema: ${e.message}`);
  }
}

function podSpecs(obj) {
  if (obj.kind === "Deployment" || obj.kind === "Job") return [obj.spec.template.spec];
  if (obj.kind === "CronJob") return [obj.spec.jobTemplate.spec.template.spec];
  return [];
}

// What every workload must carry (issue 12): non-root, read-only root, no capabilities, seccomp,
// resources; daemons probe /healthz and /readyz.
function checkWorkload(obj, where) {
  for (const spec of podSpecs(obj)) {
    const name = `${where}: ${obj.kind}/${obj.metadata.name}`;
    check(spec.securityContext?.runAsNonRoot === true, `${name}: pod runAsNonRoot`);
    check(spec.securityContext?.seccompProfile?.type === "RuntimeDefault", `${name}: pod seccomp RuntimeDefault`);
    check(spec.automountServiceAccountToken === false, `${name}: no service account token mounted`);
    for (const c of spec.containers) {
      const sc = c.securityContext ?? {};
      check(sc.readOnlyRootFilesystem === true, `${name}/${c.name}: readOnlyRootFilesystem`);
      check(sc.allowPrivilegeEscalation === false, `${name}/${c.name}: allowPrivilegeEscalation false`);
      check(JSON.stringify(sc.capabilities?.drop) === '["ALL"]', `${name}/${c.name}: drops ALL capabilities`);
      check(sc.seccompProfile?.type === "RuntimeDefault", `${name}/${c.name}: seccomp RuntimeDefault`);
      check(c.resources?.requests && c.resources?.limits, `${name}/${c.name}: resource requests and limits`);
      if (obj.kind === "Deployment") {
        check(c.livenessProbe?.httpGet?.path === "/healthz", `${name}/${c.name}: liveness on /healthz`);
        check(c.readinessProbe?.httpGet?.path === "/readyz", `${name}/${c.name}: readiness on /readyz`);
      }
      // Secrets come as files; a secret value must never sit in the pod spec.
      for (const e of c.env ?? []) {
        if (/(SECRET|TOKENS?|KEYS?|DATABASE_URL)$/.test(e.name)) check(false, `${name}/${c.name}: ${e.name} set as a plain value; use ${e.name}_FILE`);
      }
    }
  }
}

const byKind = (objs, kind) => objs.filter((o) => o.kind === kind);
const names = (objs, kind) => byKind(objs, kind).map((o) => o.metadata.name);

async function checkRender() {
  for (const s of scenarios()) {
    let objs;
    try {
      objs = render(s.files);
    } catch (e) {
      check(false, `${s.name}: ${e.message}`);
      continue;
    }
    console.log(`render ${s.name}: ${objs.length} objects (${[...new Set(objs.map((o) => o.kind))].sort().join(", ")})`);
    for (const o of objs) {
      await validateObject(o, s.name);
      checkWorkload(o, s.name);
    }
    const values = YAML.parse(readFileSync(path.join(chart, "values.yaml"), "utf8"));
    const merged = s.files.reduce((acc, f) => deepMerge(acc, YAML.parse(readFileSync(f, "utf8"))), values);
    // What the scenario switches must switch.
    const source = merged.secrets.source;
    check(byKind(objs, "ExternalSecret").length === (source === "externalSecret" ? 1 : 0), `${s.name}: an ExternalSecret exactly when secrets.source is externalSecret`);
    check(byKind(objs, "Secret").length === (source === "values" ? 1 : 0), `${s.name}: a chart Secret exactly when secrets.source is values`);
    const ingresses = names(objs, "Ingress");
    check(ingresses.length === [merged.ingestWebhook.ingress.enabled, merged.queryApi.ingress.enabled].filter(Boolean).length, `${s.name}: Ingresses follow ingress.enabled (${ingresses})`);
    for (const ing of byKind(objs, "Ingress").filter((i) => i.metadata.name.endsWith("ingest-webhook"))) {
      const paths = ing.spec.rules[0].http.paths.map((p) => p.path).sort();
      check(JSON.stringify(paths) === '["/oauth/callback","/webhook/oura"]', `${s.name}: the edge Ingress publishes only /webhook/oura and /oauth/callback (${paths})`);
    }
    check(byKind(objs, "ServiceMonitor").length === (merged.monitoring.serviceMonitor.enabled ? 3 : 0), `${s.name}: a ServiceMonitor per daemon when monitoring is on, none when off`);
    check(byKind(objs, "PrometheusRule").length === (merged.monitoring.prometheusRule.enabled ? 1 : 0), `${s.name}: the PrometheusRule follows monitoring.prometheusRule.enabled`);
    for (const d of byKind(objs, "Deployment")) {
      const hpa = byKind(objs, "HorizontalPodAutoscaler").find((h) => h.spec.scaleTargetRef.name === d.metadata.name);
      check(Boolean(hpa) === (d.spec.replicas === undefined), `${s.name}: ${d.metadata.name} has replicas exactly when no HPA scales it`);
    }
    // Every dashboard of dashboards/ ships as a ConfigMap for the Grafana sidecar, byte for byte.
    const dashboards = readdirSync(path.join(root, "dashboards")).filter((f) => f.endsWith(".json"));
    const boards = byKind(objs, "ConfigMap").filter((c) => c.metadata.labels["app.kubernetes.io/component"] === "dashboards" && !c.metadata.name.endsWith("-datasource"));
    if (merged.grafana.dashboards.enabled) {
      check(boards.length === dashboards.length, `${s.name}: one ConfigMap per dashboard (${boards.length} for ${dashboards.length})`);
      for (const f of dashboards) {
        const cm = boards.find((c) => f in (c.data ?? {}));
        check(cm && cm.data[f] === readFileSync(path.join(root, "dashboards", f), "utf8").replace(/\n$/, ""), `${s.name}: dashboard ${f} shipped unchanged`);
        check(cm && Object.entries(merged.grafana.dashboards.labels).every(([k, v]) => cm.metadata.labels[k] === v), `${s.name}: dashboard ${f} carries the sidecar label`);
        check(cm && JSON.stringify(cm).length < 1000000, `${s.name}: dashboard ${f} fits in a ConfigMap`);
      }
    } else {
      check(boards.length === 0, `${s.name}: no dashboard ConfigMaps when grafana.dashboards.enabled is false`);
    }
    // The URLs Oura is told (subscriptions, OAuth redirect) are the ones the edge Ingress serves.
    const edgeIngress = byKind(objs, "Ingress").find((i) => i.metadata.name.endsWith("ingest-webhook"));
    const envOf = (o, name) => podSpecs(o)[0]?.containers[0].env?.find((e) => e.name === name)?.value;
    for (const o of [...byKind(objs, "CronJob").filter((c) => c.metadata.name.endsWith("poller")), ...byKind(objs, "Deployment").filter((d) => d.metadata.name.endsWith("ingest-webhook"))]) {
      const callback = envOf(o, "OURA_WEBHOOK_CALLBACK_URL");
      const redirect = envOf(o, "OURA_OAUTH_REDIRECT_URI");
      if (edgeIngress) {
        const host = edgeIngress.spec.rules[0].host;
        check(callback === `https://${host}/webhook/oura`, `${s.name}: ${o.metadata.name} subscribes Oura to the edge Ingress (${callback})`);
        check(redirect === `https://${host}/oauth/callback`, `${s.name}: ${o.metadata.name} redirects OAuth to the edge Ingress (${redirect})`);
      } else if (!merged.config.publicUrl) {
        check(callback === undefined, `${s.name}: ${o.metadata.name}: no callback URL without a public edge`);
      }
    }
    const poller = byKind(objs, "CronJob").find((c) => c.metadata.labels["app.kubernetes.io/component"] === "poller");
    check(poller?.spec.concurrencyPolicy === "Forbid", `${s.name}: the poller CronJob never overlaps`);
    check(poller?.spec.jobTemplate.spec.activeDeadlineSeconds > 0 && poller?.spec.jobTemplate.spec.backoffLimit >= 0, `${s.name}: the poller has a deadline and a backoff limit`);
    const migrate = byKind(objs, "Job").find((j) => j.metadata.labels["app.kubernetes.io/component"] === "migrate");
    check(migrate?.metadata.annotations["helm.sh/hook"] === "pre-install,pre-upgrade", `${s.name}: migrations run as a pre-install/pre-upgrade hook`);
    check(migrate?.spec.template.spec.containers[0].command[0] === "oura-migrate", `${s.name}: the hook runs oura-migrate`);
    // Least privilege: only the migration Job and the backup see the owner's URL.
    for (const o of objs) {
      for (const spec of podSpecs(o)) {
        const keys = spec.volumes?.find((v) => v.name === "secrets")?.secret.items.map((i) => i.key) ?? [];
        const component = o.metadata.labels["app.kubernetes.io/component"];
        check(keys.includes("migrate-database-url") === ["migrate", "backup"].includes(component), `${s.name}: ${o.metadata.name}: owner URL mounted only into migrate and backup (${keys})`);
      }
    }
    if (merged.networkPolicy.enabled) {
      const edge = byKind(objs, "NetworkPolicy").find((n) => n.metadata.name.endsWith("ingest-webhook"));
      const worker = byKind(objs, "NetworkPolicy").find((n) => n.metadata.name.endsWith("backfill-worker"));
      const fromIngress = (np) => np.spec.ingress.some((r) => r.from.some((f) => f.podSelector));
      check(edge && fromIngress(edge), `${s.name}: the ingress controller may reach the edge`);
      check(worker && !fromIngress(worker), `${s.name}: the ingress controller may not reach backfill-worker`);
    } else {
      check(byKind(objs, "NetworkPolicy").length === 0, `${s.name}: no NetworkPolicy when networkPolicy.enabled is false`);
    }
  }
}

function deepMerge(a, b) {
  if (typeof a !== "object" || a === null || Array.isArray(a) || typeof b !== "object" || b === null || Array.isArray(b)) return b;
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = k in a ? deepMerge(a[k], v) : v;
  return out;
}

function checkLint() {
  for (const s of scenarios()) {
    const r = runHelm(["lint", chart, "--strict", ...s.files.flatMap((f) => ["-f", f])]);
    check(r.code === 0, `helm lint --strict (${s.name}):\n${r.out}${r.err}`);
    console.log(`helm lint ${s.name}: ${r.code === 0 ? "ok" : "failed"}`);
  }
}

// Each file in tests/chart/failing/ starts with "# expect: TEXT": helm must refuse it, saying TEXT,
// in a few lines (the operator reads it in a terminal).
function checkFailing() {
  const dir = path.join(root, "tests/chart/failing");
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".yaml")).sort()) {
    const text = readFileSync(path.join(dir, f), "utf8");
    const expect = text.match(/^# expect: (.+)$/m)?.[1];
    const r = runHelm(["template", "oura", chart, "-f", path.join(dir, f)]);
    const said = r.err.trim();
    check(r.code !== 0, `${f}: helm template must fail`);
    check(expect && said.includes(expect), `${f}: the error must say "${expect}"; it said:\n${said}`);
    check(said.split("\n").length <= 15, `${f}: the error is short (${said.split("\n").length} lines)`);
    console.log(`refused ${f}: ${said.split("\n").find((l) => expect && l.includes(expect)) ?? said.split("\n")[0]}`);
  }
}

// values.yaml: every value has a "# --" comment above it (or is inside a value that has one).
function checkValuesDocumented() {
  const lines = readFileSync(path.join(chart, "values.yaml"), "utf8").split("\n");
  const stack = []; // {indent, documented}
  let comment = [];
  lines.forEach((line, i) => {
    if (/^\s*#/.test(line)) {
      comment.push(line.trim());
      return;
    }
    if (!line.trim()) {
      comment = [];
      return;
    }
    const m = line.match(/^(\s*)([A-Za-z0-9_.\/-]+):(.*)$/);
    if (!m) {
      comment = [];
      return;
    }
    const indent = m[1].length;
    while (stack.length && stack[stack.length - 1].indent >= indent) stack.pop();
    const own = comment.some((c) => c.startsWith("# --"));
    const inherited = stack.some((s) => s.documented);
    const isParent = m[3].trim() === "" && i + 1 < lines.length && (lines[i + 1].match(/^(\s*)/)[1].length > indent || /^\s*#/.test(lines[i + 1]));
    if (!isParent) check(own || inherited, `values.yaml line ${i + 1}: "${m[2]}" has no "# --" comment saying what it is`);
    stack.push({ indent, documented: own || inherited });
    comment = [];
  });
}

// NOTES.txt is not part of `helm template`'s output; render it through a copy of the chart.
function renderNotes(valueFiles, release, namespace) {
  const dir = mkdtempSync(path.join(tmpdir(), "oura-notes-"));
  try {
    cpSync(chart, path.join(dir, "oura"), { recursive: true, dereference: true });
    renameSync(path.join(dir, "oura/templates/NOTES.txt"), path.join(dir, "oura/notes-src.txt"));
    writeFileSync(path.join(dir, "oura/templates/notes-rendered.yaml"), 'notes: {{ tpl (.Files.Get "notes-src.txt") . | toJson }}\n');
    const args = ["template", release, path.join(dir, "oura"), "-n", namespace, "--show-only", "templates/notes-rendered.yaml"];
    for (const f of valueFiles) args.push("-f", f);
    const r = runHelm(args);
    if (r.code !== 0) throw new Error(r.err);
    return YAML.parse(r.out).notes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Every object a kubectl command names (deploy/X, cronjob/X, svc/X, get externalsecret X, PVC and
// Secret names in --overrides) must be an object of that kind in the rendering, in that namespace.
function checkCommandNames(text, objs, namespace, where) {
  const kinds = { deploy: "Deployment", cronjob: "CronJob", svc: "Service", externalsecret: "ExternalSecret" };
  let n = 0;
  for (const line of text.split("\n").filter((l) => l.includes("kubectl") && !l.includes("kubectl create namespace"))) {
    const ns = line.match(/kubectl -n (\S+)/)?.[1];
    check(ns === namespace, `${where}: "${line.trim()}" runs in namespace ${namespace} (-n ${namespace})`);
    for (const m of line.matchAll(/\b(deploy|cronjob|svc)\/([a-z0-9-]+)/g)) {
      n++;
      check(names(objs, kinds[m[1]]).includes(m[2]), `${where}: ${m[1]}/${m[2]} is not a rendered ${kinds[m[1]]} (have: ${names(objs, kinds[m[1]])})`);
    }
    for (const m of line.matchAll(/get (externalsecret) ([a-z0-9-]+)/g)) {
      n++;
      check(names(objs, "ExternalSecret").includes(m[2]), `${where}: externalsecret ${m[2]} is not rendered`);
    }
    for (const m of line.matchAll(/"claimName":"([a-z0-9-]+)"/g)) {
      n++;
      check(names(objs, "PersistentVolumeClaim").includes(m[1]), `${where}: PVC ${m[1]} is not rendered`);
    }
    for (const m of line.matchAll(/"secretName":"([a-z0-9-]+)"/g)) {
      n++;
      const secrets = [...names(objs, "Secret"), ...byKind(objs, "ExternalSecret").map((e) => e.spec.target.name)];
      check(secrets.includes(m[1]), `${where}: Secret ${m[1]} is neither rendered nor an ExternalSecret target`);
    }
    // The binaries and subcommands the commands run are the ones the contracts name.
    for (const m of line.matchAll(/-- (backfill-worker|oura-admin) (\S+)/g)) {
      const known = { "backfill-worker": ["run", "enqueue", "status", "list", "cancel", "retry-failed"], "oura-admin": ["users", "tokens", "webhooks", "reproject"] };
      check(known[m[1]].includes(m[2]), `${where}: "${m[1]} ${m[2]}" is not a command of ${m[1]}`);
    }
  }
  return n;
}

function checkNotes() {
  for (const s of scenarios()) {
    for (const [release, ns] of [["oura", "oura"], ["prod", "health"]]) {
      const objs = render(s.files, { release, namespace: ns });
      const notes = renderNotes(s.files, release, ns);
      const n = checkCommandNames(notes, objs, ns, `NOTES (${s.name}, release ${release})`);
      check(n >= 4, `NOTES (${s.name}): names at least the backfill, poller and status objects (${n} found)`);
      check(/backfill-worker enqueue --days 730 --wait/.test(notes), `NOTES (${s.name}): shows the backfill command`);
      check(/create job --from=cronjob\//.test(notes), `NOTES (${s.name}): shows the immediate poller run`);
      check(/\/status/.test(notes), `NOTES (${s.name}): tells how to open the status page`);
    }
  }
  console.log("NOTES: names checked against the rendered objects for every scenario and two release names");
}

// docs/operations.md is written for release "oura" in namespace "oura" with the production
// scenario and backups on.
function checkOperationsDoc() {
  const doc = readFileSync(path.join(root, "docs/operations.md"), "utf8");
  const files = [path.join(chart, "ci/external-secrets-ingress-values.yaml")];
  const objs = render(files, { release: "oura", namespace: "oura" });
  const blocks = [...doc.matchAll(/```(?:sh|bash|console)?\n([\s\S]*?)```/g)].map((m) => m[1]).join("\n");
  const n = checkCommandNames(blocks, objs, "oura", "docs/operations.md");
  check(n >= 8, `docs/operations.md names the chart's objects in its commands (${n} found)`);
  for (const want of ["backfill-worker enqueue --days 730 --wait", "backfill-worker status", "backfill-worker cancel", "create job --from=cronjob/oura-poller", "oura-admin users", "oura-admin webhooks", "pg_restore"]) {
    check(blocks.includes(want), `docs/operations.md shows "${want}"`);
  }
  console.log(`docs/operations.md: ${n} object names checked`);
}

const what = process.argv[2];
const checks = {
  lint: checkLint,
  render: checkRender,
  failing: checkFailing,
  docs: () => {
    checkValuesDocumented();
    checkOperationsDoc();
  },
  notes: checkNotes,
};
if (!checks[what]) {
  console.error(`usage: chart_test.mjs ${Object.keys(checks).join("|")}`);
  process.exit(2);
}
try {
  await checks[what]();
} catch (e) {
  failures++;
  console.log(`FAIL: ${e.message}`);
}
console.log(`${passes} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
