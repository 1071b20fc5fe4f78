#!/usr/bin/env bash
# Fetches the 32-bit ARM (armhf: Thumb-2, position-independent) builds of
# the corpus's libssl3 releases with apt-get download, pinned by version
# and SHA-256, into CORPUS/libssl3-armhf/<version>/ and prints their pair
# lines (the format of the corpus's pairs.txt). Module firmware is mostly
# 32-bit ARM Linux; these pairs measure the engines on such code.
#   usage: bench/fetch-armhf.sh CORPUS
set -euo pipefail
corpus=${1:?usage: fetch-armhf.sh CORPUS}
declare -A sha256=(
  [3.0.17-1~deb12u2]=39b9ee1751b06199f02486e079190d16615da269f6202d11980cfe13c87728cb
  [3.0.20-1~deb12u2]=8e7bfa25f6be0b5b0257e093ffad36f6ccb72f51ead97d8b7e78fafac59184a4
)
mkdir -p "$corpus/dl"
# apt-get by package name, for armhf, with package lists and cache of its own
# under CORPUS/dl/apt: the host's architectures, lists and cache stay as they are.
apt_state="$corpus/dl/apt"
apt_armhf=(apt-get -q -o "Dir::State::Lists=$apt_state/lists" -o "Dir::Cache=$apt_state/cache"
  -o "APT::Architectures::=armhf" -o "APT::Architecture=armhf")
lists_ready=""
for v in 3.0.17-1~deb12u2 3.0.20-1~deb12u2; do
  dir="$corpus/libssl3-armhf/${v%%-*}"
  [[ -s $dir/libcrypto.so.3 && -s $dir/libssl.so.3 ]] && continue
  deb="$corpus/dl/libssl3_${v}_armhf.deb"
  if [[ ! -s $deb ]] || ! echo "${sha256[$v]}  $deb" | sha256sum -c --quiet - 2>/dev/null; then
    if [[ -z $lists_ready ]]; then
      mkdir -p "$apt_state/lists/partial" "$apt_state/cache/archives/partial"
      "${apt_armhf[@]}" update >/dev/null
      lists_ready=1
    fi
    (cd "$corpus/dl" && "${apt_armhf[@]}" download "libssl3:armhf=$v" >/dev/null 2>&1)
    echo "${sha256[$v]}  $deb" | sha256sum -c --quiet - || { echo "fetch-armhf: $deb: SHA-256 differs" >&2; exit 1; }
  fi
  tmp=$(mktemp -d)
  dpkg -x "$deb" "$tmp"
  mkdir -p "$dir" && cp "$tmp"/usr/lib/arm-linux-gnueabihf/lib{crypto,ssl}.so.3 "$dir/"
  rm -rf "$tmp"
done
echo "libssl3-armhf/3.0.17/libcrypto.so.3 libssl3-armhf/3.0.20/libcrypto.so.3"
echo "libssl3-armhf/3.0.17/libssl.so.3 libssl3-armhf/3.0.20/libssl.so.3"
