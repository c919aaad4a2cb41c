#!/usr/bin/env bash
# The image's file tree works on its own: deploy/runtime-tree.sh assembles the binaries and the
# libraries ldd finds into a fresh folder, and every binary's --help runs from that folder alone
# (chroot: nothing of this machine's /usr is visible). The binaries come from the build's list of
# targets; services not built yet are named as skipped.
#   runtime_tree_test.sh "SKIPPED NAMES" BINARY...
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
skipped=$1
shift
tree=$(mktemp -d /tmp/oura-runtime-tree.XXXXXX)
trap 'rm -rf "$tree"' EXIT
bash "$root/deploy/runtime-tree.sh" "$tree" "$@"
mkdir -p "$tree/proc"
pass=0 fail=0
for b in "$@"; do
  name=$(basename "$b")
  # The ci build carries ASan, whose leak check reads /proc: mount one in a private mount namespace
  # (as a container runtime does), nothing else of this machine.
  if out=$(unshare --mount --fork sh -c 'mount -t proc proc "$1/proc" && exec chroot "$1" "$2" --help' \
             sh "$tree" "/usr/local/bin/$name" 2>&1) &&
     grep -qi "usage" <<<"$out"; then
    echo "ok   $name --help from the tree: $(grep -i -m1 usage <<<"$out")"
    pass=$((pass + 1))
  else
    echo "FAIL: $name --help from the tree:"; echo "$out" | grep -v '==WARNING' | head -20
    fail=$((fail + 1))
  fi
done
# Nothing of a compiler or headers belongs in the runtime tree.
if find "$tree" -name '*.h' -o -name '*.hpp' -o -name 'cc1plus' -o -name 'g++*' | grep -q .; then
  echo "FAIL: the runtime tree holds headers or a compiler"; fail=$((fail + 1))
else
  pass=$((pass + 1))
fi
for s in $skipped; do echo "skipped: $s (not a target of this build yet)"; done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
