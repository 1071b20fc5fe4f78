// `dfota-delta`: the native engine alone, as a small program of its own:
//
//   dfota-delta diff OLD NEW -o PAYLOAD
//   dfota-delta patch OLD PAYLOAD -o NEW [--size BYTES]
//
// Its payloads are those of `dfota diff` / `dfota patch` with the native
// engine (formats/native-delta.md). It is for hosts and build steps where only
// the engine is wanted: it links none of the packaging, signing, upload or
// simulator code, nor a command-line or stream library, and takes libstdc++,
// libcrypto and liblzma from their archives, so that its memory is mostly the
// engine's own (docs/benchmarks.md).
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace dfota::delta_tool {

// Runs the command line `args` (args[0] is the program name). Results go to
// `out` and one-line errors ("dfota-delta: error: ...") to `err`; neither is
// closed. Returns the exit code, with the numbers and meanings of dfota's
// (tools/cli/exit_codes.hpp). An output that would replace an input is
// refused before anything is read; a failed command leaves no output behind
// (nor touches an existing one).
int DeltaMain(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);

} // namespace dfota::delta_tool
