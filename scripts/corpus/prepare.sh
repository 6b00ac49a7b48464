#!/usr/bin/env bash
# Prepare the real-kernel corpus used by the tests (npm pretest, CI):
#   1. make sure the Debian packages the scripts need are installed (installs them with
#      apt-get if we are root; otherwise prints the apt-get line and exits 2),
#   2. fetch.sh        - pinned Debian kernel packages -> $CACHE/debs, $CACHE/corpus/<v>
#   3. build-trees.sh  - small kernel build directories -> $CACHE/trees/<v>/build
# Idempotent; a few seconds when everything is cached.
#
# Env: RELINKABLE_CACHE     cache root (default $HOME/.cache/relinkable)
#      RELINKABLE_SKIP_CORPUS=1   do nothing (exit 0), e.g. for a quick unit-test run
#      RELINKABLE_ALLOW_MISSING=1 exit 0 instead of 3 when the archive no longer has a
#                                 pinned package (what is missing is still printed)
#      RELINKABLE_JOBS      parallel jobs (default nproc)
# Exit: 0 ok; 1 error; 2 missing tools and not root; 3 some pinned package unavailable.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ "${RELINKABLE_SKIP_CORPUS:-0}" == 1 ]]; then
  log "RELINKABLE_SKIP_CORPUS=1: not preparing the corpus ($CACHE)"
  exit 0
fi

# command-or-file -> Debian package
declare -A NEED=(
  [gcc]=gcc [make]=make [flex]=flex [bison]=bison [bc]=bc
  [/usr/include/libelf.h]=libelf-dev [/usr/include/openssl/ssl.h]=libssl-dev
  [pahole]=dwarves [bpftool]=bpftool [xz]=xz-utils [zstd]=zstd [cpio]=cpio
  [depmod]=kmod [ld]=binutils [readelf]=binutils [objcopy]=binutils
  [dpkg-deb]=dpkg [dpkg-architecture]=dpkg-dev [apt-get]=apt
  [perl]=perl [sha256sum]=coreutils [tar]=tar
  # the AAPCS64 oracle test (test/model/abi.test.ts) compiles with the AArch64 cross gcc
  [aarch64-linux-gnu-gcc]=gcc-aarch64-linux-gnu [aarch64-linux-gnu-objdump]=binutils-aarch64-linux-gnu
)

missing_pkgs() {
  local k
  for k in "${!NEED[@]}"; do
    if [[ "$k" == /* ]]; then [[ -e "$k" ]] && continue
    # sbin too: depmod and bpftool live there, outside a normal user's PATH
    else PATH="$PATH:/usr/sbin:/sbin" command -v "$k" >/dev/null 2>&1 && continue
    fi
    printf '%s\n' "${NEED[$k]}"
  done | sort -u
}

mapfile -t pkgs < <(missing_pkgs)
if ((${#pkgs[@]})); then
  if ((EUID != 0)); then
    log "missing Debian packages; install them with:"
    printf '  sudo apt-get install -y %s\n' "${pkgs[*]}" >&2
    exit 2
  fi
  log "installing missing Debian packages: ${pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends "${pkgs[@]}" >&2; then
    apt-get update >&2
    apt-get install -y --no-install-recommends "${pkgs[@]}" >&2
  fi
  mapfile -t pkgs < <(missing_pkgs)
  ((${#pkgs[@]} == 0)) || die "still missing after apt-get install: ${pkgs[*]}"
fi

t0=$SECONDS
rc_fetch=0; "$CORPUS_SCRIPTS_DIR/fetch.sh" || rc_fetch=$?
# the light kernels of the scan corpus (light.tsv): .debs only, read by relinkable scan
rc_light=0; "$CORPUS_SCRIPTS_DIR/fetch-light.sh" || rc_light=$?
if ((rc_fetch == 0 && rc_light != 0)); then rc_fetch=$rc_light; fi
t1=$SECONDS
rc_trees=0; "$CORPUS_SCRIPTS_DIR/build-trees.sh" || rc_trees=$?
t2=$SECONDS

log "fetch.sh: exit $rc_fetch ($((t1 - t0)) s); build-trees.sh: exit $rc_trees ($((t2 - t1)) s)"
log "corpus cache: $CACHE  (corpus/<version>, trees/<version>/build, debs/)"
for rc in "$rc_fetch" "$rc_trees"; do
  if ((rc != 0 && rc != 3)); then exit 1; fi
done
if ((rc_fetch == 3 || rc_trees == 3)); then
  if [[ "${RELINKABLE_ALLOW_MISSING:-0}" == 1 ]]; then
    warn "some pinned packages are unavailable (see above); RELINKABLE_ALLOW_MISSING=1, continuing"
    exit 0
  fi
  exit 3
fi
