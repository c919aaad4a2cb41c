#!/usr/bin/env bash
# Assembles the container image's runtime file tree: the given binaries in OUT/usr/local/bin and
# every shared library `ldd` finds for them (the dynamic loader included) at the same path under
# OUT, so OUT is complete on its own (`chroot OUT poller --help` works). deploy/Dockerfile runs this
# in its build stage and copies OUT into the slim runtime stage; tests/chart/runtime_tree_test.sh
# runs it here, where no Docker engine is.
#   deploy/runtime-tree.sh OUT BINARY...     (paths of built binaries)
set -euo pipefail
out=${1:?usage: runtime-tree.sh OUT BINARY...}
shift
[ $# -gt 0 ] || { echo "runtime-tree: no binaries given" >&2; exit 2; }

mkdir -p "$out/usr/local/bin"
# Debian 12 merges /usr: /lib and /lib64 are links into usr/. Lay the links first, so libraries
# found under /lib land in usr/lib as in the runtime image (whose /lib is such a link too).
for d in lib lib64 lib32 libx32; do
  if [ -L "/$d" ] && [ ! -e "$out/$d" ]; then
    ln -s "$(readlink "/$d")" "$out/$d"
    mkdir -p "$out/$(readlink "/$d" | sed 's|^/||')"
  fi
done
# Copies FILE to OUT at the same path; when FILE is a link, the link too (the loader finds
# libraries by their soname, which is usually a link to the versioned file).
copy_at_path() {
  local f=$1
  mkdir -p "$out$(dirname "$f")"
  if [ -L "$f" ]; then
    local real; real=$(readlink -f "$f")
    mkdir -p "$out$(dirname "$real")"
    [ -e "$out$real" ] || cp -p "$real" "$out$real"
    [ -e "$out$f" ] || [ -L "$out$f" ] || ln -s "$real" "$out$f"
  else
    [ -e "$out$f" ] || cp -p "$f" "$out$f"
  fi
}

libs=0
for b in "$@"; do
  [ -x "$b" ] || { echo "runtime-tree: $b is not an executable" >&2; exit 2; }
  install -m 0755 "$b" "$out/usr/local/bin/$(basename "$b")"
  # ldd lines: "libx.so.1 => /path/libx.so.1 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)".
  while read -r lib; do
    copy_at_path "$lib"
    libs=$((libs + 1))
  done < <(ldd "$b" | awk '/=> \// {print $3} /^[ \t]*\// {print $1}')
done
echo "runtime-tree: $# binaries, $(find "$out" -name '*.so*' -type f | wc -l) shared libraries, $(du -sh "$out" | cut -f1) in $out"
