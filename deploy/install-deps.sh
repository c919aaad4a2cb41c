#!/usr/bin/env bash
# Installs every Debian 12 package the project builds, tests and runs with.
# Idempotent: when everything is present it prints one line and touches nothing.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config ccache
  # libraries (DESIGN §7: the Debian 12 versions are the ones we build against)
  libboost-dev libssl-dev libpqxx-dev libpq-dev rapidjson-dev prometheus-cpp-dev catch2 zlib1g-dev
  # real components the tests start
  postgresql-15 postgresql-client-15 prometheus prometheus-pushgateway
  # headless browser for the /status page test (screenshot, DOM, live update)
  chromium
  # harness helpers
  curl ca-certificates openssl util-linux procps python3
)

# The chart and alert tests run Node.js tools from npm (deploy/chart-tools.sh). Machines of this
# project come with Node.js and npm; Debian's are the fallback where they are missing.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# The Debian postgresql package creates and starts a default cluster; we never use it
# (tests and the demo run private clusters), so keep it from being created.
if [ ! -e /etc/postgresql-common/createcluster.d/no-main.conf ]; then
  $sudo mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.d/no-main.conf >/dev/null
fi
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
