#!/usr/bin/env bash
# relink-oracle.sh <tree-build-dir> <frozen.o> <path-in-tree> [<frozen.o> <path-in-tree>]...
#
# More than one pair relinks a set of frozen objects together, in one copy of the tree.
#
# The real linker as oracle: do exactly what a FIPS user does with a frozen object.
#   1. copy the kernel build directory (make O=...) to a private temp dir (the given tree is
#      never modified; the copy still uses the tree's own source directory),
#   2. copy the frozen object over <path-in-tree> (e.g. crypto/jitterentropy.o) and make it
#      newer than everything it depends on, so kbuild does not recompile it,
#   3. relink: make -C <srctree> O=<copy> vmlinux,
#   4. check that kbuild did NOT recompile the frozen object (sha256 before/after and the
#      build log), then report the linker's verdict.
#
# stdout: sorted, unique lines
#   undefined <symbol>   for each "undefined reference to `symbol'"
#   multiple <symbol>    for each "multiple definition of `symbol'"
# Exit: 0 relink succeeded; 1 relink failed with link errors (the lines above);
#       2 anything else (bad arguments, kbuild recompiled the object, other build error);
#         the relevant part of the build log goes to stderr.
# Env: RELINKABLE_JOBS (default nproc), RELINKABLE_KEEP_TMP=1 keeps the copy for inspection.
set -euo pipefail
export LC_ALL=C
# Same build identity as build-trees.sh, so only what the relink really changes differs.
export KBUILD_BUILD_USER=relinkable KBUILD_BUILD_HOST=relinkable
export KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 2026'

fail() { printf 'relink-oracle: %s\n' "$*" >&2; exit 2; }

(($# >= 3 && $# % 2 == 1)) || fail "usage: $0 <tree-build-dir> <frozen.o> <path-in-tree, e.g. crypto/jitterentropy.o> [<frozen.o> <path-in-tree>]..."
tree="$(cd "$1" 2>/dev/null && pwd)" || fail "no such build directory: $1"
shift
frozens=()
rels=()
while (($#)); do
  frozen="$(realpath -e "$1" 2>/dev/null)" || fail "no such object: $1"
  rel="$2"
  shift 2
  [[ "$rel" != /* && "$rel" != *..* && "$rel" == *.o ]] || fail "path-in-tree must be a relative path to a .o inside the tree: $rel"
  [[ -e "$tree/$rel" ]] || fail "$tree does not look like a built kernel tree: $rel missing"
  [[ "$(od -An -tx1 -N4 "$frozen" | tr -d ' ')" == 7f454c46 ]] || fail "$frozen is not an ELF file"
  readelf -h "$frozen" | grep -q 'REL (Relocatable file)' || fail "$frozen is not a relocatable object"
  frozens+=("$frozen")
  rels+=("$rel")
done
for f in .config Makefile vmlinux.a; do
  [[ -e "$tree/$f" ]] || fail "$tree does not look like a built kernel tree: $f missing"
done

# The source tree the build directory was configured against (O= builds write a wrapper
# Makefile that includes it; 6.x also keep a 'source' symlink).
if [[ -L "$tree/source" ]]; then
  srctree="$(readlink -f "$tree/source")"
else
  srctree="$(sed -n 's/^include[[:space:]]\{1,\}\(\/.*\)\/Makefile$/\1/p' "$tree/Makefile" | head -n1)"
fi
[[ -n "$srctree" && -f "$srctree/Makefile" ]] || fail "cannot find the source tree of $tree"

# An O= directory does not remember the architecture it was configured for: an arm64 tree
# (build-trees.sh <v>-arm64) is relinked with the cross toolchain, aarch64-linux-gnu-ld.
march=()
if grep -qx 'CONFIG_ARM64=y' "$tree/.config"; then
  march=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/relink-oracle.XXXXXX")"
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  if [[ "${RELINKABLE_KEEP_TMP:-0}" == 1 ]]; then
    printf 'relink-oracle: kept %s\n' "$tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
copy="$tmp/build"
log="$tmp/relink.log"

cp -a --reflink=auto "$tree" "$copy"
for i in "${!frozens[@]}"; do
  cp "${frozens[$i]}" "$copy/${rels[$i]}"
  # Newer than its sources, headers and .cmd file: kbuild's if_changed sees nothing to do.
  touch "$copy/${rels[$i]}"
done

rc=0
# pahole without -j (pahole-serial.sh says why): one relink, one vmlinux BTF.
make -C "$srctree" O="$copy" "${march[@]}" PAHOLE="$(dirname "$(realpath "$0")")/pahole-serial.sh" \
  -j"${RELINKABLE_JOBS:-$(nproc)}" vmlinux >"$log" 2>&1 || rc=$?

for i in "${!frozens[@]}"; do
  rel="${rels[$i]}"
  want="$(sha256sum <"${frozens[$i]}" | cut -d' ' -f1)"
  got="$(sha256sum <"$copy/$rel" | cut -d' ' -f1)"
  if [[ "$got" != "$want" ]] || grep -Eq "^[[:space:]]+(CC|AS|CC \[M\]|AS \[M\])[[:space:]]+${rel//./\\.}\$" "$log"; then
    grep -E "^[[:space:]]+[A-Z]+.*[[:space:]]${rel//./\\.}\$" "$log" >&2 || true
    fail "kbuild rebuilt $rel instead of linking the frozen object (sha256 now $got, frozen $want)"
  fi
done

# ld (C locale) quotes symbols as `sym'; tolerate Unicode quotes too.
results="$(
  sed -nE \
    -e "s/.*undefined reference to [\`'‘]([^'’]+)['’].*/undefined \1/p" \
    -e "s/.*multiple definition of [\`'‘]([^'’]+)['’].*/multiple \1/p" \
    "$log" | sort -u
)"

if ((rc == 0)); then
  # A successful link may still carry objtool/ld warnings worth seeing.
  grep -E 'warning:' "$log" | grep -v '^make' | head -n 20 >&2 || true
  [[ -z "$results" ]] || printf '%s\n' "$results"
  exit 0
fi
if [[ -n "$results" ]]; then
  printf '%s\n' "$results"
  exit 1
fi
{
  echo "relink-oracle: make vmlinux failed (exit $rc) without undefined/multiple-definition errors; build log:"
  grep -nE 'error|Error|warning|\*\*\*' "$log" | head -n 40 || true
  echo "--- last lines ---"
  tail -n 30 "$log"
} >&2
exit 2
