# shellcheck shell=bash
# shellcheck disable=SC2034  # variables are used by the scripts that source this file
# Shared helpers for scripts/corpus/*.sh. Sourced, not executed.

CORPUS_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MANIFEST="$CORPUS_SCRIPTS_DIR/manifest.tsv"
CACHE="${RELINKABLE_CACHE:-$HOME/.cache/relinkable}"
DEBS="$CACHE/debs"
CORPUS="$CACHE/corpus"
TREES="$CACHE/trees"

log()  { printf '%s\n' "[corpus] $*" >&2; }
warn() { printf '%s\n' "[corpus] WARNING: $*" >&2; }
die()  { printf '%s\n' "[corpus] ERROR: $*" >&2; exit "${2:-1}"; }

# Print manifest rows as "package<TAB>version<TAB>sha256<TAB>role", comments stripped.
manifest_rows() {
  local pkg ver sha role extra
  while IFS=$'\t' read -r pkg ver sha role extra || [[ -n "${pkg:-}" ]]; do
    [[ -z "$pkg" || "$pkg" == \#* ]] && continue
    if [[ -z "$role" || -n "${extra:-}" || ! "$sha" =~ ^[0-9a-f]{64}$ ]]; then
      die "malformed manifest line in $MANIFEST: $pkg $ver $sha $role"
    fi
    printf '%s\t%s\t%s\t%s\n' "$pkg" "$ver" "$sha" "$role"
  done <"$MANIFEST"
}

# Upstream kernel version of a Debian version: 6.12.117-1~deb12u1 -> 6.12.117
upstream_of() { local v="${1#*:}"; printf '%s\n' "${v%%-*}"; }

# Upstream versions in manifest order, unique.
manifest_versions() {
  manifest_rows | while IFS=$'\t' read -r _ ver _ _; do upstream_of "$ver"; done | awk '!seen[$0]++'
}

# The manifest row (package ver sha role) for an upstream version and a role.
manifest_row() { # <upstream> <role>
  local pkg ver sha role
  while IFS=$'\t' read -r pkg ver sha role; do
    if [[ "$role" == "$2" && "$(upstream_of "$ver")" == "$1" ]]; then
      printf '%s\t%s\t%s\t%s\n' "$pkg" "$ver" "$sha" "$role"
      return 0
    fi
  done < <(manifest_rows)
  return 1
}

# Debian ABI name from a package name: linux-image-6.1.0-47-amd64-dbg -> 6.1.0-47
abi_of() { # <package> <role>
  local p="$1"
  case "$2" in
    dbg)            p="${p#linux-image-}"; p="${p%-amd64-dbg}" ;;
    headers)        p="${p#linux-headers-}"; p="${p%-amd64}" ;;
    headers-common) p="${p#linux-headers-}"; p="${p%-common}" ;;
    signed)         p="${p#linux-image-}"; p="${p%-amd64}" ;;
    dbg-arm64)      p="${p#linux-image-}"; p="${p%-arm64-dbg}" ;;
    headers-arm64)  p="${p#linux-headers-}"; p="${p%-arm64}" ;;
    *) die "abi_of: no ABI for role $2" ;;
  esac
  printf '%s\n' "$p"
}

# Path of the cached .deb for package=version (the name apt-get download uses), or
# nothing. Epochs are written as %3a by apt.
deb_path() { # <package> <version>
  local f
  for f in "$DEBS/${1}_${2//:/%3a}_"*.deb; do
    [[ -f "$f" ]] && { printf '%s\n' "$f"; return 0; }
  done
  return 1
}

# sha256 check with a stamp so unchanged files are not re-hashed on every run.
# Returns 0 if the file's sha256 equals <sha>.
sha256_ok() { # <file> <sha>
  local f="$1" want="$2" stampdir stamp id got
  stampdir="$(dirname "$f")/.verified"
  stamp="$stampdir/$(basename "$f").sha256"
  id="$(stat -c '%s %Y %i' "$f")"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want $id" ]]; then
    return 0
  fi
  got="$(sha256sum "$f" | cut -d' ' -f1)"
  if [[ "$got" == "$want" ]]; then
    mkdir -p "$stampdir"
    printf '%s\n' "$want $id" >"$stamp"
    return 0
  fi
  rm -f "$stamp"
  warn "sha256 mismatch for $(basename "$f"): got $got, manifest says $want"
  return 1
}

human_size() { du -sh --apparent-size "$1" 2>/dev/null | cut -f1; }
