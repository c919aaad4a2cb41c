#!/usr/bin/env bash
# The README's test command: installs what is missing, builds the `ci` preset once, and runs every
# test (unit, pg, e2e, …) against a private PostgreSQL cluster and the real simulator.
# Extra arguments go to ctest, e.g. `deploy/test.sh -L unit` or `deploy/test.sh -R migrate`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/install-deps.sh
# Paths below the checkout are hashed relative to it, so a fresh clone in another folder still
# hits the compiler cache of an earlier build.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
cmake --preset ci >/dev/null
cmake --build --preset ci -j"$(nproc)"
ctest --preset ci "$@"
