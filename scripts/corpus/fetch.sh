#!/usr/bin/env bash
# Fetch the pinned Debian kernel packages (manifest.tsv) into $CACHE/debs, verify their
# sha256, and extract only the members relinkable needs into $CACHE/corpus/<version>/,
# keeping Debian's paths (so each version directory looks like an unpacked Debian install).
#
#   CACHE = ${RELINKABLE_CACHE:-$HOME/.cache/relinkable}
#
# A version is extracted once; $CACHE/corpus/<version>/.complete records the sha256 of the
# packages it came from and is written only after every member was extracted and checked.
# When the marker matches the manifest, the version's dbg/headers .debs are not needed again.
# Source packages (role "source") are only downloaded here; build-trees.sh unpacks them.
#
# Exit: 0 everything present; 1 error (sha256 mismatch, failed extraction, ...);
#       3 some package could not be downloaded (listed at the end), the rest is done.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Bump when the extracted member list changes: invalidates .complete markers.
RECIPE=4
JOBS="${RELINKABLE_JOBS:-$(nproc)}"
export LC_ALL=C

declare -A unavailable=()   # "pkg=ver" -> reason
errors=()
apt_updated=0

# Modules extracted from the -dbg package (relative to usr/lib/debug/lib/modules/<rel>/kernel;
# tar wildcards). jitterentropy_rng.ko exists only in 6.1: from 6.x on Debian builds it into
# vmlinux (CONFIG_CRYPTO_JITTERENTROPY=y), see the extracted .config. Every crypto module of
# 6.1.170 (102, about 10 MB): the frozen objects a FIPS kernel certifies, checked against each
# later kernel (the golden reports, the gate's precision table). 6.1.170's nf_conntrack.ko
# defines its own BPF kfuncs (bpf_ct_*) and names them in .BTF_ids.
modules_for() { # <key>
  case "$1" in
    # arm64 (Debian's arm64 -dbg packages): every crypto module of 6.1.170 (97, the arm64
    # counterpart of the amd64 set), gcm.ko of later versions; arm64 has no kvm modules.
    6.1.170-arm64) printf '%s\n' 'crypto/*.ko' 'arch/arm64/crypto/*.ko'; return ;;
    *-arm64) printf '%s\n' crypto/gcm.ko; return ;;
    # tar names a member once: a listed module the wildcards already take would be "not found".
    6.1.170) printf '%s\n' 'crypto/*.ko' 'arch/x86/crypto/*.ko' net/netfilter/nf_conntrack.ko ;;
    6.1.*) printf '%s\n' crypto/jitterentropy_rng.ko crypto/gcm.ko arch/x86/crypto/aesni-intel.ko ;;
    *) printf '%s\n' crypto/gcm.ko arch/x86/crypto/aesni-intel.ko ;;
  esac
  printf '%s\n' arch/x86/kvm/kvm.ko arch/x86/kvm/kvm-intel.ko arch/x86/kvm/kvm-amd.ko
}
# Module lists next to the modules (relative to usr/lib/debug/lib/modules/<rel>): which
# modules are built in, as modprobe knows it. Only the 6.12 dbg packages ship them.
module_lists_for() { # <key>
  case "$1" in
    6.12.*) printf '%s\n' modules.builtin modules.builtin.modinfo modules.order ;;
  esac
}
# Files from linux-headers-<abi>-common; the first is required, the others only if the
# package ships them (tools/objtool/noreturns.h is not in any of the pinned packages).
COMMON_REQUIRED=(arch/x86/include/asm/cpufeatures.h)
COMMON_OPTIONAL=(arch/x86/include/asm/extable_fixup_types.h tools/objtool/noreturns.h)
# arm64: the exception-table entry types and the alternatives' entry layout (special-section
# formats) from -common; the generated cpucap numbers from the arch headers package
# (cpucaps.h in 6.1, cpucap-defs.h from 6.3 on: hence the wildcard).
COMMON_REQUIRED_ARM64=(arch/arm64/include/asm/asm-extable.h arch/arm64/include/asm/alternative-macros.h)
HEADERS_ARM64=('arch/arm64/include/generated/asm/cpucap*.h')

# A corpus key names one extracted kernel: <v> for amd64 (as before), <v>-arm64 for arm64.
# The arm64 rows of the manifest have the roles dbg-arm64 and headers-arm64; headers-common
# and source are architecture-independent ("all") and shared with amd64.
key_arch() { if [[ "$1" == *-arm64 ]]; then echo arm64; else echo amd64; fi; }
key_version() { printf '%s\n' "${1%-arm64}"; }
key_row() { # <key> <role: dbg|headers|headers-common>
  local role="$2"
  [[ "$(key_arch "$1")" == arm64 && "$role" != headers-common ]] && role="$role-arm64"
  manifest_row "$(key_version "$1")" "$role"
}
# Every corpus key of the manifest: each version with an amd64 dbg row, then with an arm64 one.
corpus_keys() {
  local v
  while IFS= read -r v; do
    if manifest_row "$v" dbg >/dev/null; then printf '%s\n' "$v"; fi
    if manifest_row "$v" dbg-arm64 >/dev/null; then printf '%s\n' "$v-arm64"; fi
  done < <(manifest_versions)
}

# The .complete marker a version directory must carry for the current manifest.
expected_marker() { # <key>
  local role
  echo "recipe $RECIPE"
  for role in dbg headers headers-common; do
    key_row "$1" "$role" | awk -F'\t' '{print $3"  "$1"="$2"  "$4}'
  done
}

corpus_complete() { # <key>
  [[ -f "$CORPUS/$1/.complete" && "$(cat "$CORPUS/$1/.complete")" == "$(expected_marker "$1")" ]]
}

src_consumed() { # <version> <sha>
  [[ -f "$TREES/$1/.src-complete" && "$(cat "$TREES/$1/.src-complete")" == "$2" ]]
}

# Download pkg=ver with apt-get download into $DEBS (via a partial directory).
# On "unknown package/version" runs apt-get update once (root only) and retries.
# An arm64 kernel package is named with its architecture (pkg:arm64), which apt knows only
# once arm64 is a foreign architecture of dpkg (added here when root; apt-get update follows).
download() { # <pkg> <ver>
  local pkg="$1" ver="$2" part="$DEBS/.partial" out rc qualified="$1"
  if [[ "$pkg" =~ -arm64(-dbg)?$ ]]; then
    qualified="$pkg:arm64"
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
      if ((EUID == 0)); then
        log "adding arm64 as a foreign dpkg architecture (for $pkg)"
        dpkg --add-architecture arm64
        apt_updated=1
        apt-get update -qq >&2 || warn "apt-get update failed"
      else
        warn "arm64 is not a dpkg architecture and we are not root: run dpkg --add-architecture arm64 && apt-get update"
      fi
    fi
  fi
  mkdir -p "$part"
  rm -f "$part"/*.deb
  while :; do
    log "downloading $qualified=$ver"
    rc=0
    out="$(cd "$part" && apt-get download "$qualified=$ver" 2>&1)" || rc=$?
    if ((rc == 0)) && compgen -G "$part/*.deb" >/dev/null; then
      mv "$part"/*.deb "$DEBS/"
      return 0
    fi
    rm -f "$part"/*.deb
    if ((apt_updated == 0)) && grep -qE "Unable to locate package|Can't find a source to download|Version .* was not found|has no installation candidate" <<<"$out"; then
      apt_updated=1
      if ((EUID == 0)); then
        log "apt does not know $pkg=$ver; running apt-get update once"
        apt-get update -qq >&2 || warn "apt-get update failed"
        continue
      fi
      warn "not root: cannot run apt-get update"
    fi
    unavailable["$pkg=$ver"]="$(grep -E '^(E|Err):' <<<"$out" | head -n 2 | tr '\n' ' ' || true)"
    [[ -n "${unavailable["$pkg=$ver"]}" ]] || unavailable["$pkg=$ver"]="apt-get download failed (exit $rc)"
    warn "cannot download $pkg=$ver: ${unavailable["$pkg=$ver"]}"
    return 1
  done
}

# Make sure pkg=ver is in $DEBS with the pinned sha256. Returns 1 if unavailable/bad.
ensure_deb() { # <pkg> <ver> <sha>
  local deb
  if ! deb="$(deb_path "$1" "$2")"; then
    download "$1" "$2" || return 1
    deb="$(deb_path "$1" "$2")" || { errors+=("$1=$2: downloaded file not found in $DEBS"); return 1; }
  fi
  if ! sha256_ok "$deb" "$3"; then
    rm -f "$deb"
    errors+=("$1=$2: sha256 mismatch, deleted $(basename "$deb")")
    return 1
  fi
}

# Modules taken from the signed image package (role "signed"): as Debian ships them, with the
# signature of the build's own key appended (the -dbg copies carry none).
SIGNED_MODULES=(crypto/drbg.ko crypto/gcm.ko crypto/jitterentropy_rng.ko)

# Fetch and extract the signed modules of a version into $CACHE/signed/<v>, if the manifest
# pins a signed package for it. Marker last, holding the package's sha256.
signed_modules() { # <version>
  local v="$1" pkg ver sha role deb rel dir tmp m row
  row="$(manifest_row "$v" signed)" || return 0
  IFS=$'\t' read -r pkg ver sha role <<<"$row"
  dir="$CACHE/signed/$v"
  [[ -f "$dir/.complete" && "$(cat "$dir/.complete")" == "$sha" ]] && return 0
  ensure_deb "$pkg" "$ver" "$sha" || return 0
  deb="$(deb_path "$pkg" "$ver")"; rel="$(abi_of "$pkg" signed)-amd64"
  tmp="$CACHE/signed/.tmp-$v"; rm -rf "$tmp" "$dir"; mkdir -p "$tmp"
  local members=()
  for m in "${SIGNED_MODULES[@]}"; do members+=("./lib/modules/$rel/kernel/$m"); done
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "${members[@]}" || { errors+=("$v: signed modules not extracted"); return 0; }
  for m in "${members[@]}"; do
    tail -c 28 "$tmp/$m" | grep -q '~Module signature appended~' || { errors+=("$v: $m carries no signature"); return 0; }
  done
  printf '%s\n' "$sha" >"$tmp/.complete"
  mv "$tmp" "$dir"
  log "$v: ${#members[@]} signed modules -> $dir"
}

# Extract one version into $CORPUS/<v> (via a temporary directory, marker last).
extract_version() { # <key>
  local v="$1" pkg ver sha role dbg hdr cmn abi rel tmp t0 m arch
  t0=$SECONDS
  arch="$(key_arch "$v")"
  IFS=$'\t' read -r pkg ver sha role <<<"$(key_row "$v" dbg)"
  dbg="$(deb_path "$pkg" "$ver")"; abi="$(abi_of "$pkg" "$role")"; rel="$abi-$arch"
  IFS=$'\t' read -r pkg ver sha role <<<"$(key_row "$v" headers)"
  hdr="$(deb_path "$pkg" "$ver")"
  IFS=$'\t' read -r pkg ver sha role <<<"$(key_row "$v" headers-common)"
  cmn="$(deb_path "$pkg" "$ver")"
  [[ "$(abi_of "$pkg" headers-common)" == "$abi" ]] || { echo "ABI mismatch between packages of $v"; return 1; }

  tmp="$CORPUS/.tmp-$v"
  rm -rf "$tmp"; mkdir -p "$tmp"

  local dbg_members=("./usr/lib/debug/boot/vmlinux-$rel" "./usr/lib/debug/boot/System.map-$rel")
  while IFS= read -r m; do dbg_members+=("./usr/lib/debug/lib/modules/$rel/kernel/$m"); done < <(modules_for "$v")
  while IFS= read -r m; do dbg_members+=("./usr/lib/debug/lib/modules/$rel/$m"); done < <(module_lists_for "$v")
  local hdr_members=("./usr/src/linux-headers-$rel/Module.symvers" "./usr/src/linux-headers-$rel/.config")
  local cmn_members=() listing required=("${COMMON_REQUIRED[@]}") optional=("${COMMON_OPTIONAL[@]}")
  if [[ "$arch" == arm64 ]]; then
    required=("${COMMON_REQUIRED_ARM64[@]}"); optional=()
    for m in "${HEADERS_ARM64[@]}"; do hdr_members+=("./usr/src/linux-headers-$rel/$m"); done
  fi
  for m in "${required[@]}"; do cmn_members+=("./usr/src/linux-headers-$abi-common/$m"); done
  listing="$(dpkg-deb --fsys-tarfile "$cmn" | tar -t)" || return 1
  for m in "${optional[@]}"; do
    if grep -qxF "./usr/src/linux-headers-$abi-common/$m" <<<"$listing"; then
      cmn_members+=("./usr/src/linux-headers-$abi-common/$m")
    fi
  done

  dpkg-deb --fsys-tarfile "$hdr" | tar -x -C "$tmp" --wildcards "${hdr_members[@]}" || return 1
  dpkg-deb --fsys-tarfile "$cmn" | tar -x -C "$tmp" --wildcards "${cmn_members[@]}" || return 1
  # The big one: streams the whole xz data member once (1-2 minutes), writes ~0.4-0.7 GB.
  dpkg-deb --fsys-tarfile "$dbg" | tar -x -C "$tmp" --wildcards "${dbg_members[@]}" || return 1

  local f matched
  for m in "${dbg_members[@]}" "${hdr_members[@]}" "${cmn_members[@]}"; do
    # A wildcard member must match at least one file; each file it matched is checked like a named one.
    matched=0
    for f in "$tmp"/$m; do
      [[ -e "$f" || -L "$f" ]] || continue
      matched=1
      if [[ -L "$f" || ! -f "$f" || ! -s "$f" ]]; then
        echo "member ${f#"$tmp"/} empty or not a regular file after extraction"
        return 1
      fi
    done
    if ((matched == 0)); then
      echo "member $m missing after extraction"
      return 1
    fi
  done
  expected_marker "$v" >"$tmp/.complete"
  rm -rf "$CORPUS/.old-$v"
  [[ -e "$CORPUS/$v" ]] && mv "$CORPUS/$v" "$CORPUS/.old-$v"
  mv "$tmp" "$CORPUS/$v"
  rm -rf "$CORPUS/.old-$v"
  echo "extracted in $((SECONDS - t0)) s"
}

summary_version() { # <key>
  local v="$1" d="$CORPUS/$1" f deb
  if corpus_complete "$v"; then
    log "  $v: corpus $d ($(human_size "$d"))"
    while IFS= read -r f; do
      log "      $(printf '%8s' "$(du -h --apparent-size "$d/$f" | cut -f1)")  $f"
    done < <(cd "$d" && find . -type f ! -name .complete -printf '%P\n' | sort)
  else
    log "  $v: corpus NOT available"
  fi
  [[ "$(key_arch "$v")" == amd64 ]] || return 0  # the source package is shared: shown once
  local pkg ver sha role
  IFS=$'\t' read -r pkg ver sha role <<<"$(manifest_row "$v" source)"
  if src_consumed "$v" "$sha"; then
    log "      source: unpacked in $TREES/$v/src"
  elif deb="$(deb_path "$pkg" "$ver")"; then
    log "      source: $(basename "$deb") ($(human_size "$deb"))"
  else
    log "      source: $pkg=$ver NOT available"
  fi
}

main() {
  if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
    die "needs apt-get and dpkg-deb (Debian)"
  fi
  mkdir -p "$DEBS" "$CORPUS"
  local t0=$SECONDS versions keys v pkg ver sha role
  mapfile -t versions < <(manifest_versions)
  mapfile -t keys < <(corpus_keys)

  # 1. Packages: download what is missing, verify what is needed.
  declare -A version_ok=()
  for v in "${keys[@]}"; do
    version_ok["$v"]=1
    if corpus_complete "$v"; then
      :
    else
      for role in dbg headers headers-common; do
        IFS=$'\t' read -r pkg ver sha role <<<"$(key_row "$v" "$role")" || die "manifest has no $role package for $v"
        ensure_deb "$pkg" "$ver" "$sha" || version_ok["$v"]=0
      done
    fi
  done
  for v in "${versions[@]}"; do
    IFS=$'\t' read -r pkg ver sha role <<<"$(manifest_row "$v" source)" || die "manifest has no source package for $v"
    src_consumed "$v" "$sha" || ensure_deb "$pkg" "$ver" "$sha" || true
  done
  log "packages checked in $((SECONDS - t0)) s"

  # 2. Extraction, up to $JOBS versions at once (each is one xz stream, one core).
  local todo=() status_dir
  for v in "${keys[@]}"; do
    corpus_complete "$v" && continue
    if ((version_ok["$v"] == 0)); then
      warn "version $v is unavailable: not extracting it (missing or bad packages above)"
      continue
    fi
    todo+=("$v")
  done
  if ((${#todo[@]})); then
    status_dir="$(mktemp -d)"
    for v in "${todo[@]}"; do
      while (($(jobs -rp | wc -l) >= JOBS)); do wait -n || true; done
      log "$v: extracting"
      # errexit stays active in this subshell (not a condition context): any failed
      # pipeline aborts the extraction and no .ok is written.
      ( extract_version "$v" >"$status_dir/$v.out" 2>&1; touch "$status_dir/$v.ok" ) &
    done
    wait
    for v in "${todo[@]}"; do
      if [[ -f "$status_dir/$v.ok" ]]; then
        log "$v: $(tail -n1 "$status_dir/$v.out")"
      else
        cat "$status_dir/$v.out" >&2
        rm -rf "$CORPUS/.tmp-$v"
        errors+=("$v: extraction failed; $CORPUS/$v left as it was (no .complete marker written)")
      fi
    done
    rm -rf "$status_dir"
  fi

  for v in "${versions[@]}"; do signed_modules "$v"; done

  # 3. Summary.
  log "cache: $CACHE"
  for v in "${keys[@]}"; do summary_version "$v"; done
  log "done in $((SECONDS - t0)) s"

  if ((${#unavailable[@]})); then
    local k
    log "MISSING packages (not downloadable from the configured apt sources; the archive drops superseded security versions):"
    for k in $(printf '%s\n' "${!unavailable[@]}" | sort); do
      local p="${k%%=*}" vv="${k#*=}" rl
      rl="$(manifest_rows | awk -F'\t' -v p="$p" -v v="$vv" '$1==p && $2==v {print $4}')"
      log "  $k (role $rl) -> $(if [[ $rl == source ]]; then echo "tree $(upstream_of "$vv")"; else echo "corpus $(upstream_of "$vv")$([[ $rl == *-arm64 ]] && echo -arm64)"; fi) unavailable"
    done
  fi
  if ((${#errors[@]})); then
    local e
    for e in "${errors[@]}"; do log "ERROR: $e"; done
    exit 1
  fi
  ((${#unavailable[@]} == 0)) || exit 3
}

main "$@"
