#!/usr/bin/env bash
# Fetches two neighbouring releases of a large zip from the npm registry
# (google-closure-compiler-java: compiler.jar, 14.6 MB, about 7,000
# entries deflated by zlib at level 6), pinned by version and SHA-256, into
# CORPUS/closure-jar/<version>/compiler.jar and prints their pair line (the
# format of the corpus's pairs.txt): firmware shipped as a zip.
#   usage: bench/fetch-zip.sh CORPUS
set -euo pipefail
corpus=${1:?usage: fetch-zip.sh CORPUS}
here=$(dirname "$0")
bash "$here/fetch-npm-file.sh" "$corpus" google-closure-compiler-java 20261015.0.0 \
  ca26ec5391c4bd95e180e930137ee9cd8ed39b7ac432043854601b827a5fb4a9 compiler.jar \
  "$corpus/closure-jar/20261015.0.0/compiler.jar"
bash "$here/fetch-npm-file.sh" "$corpus" google-closure-compiler-java 20261109.0.0 \
  4a2e3294e51ea009bbdc241611db10bdad3058692ce8e1abdef8c50cd8b969b8 compiler.jar \
  "$corpus/closure-jar/20261109.0.0/compiler.jar"
echo "closure-jar/20261015.0.0/compiler.jar closure-jar/20261109.0.0/compiler.jar"
