// The engines by name, in a file of its own: a program that uses one engine
// directly (dfota-delta uses NativeEngine) links none of the others.
#include "delta/engine.hpp"
#include "delta/engines.hpp"

namespace dfota::delta {

const Engine* find_engine(std::string_view name) {
  static const NativeEngine native;
  static const ZstdEngine zstd;
  static const VcdiffEngine vcdiff;
  static const FullEngine full;
  if (name == native.name()) return &native;
  if (name == zstd.name()) return &zstd;
  if (name == vcdiff.name()) return &vcdiff;
  if (name == full.name()) return &full;
  return nullptr;
}

const std::vector<std::string>& engine_names() {
  static const std::vector<std::string> names{"native", "zstd", "vcdiff", "full"};
  return names;
}

} // namespace dfota::delta
