#!/usr/bin/env bash
# Fetches two neighbouring releases of a 100 MB x86-64 executable from the
# npm registry (@next/swc-linux-x64-gnu 16.4.5 and 16.4.6:
# next-swc.linux-x64-gnu.node, a Rust shared library of 100.9 MB), pinned by
# version and SHA-256, into CORPUS/next-swc-x64/<version>/next-swc.node and
# prints their pair line (the format of the corpus's pairs.txt): a real pair
# for the scale of the native engine.
#   usage: bench/fetch-large.sh CORPUS
set -euo pipefail
corpus=${1:?usage: fetch-large.sh CORPUS}
here=$(dirname "$0")
bash "$here/fetch-npm-file.sh" "$corpus" @next/swc-linux-x64-gnu 16.4.5 \
  01e56b1d3607d068f8f96601256264f73baaf1a5f5fd4c9e2fc8f7f7e9c2ea99 next-swc.linux-x64-gnu.node \
  "$corpus/next-swc-x64/16.4.5/next-swc.node"
bash "$here/fetch-npm-file.sh" "$corpus" @next/swc-linux-x64-gnu 16.4.6 \
  9695f19eb812ce0f0de0eb6a1065a4ae040270d5eaef3962e7082cfd8c709e0d next-swc.linux-x64-gnu.node \
  "$corpus/next-swc-x64/16.4.6/next-swc.node"
echo "next-swc-x64/16.4.5/next-swc.node next-swc-x64/16.4.6/next-swc.node"
