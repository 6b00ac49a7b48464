#!/bin/sh
# pahole without -j, for the relink oracle (relink-oracle.sh passes it as PAHOLE=): pahole's
# parallel encoding (1.22 and later, without --btf_features=+reproducible_build, which 1.27
# brought) makes vmlinux BTF unreproducible, as the kernel's scripts/Makefile.btf says, and
# the structs BTF deduplication keeps twice then vary from build to build (80 or 81 for the
# same relink here). An oracle must give one answer.
for arg; do
  shift
  case "$arg" in
    -j | -j[0-9]*) ;;
    *) set -- "$@" "$arg" ;;
  esac
done
exec pahole "$@"
