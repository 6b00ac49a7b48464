#!/usr/bin/env bash
# Build small, real x86-64 kernel build directories (make O=...) from the Debian
# linux-source packages listed in manifest.tsv (role "source"):
#   $CACHE/trees/<version>/src     unpacked source (never written to after unpacking)
#   $CACHE/trees/<version>/build   the O= build directory: objects, .*.cmd, vmlinux.a,
#                                  vmlinux.o, vmlinux, System.map, Module.symvers, .config,
#                                  arch/x86/kernel/vmlinux.lds, one crypto module (.ko)
#   $CACHE/trees/<version>/build.log, config.log
# Config: tinyconfig + tree.config + tree-<major.minor>.config (in this directory);
# every option in the fragments is verified after olddefconfig.
# Markers (.src-complete, .build-complete) make reruns instant; a marker is written only
# after success, and a changed fragment, source package, compiler or this recipe rebuilds.
#
# arm64: a version whose manifest rows include arm64 packages (role dbg-arm64) also gets an
# arm64 tree, key <version>-arm64: $CACHE/trees/<version>-arm64/build, cross-built with
# aarch64-linux-gnu-gcc (ARCH=arm64) from the same unpacked $CACHE/trees/<version>/src, config
# tinyconfig + tree-arm64.config + tree-arm64-<major.minor>.config.
#
# Usage: build-trees.sh [--config-only] [key...]   (default: every version in manifest.tsv,
#        then its arm64 key when it has one)
#   --config-only: configure and verify the .config, do not build (no marker written)
# Exit: 0 all built; 1 error; 3 some source package not in the cache (run fetch.sh).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Bump when the way trees are built changes, to invalidate .build-complete markers.
RECIPE=1
JOBS="${RELINKABLE_JOBS:-$(nproc)}"
# Fixed build identity so the trees do not depend on who built them when.
export KBUILD_BUILD_USER=relinkable KBUILD_BUILD_HOST=relinkable
export KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 2026'
export LC_ALL=C

missing=()
summary=()

key_version() { printf '%s\n' "${1%-arm64}"; }           # 6.12.117-arm64 -> 6.12.117
series_of() { local v; v="$(key_version "$1")"; printf '%s\n' "${v%.*}"; }   # 6.12.117 -> 6.12
is_arm64() { [[ "$1" == *-arm64 ]]; }
# make's architecture arguments for a key: none for x86-64 (the machine's own gcc).
make_arch() { # <key>
  if is_arm64 "$1"; then printf '%s\n' ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-; fi
}

unpack_src() { # <version> <deb> <sha>
  local v="$1" deb="$2" sha="$3" dir="$TREES/$1" tarball t0
  if [[ -f "$dir/.src-complete" && "$(cat "$dir/.src-complete")" == "$sha" && -f "$dir/src/Makefile" ]]; then
    return 0
  fi
  log "$v: unpacking source from $(basename "$deb")"
  t0=$SECONDS
  rm -rf "$dir/.src-complete" "$dir/.build-complete" "$dir/src" "$dir/src.tmp"
  mkdir -p "$dir/src.tmp"
  tarball="./usr/src/linux-source-$(series_of "$v").tar.xz"
  dpkg-deb --fsys-tarfile "$deb" | tar -xO "$tarball" | tar -xJ -C "$dir/src.tmp" --strip-components=1
  local mk="$dir/src.tmp/Makefile" got
  got="$(awk -F' *= *' '/^VERSION =/{a=$2} /^PATCHLEVEL =/{b=$2} /^SUBLEVEL =/{c=$2} END{print a"."b"."c}' "$mk")"
  [[ "$got" == "$v" ]] || die "$v: unpacked source says version $got"
  mv "$dir/src.tmp" "$dir/src"
  printf '%s\n' "$sha" >"$dir/.src-complete"
  log "$v: source unpacked in $((SECONDS - t0)) s"
}

fragments_for() { # <key>
  local s f base=tree
  s="$(series_of "$1")"
  is_arm64 "$1" && base=tree-arm64
  printf '%s\n' "$CORPUS_SCRIPTS_DIR/$base.config"
  f="$CORPUS_SCRIPTS_DIR/$base-$s.config"
  [[ -f "$f" ]] || die "no config fragment $f for $1"
  printf '%s\n' "$f"
}

# Apply fragment lines with scripts/config. Accepts CONFIG_X=y|m|n|<value> and
# "# CONFIG_X is not set".
apply_fragment() { # <srcdir> <.config> <fragment>
  local src="$1" cfg="$2" frag="$3" line name val
  local args=()
  while IFS= read -r line || [[ -n "$line" ]]; do
    if [[ "$line" =~ ^#\ CONFIG_([A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
      args+=(--disable "${BASH_REMATCH[1]}")
    elif [[ "$line" =~ ^CONFIG_([A-Za-z0-9_]+)=(.*)$ ]]; then
      name="${BASH_REMATCH[1]}"; val="${BASH_REMATCH[2]}"
      case "$val" in
        y) args+=(--enable "$name") ;;
        m) args+=(--module "$name") ;;
        n) args+=(--disable "$name") ;;
        \"*\") val="${val#\"}"; args+=(--set-str "$name" "${val%\"}") ;;
        *) args+=(--set-val "$name" "$val") ;;
      esac
    elif [[ -z "${line// /}" || "$line" == \#* ]]; then
      continue
    else
      die "bad line in $frag: $line"
    fi
  done <"$frag"
  "$src/scripts/config" --file "$cfg" "${args[@]}"
}

# Every option requested by the fragments must be in .config exactly as asked.
verify_config() { # <.config> <fragment...>
  local cfg="$1" frag line name bad=()
  shift
  for frag in "$@"; do
    while IFS= read -r line || [[ -n "$line" ]]; do
      if [[ "$line" =~ ^#\ CONFIG_([A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
        name="${BASH_REMATCH[1]}"
        if grep -Eq "^CONFIG_${name}=" "$cfg"; then
          bad+=("$name (asked: not set, got: $(grep -E "^CONFIG_${name}=" "$cfg"))")
        fi
      elif [[ "$line" =~ ^CONFIG_([A-Za-z0-9_]+)=(.*)$ ]]; then
        name="${BASH_REMATCH[1]}"
        if [[ "${BASH_REMATCH[2]}" == n ]]; then
          grep -Eq "^CONFIG_${name}=" "$cfg" && bad+=("$name (asked: n, got: $(grep -E "^CONFIG_${name}=" "$cfg"))")
        elif ! grep -qxF "$line" "$cfg"; then
          bad+=("$name (asked: ${BASH_REMATCH[2]}, got: $(grep -E "^(# )?CONFIG_${name}[= ]" "$cfg" || echo 'absent: dependencies not met'))")
        fi
      fi
    done <"$frag"
  done
  if ((${#bad[@]})); then
    local b
    for b in "${bad[@]}"; do printf '%s\n' "[corpus] Kconfig did not keep: CONFIG_$b" >&2; done
    return 1
  fi
}

tool_id() { # <key>
  local cross=''
  is_arm64 "$1" && cross=aarch64-linux-gnu-
  {
    "${cross}gcc" --version | head -n1
    "${cross}ld" --version | head -n1
    pahole --version 2>/dev/null || echo no-pahole
  } | tr '\n' ' '
}

build_key() { # <version> <src sha>
  local f
  {
    echo "recipe $RECIPE src $2"
    tool_id "$1"; echo
    for f in $(fragments_for "$1"); do sha256sum <"$f"; done
  } | sha256sum | cut -d' ' -f1
}

build_tree() { # <key> <src sha>
  local v="$1" dir="$TREES/$1" key t0 t_build frags src march
  key="$(build_key "$v" "$2")"
  src="$TREES/$(key_version "$v")/src"
  mapfile -t march < <(make_arch "$v")
  if [[ -f "$dir/.build-complete" && "$(head -n1 "$dir/.build-complete")" == "$key" && -f "$dir/build/vmlinux" ]]; then
    summary+=("$v: cached  $(sed -n 2p "$dir/.build-complete")")
    return 0
  fi
  mapfile -t frags < <(fragments_for "$v")
  rm -rf "$dir/.build-complete" "$dir/build"
  mkdir -p "$dir/build"
  log "$v: configuring (tinyconfig + ${frags[*]##*/})"
  {
    make -C "$src" O="$dir/build" "${march[@]}" tinyconfig
    for f in "${frags[@]}"; do apply_fragment "$src" "$dir/build/.config" "$f"; done
    make -C "$src" O="$dir/build" "${march[@]}" olddefconfig
  } >"$dir/config.log" 2>&1 || { tail -n 30 "$dir/config.log" >&2; die "$v: configuration failed (see $dir/config.log)"; }
  if ! verify_config "$dir/build/.config" "${frags[@]}"; then
    die "$v: Kconfig dropped or changed requested options (listed above); fix the fragments in $CORPUS_SCRIPTS_DIR"
  fi
  log "$v: all $(cat "${frags[@]}" | grep -cE '^(CONFIG_|# CONFIG_.* is not set)') requested options verified in .config"
  if ((CONFIG_ONLY)); then
    summary+=("$v: configured only ($dir/build/.config)")
    return 0
  fi
  log "$v: building vmlinux and modules with -j$JOBS (log: $dir/build.log)"
  t0=$SECONDS
  if ! make -C "$src" O="$dir/build" "${march[@]}" -j"$JOBS" vmlinux modules >"$dir/build.log" 2>&1; then
    grep -E 'error|Error|warning: objtool' "$dir/build.log" | head -n 40 >&2 || true
    tail -n 20 "$dir/build.log" >&2
    die "$v: build failed (see $dir/build.log)"
  fi
  t_build=$((SECONDS - t0))
  local f karch=x86
  is_arm64 "$v" && karch=arm64
  for f in vmlinux vmlinux.o vmlinux.a System.map Module.symvers .config "arch/$karch/kernel/vmlinux.lds"; do
    [[ -s "$dir/build/$f" ]] || die "$v: build finished but $f is missing or empty"
  done
  local kos
  kos="$(cd "$dir/build" && find . -name '*.ko' -printf '%P ' )"
  [[ -n "$kos" ]] || die "$v: build produced no .ko"
  grep -q . "$dir/build/Module.symvers" || die "$v: Module.symvers is empty"
  local info
  info="built in ${t_build}s with -j$JOBS; $(human_size "$dir/build") build dir; modules: ${kos% }; warnings: $(grep -c 'warning:' "$dir/build.log" || true)"
  printf '%s\n%s\n' "$key" "$info" >"$dir/.build-complete"
  summary+=("$v: $info")
}

CONFIG_ONLY=0
main() {
  if [[ "${1:-}" == --config-only ]]; then CONFIG_ONLY=1; shift; fi
  local versions=("$@") v row pkg ver sha deb
  if ((${#versions[@]} == 0)); then
    while IFS= read -r v; do
      versions+=("$v")
      if manifest_row "$v" dbg-arm64 >/dev/null; then versions+=("$v-arm64"); fi
    done < <(manifest_versions)
  fi
  mkdir -p "$TREES"
  for v in "${versions[@]}"; do
    if ! row="$(manifest_row "$(key_version "$v")" source)"; then
      die "$v: no source package for this version in $MANIFEST"
    fi
    IFS=$'\t' read -r pkg ver sha _ <<<"$row"
    # A finished tree whose source matches the manifest needs no .deb any more.
    if [[ -f "$TREES/$(key_version "$v")/.src-complete" && "$(cat "$TREES/$(key_version "$v")/.src-complete")" == "$sha" \
          && -f "$TREES/$v/.build-complete" \
          && "$(head -n1 "$TREES/$v/.build-complete")" == "$(build_key "$v" "$sha")" ]]; then
      summary+=("$v: cached  $(sed -n 2p "$TREES/$v/.build-complete")")
      continue
    fi
    if ! deb="$(deb_path "$pkg" "$ver")"; then
      warn "$v: $pkg=$ver is not in $DEBS (run scripts/corpus/fetch.sh): tree $v unavailable"
      missing+=("$pkg=$ver (tree $v)")
      continue
    fi
    sha256_ok "$deb" "$sha" || die "$v: $(basename "$deb") does not match the manifest; rerun fetch.sh"
    unpack_src "$(key_version "$v")" "$deb" "$sha"
    build_tree "$v" "$sha"
  done
  log "trees in $TREES:"
  local s
  for s in "${summary[@]}"; do log "  $s"; done
  if ((${#missing[@]})); then
    log "missing source packages, so these trees are unavailable: ${missing[*]}"
    exit 3
  fi
}

main "$@"
