#!/usr/bin/env bash
# The .deb packages, installed into a scratch root: the installed program runs
# from there (finding its profiles beside it), its man page and bash
# completion are in place, and samples/library builds against the installed
# library through find_package(dfota) and through pkg-config, then runs.
#   usage: deb_install_test.sh SOURCE-DIR BUILD-DIR SCRATCH-DIR CXX CXX-FLAGS
set -euo pipefail
source_dir=$1 build_dir=$2 scratch=$3 cxx=$4 cxx_flags=${5:-}
rm -rf "$scratch"
mkdir -p "$scratch/debs" "$scratch/root"
fail() { echo "FAIL: $*" >&2; exit 1; }

(cd "$build_dir" && cpack -G DEB -B "$scratch/debs" >"$scratch/cpack.log" 2>&1) || { cat "$scratch/cpack.log"; fail "cpack"; }
program_deb=$(ls "$scratch"/debs/dfota_*.deb)
dev_deb=$(ls "$scratch"/debs/dfota-dev_*.deb)
[[ $(dpkg-deb -f "$program_deb" Depends) == *libzip* ]] || fail "the program package does not depend on libzip"
# libcurl is loaded with dlopen for URL downloads only: a runtime dependency
# that dpkg-shlibdeps cannot see, and no NEEDED entry of the program.
[[ $(dpkg-deb -f "$program_deb" Depends) == *libcurl4* ]] || fail "the program package does not depend on libcurl4"
[[ $(dpkg-deb -f "$dev_deb" Depends) == *libzip-dev* ]] || fail "the -dev package does not depend on libzip-dev"
# dpkg's own unpacking into an alternative root (no maintainer scripts to run).
dpkg-deb -x "$program_deb" "$scratch/root"
dpkg-deb -x "$dev_deb" "$scratch/root"
usr=$scratch/root/usr
for f in bin/dfota bin/dfota-delta share/man/man1/dfota.1 share/man/man1/dfota-delta.1 share/bash-completion/completions/dfota \
         share/zsh/vendor-completions/_dfota share/fish/vendor_completions.d/dfota.fish \
         share/dfota/formats/profiles/ec2x.json share/dfota/formats/error-codes.json share/mender/modules/v3/dfota \
         include/dfota/package/builder.hpp lib/pkgconfig/dfota.pc lib/cmake/dfota/dfotaConfig.cmake; do
  [[ -e $usr/$f ]] || fail "$f is not installed"
done

# The installed program, with no hint where its profiles are.
unset DFOTA_FORMATS_DIR
"$usr/bin/dfota" --version | grep -q "dfota" || fail "dfota --version"
if readelf -d "$usr/bin/dfota" | grep -q 'NEEDED.*libcurl'; then fail "dfota links libcurl at start"; fi
"$usr/bin/dfota" explain 511 --profile rg50xq >/dev/null || fail "the installed dfota does not find its profiles"
"$usr/bin/dfota-delta" diff "$source_dir/samples/firmware/v1/modem.img" "$source_dir/samples/firmware/v2/modem.img" \
  -o "$scratch/modem.delta" >/dev/null || fail "dfota-delta diff"
"$usr/bin/dfota-delta" patch "$source_dir/samples/firmware/v1/modem.img" "$scratch/modem.delta" -o "$scratch/modem.img" \
  >/dev/null && cmp -s "$scratch/modem.img" "$source_dir/samples/firmware/v2/modem.img" || fail "dfota-delta patch"
pkg=$scratch/v1-to-v2.zip
"$usr/bin/dfota" build --from "$source_dir/samples/firmware/v1" --to "$source_dir/samples/firmware/v2" -o "$pkg" >/dev/null
"$usr/bin/dfota" validate "$pkg" --profile ec2x --module-version EC25EFAR06A06M4G_01.003.01.003 >/dev/null \
  || fail "the installed dfota refuses its own package"
bash -c "source '$usr/share/bash-completion/completions/dfota'; COMP_WORDS=(dfota vali); COMP_CWORD=1; _dfota; [[ \${COMPREPLY[*]} == validate ]]" \
  || fail "bash completion does not complete 'vali'"

# The sample against the installed library: CMake package config.
cmake -S "$source_dir/samples/library" -B "$scratch/sample" -G Ninja -DCMAKE_PREFIX_PATH="$usr" \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="$cxx_flags" >"$scratch/sample.log" 2>&1 || { cat "$scratch/sample.log"; fail "configure the sample"; }
cmake --build "$scratch/sample" >>"$scratch/sample.log" 2>&1 || { cat "$scratch/sample.log"; fail "build the sample"; }
out=$("$scratch/sample/release-check" "$source_dir/samples/firmware/v1" "$source_dir/samples/firmware/v2" \
      "$scratch/sample.zip" ec2x EC25EFAR06A06M4G_01.003.01.003) || { echo "$out"; fail "the sample refuses a good package"; }
grep -q "^built " <<<"$out" || fail "the sample printed no build line"
set +e
"$scratch/sample/release-check" "$source_dir/samples/firmware/v1" "$source_dir/samples/firmware/v2" \
  "$scratch/sample2.zip" ec2x EG25GGBR07A08M2G_01.001.01.001 >/dev/null
rc=$?
set -e
[[ $rc -eq 1 ]] || fail "the sample accepts a package for another project (exit $rc)"

# The same program through pkg-config, with the installed files relocated.
flags=$(PKG_CONFIG_PATH="$(dirname "$(find "$usr" -name dfota.pc)")" pkg-config --cflags --libs dfota)
formats=$(PKG_CONFIG_PATH="$(dirname "$(find "$usr" -name dfota.pc)")" pkg-config --variable=formatsdir dfota)
[[ -d $formats/profiles ]] || fail "pkg-config formatsdir '$formats' has no profiles"
# shellcheck disable=SC2086
"$cxx" -std=c++20 $cxx_flags -DDFOTA_FORMATS_DIR="\"$formats\"" "$source_dir/samples/library/release_check.cpp" \
  -o "$scratch/release-check-pc" $flags || fail "build the sample with pkg-config"
"$scratch/release-check-pc" "$source_dir/samples/firmware/v1" "$source_dir/samples/firmware/v2" \
  "$scratch/sample3.zip" ec2x EC25EFAR06A06M4G_01.003.01.003 >/dev/null || fail "the pkg-config build refuses a good package"
echo "deb install: ok"
