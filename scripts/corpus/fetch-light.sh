#!/usr/bin/env bash
# Fetch the light kernels of the scan corpus (light.tsv: image + headers packages of every
# Debian 6.1 and 6.12 release) into $CACHE/debs and check their sha256. Idempotent: a .deb
# already there with the pinned sha256 is not downloaded again (its check is stamped in
# $CACHE/debs/.verified, as fetch.sh does). Nothing is extracted: relinkable scan reads .debs.
#
# Exit: 0 everything present; 1 a sha256 mismatch; 3 some package could not be downloaded
#       (listed; the archive drops superseded kernels over time).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LIST="$CORPUS_SCRIPTS_DIR/light.tsv"
mkdir -p "$DEBS/.verified" "$DEBS/.partial-light"
unavailable=()
t0=$SECONDS
bytes=0
while IFS=$'\t' read -r pkg ver sha || [[ -n "${pkg:-}" ]]; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  [[ "$sha" =~ ^[0-9a-f]{64}$ ]] || die "malformed line in $LIST: $pkg $ver $sha"
  arch=amd64; [[ "$pkg" == *-common ]] && arch=all
  deb="$DEBS/${pkg}_${ver//:/%3a}_${arch}.deb"
  stamp="$DEBS/.verified/$(basename "$deb").sha256"
  if [[ ! -f "$deb" ]]; then
    log "downloading $pkg=$ver"
    rm -f "$DEBS/.partial-light"/*.deb
    if ! (cd "$DEBS/.partial-light" && apt-get download -q "$pkg=$ver" >/dev/null 2>&1); then
      unavailable+=("$pkg=$ver"); continue
    fi
    mv "$DEBS/.partial-light"/*.deb "$deb"
    bytes=$((bytes + $(stat -c %s "$deb")))
  fi
  id="$(stat -c '%s %Y %i' "$deb")"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$sha $id" ]]; then continue; fi
  got="$(sha256sum "$deb" | cut -d' ' -f1)"
  if [[ "$got" != "$sha" ]]; then rm -f "$deb"; die "$deb: sha256 $got, light.tsv pins $sha (deleted)"; fi
  printf '%s %s\n' "$sha" "$id" >"$stamp"
done <"$LIST"
log "light kernels: $((bytes / 1048576)) MB downloaded in $((SECONDS - t0)) s"
if ((${#unavailable[@]})); then
  for u in "${unavailable[@]}"; do warn "unavailable: $u"; done
  exit 3
fi
