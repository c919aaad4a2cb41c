#!/usr/bin/env bash
# The README's first command, as a newcomer would run it, without a terminal: deploy/demo.sh
# --exit-after-sync with the binaries of this build, in a scratch folder on free ports. It must
# connect both simulated people through OAuth, finish their backfills, acknowledge webhook
# deliveries, print a single-use status link, and leave the status page reporting every
# user × resource fresh. A second run reuses the data.
#   demo_test.sh BIN_DIR
set -euo pipefail
bin=${1:?bin dir}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/oura-demo-test.XXXXXX)
chmod 755 "$work"
trap 'OURA_DEMO_DIR=$work/demo bash "$root/deploy/demo.sh" stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
# Three consecutive free ports for the services.
while :; do
  base=$(free_port)
  [ "$base" -lt 65000 ] || continue
  python3 - "$base" <<'PY' && break
import socket, sys
b = int(sys.argv[1])
for p in range(b, b + 3):
    s = socket.socket(); s.bind(("127.0.0.1", p)); s.close()
PY
done
export OURA_DEMO_DIR=$work/demo OURA_DEMO_BIN=$bin OURA_DEMO_PORT=$(free_port) OURA_DEMO_HTTP_PORT=$base
count() { { grep -o "$1" "$2" || true; } | wc -l; }
fail() { echo "FAIL: $*"; echo "--- demo output:"; tail -40 "$work/run.log"; exit 1; }

bash "$root/deploy/demo.sh" --exit-after-sync >"$work/run.log" 2>&1 || fail "the demo exited $?"
grep -q "connected 2 people through OAuth" "$work/run.log" || fail "the people were not connected through OAuth"
grep -q "/status/login?code=" "$work/run.log" || fail "no single-use status link was printed"
grep -q "read.token" "$work/run.log" || fail "the read token's file was not named"
grep -Eq "[1-9][0-9]* webhook deliveries acknowledged" "$work/run.log" || fail "no webhook delivery was acknowledged"
status=$work/demo/status.html
fresh=$(count 'class="freshness ok"' "$status")
late=$(count 'class="freshness \(late\|stale\)"' "$status")
# 2 people × 19 resources (the 18 collections and personal_info) per the simulator's catalog.
[ "$fresh" -ge 38 ] || fail "the status page shows $fresh fresh user × resource pairs, expected 38"
[ "$late" -eq 0 ] || fail "the status page shows $late late or stale pairs"
grep -q "backfill" "$work/run.log" || fail "no backfill progress was shown"
if ! grep -q "backfill .*: following it" "$work/run.log"; then
  echo "note: the backfills had finished before the demo looked"
fi
echo "first run: $fresh pairs fresh, 0 late; $(grep -o '[0-9]* webhook deliveries acknowledged' "$work/run.log")"

# Again: the same data, nothing fetched twice, still fresh.
bash "$root/deploy/demo.sh" --exit-after-sync >"$work/run.log" 2>&1 || fail "the second run exited $?"
grep -q "poller: 0 inserted" "$work/run.log" || grep -Eq "poller: [0-9]{1,3} inserted" "$work/run.log" ||
  fail "the second run fetched everything again: $(grep 'poller:' "$work/run.log")"
late=$(count 'class="freshness \(late\|stale\)"' "$status")
[ "$late" -eq 0 ] || fail "after the second run the status page shows $late late or stale pairs"
echo "second run: $(grep 'poller:' "$work/run.log")"
echo "ok"
