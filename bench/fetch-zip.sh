#!/usr/bin/env bash
# Fetches two neighbouring releases of a large zip from the npm registry
# (google-closure-compiler-java: compiler.jar, 14.6 MB, about 7,000
# entries deflated by zlib at level 6), pinned by version and SHA-256, into
# CORPUS/closure-jar/<version>/compiler.jar and prints their pair line (the
# format of the corpus's pairs.txt): firmware shipped as a zip.
#   usage: bench/fetch-zip.sh CORPUS
set -euo pipefail
corpus=${1:?usage: fetch-zip.sh CORPUS}
declare -A sha256=(
  [20261015.0.0]=ca26ec5391c4bd95e180e930137ee9cd8ed39b7ac432043854601b827a5fb4a9
  [20261109.0.0]=4a2e3294e51ea009bbdc241611db10bdad3058692ce8e1abdef8c50cd8b969b8
)
mkdir -p "$corpus/dl"
for v in 20261015.0.0 20261109.0.0; do
  jar="$corpus/closure-jar/$v/compiler.jar"
  [[ -s $jar ]] && continue
  tgz="$corpus/dl/google-closure-compiler-java-$v.tgz"
  if [[ ! -s $tgz ]] || ! echo "${sha256[$v]}  $tgz" | sha256sum -c --quiet - 2>/dev/null; then
    (cd "$corpus/dl" && npm pack --silent "google-closure-compiler-java@$v" >/dev/null)
    echo "${sha256[$v]}  $tgz" | sha256sum -c --quiet - || { echo "fetch-zip: $tgz: SHA-256 differs" >&2; exit 1; }
  fi
  mkdir -p "$(dirname "$jar")"
  tar -xzf "$tgz" -O package/compiler.jar >"$jar.part" && mv "$jar.part" "$jar"
done
echo "closure-jar/20261015.0.0/compiler.jar closure-jar/20261109.0.0/compiler.jar"
