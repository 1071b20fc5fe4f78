// One self-contained HTML page describing a package: versions, hashes and
// signature state, per-partition bars of payload against full size, and a
// change map of each image (which regions are kept, moved, changed or new).
// No scripts, no external resources: inline CSS and SVG only, so the page
// opens offline and can be attached to a release ticket.
#pragma once

#include <filesystem>
#include <string>

#include "core/error.hpp"

namespace dfota::report {

struct PageOptions {
  std::size_t map_cells = 480; // columns of each change map
  // Shown instead of the page's creation time (for reproducible pages).
  std::string generated_by = "dfota 0.1.0";
};

// Reads the package (every payload of ours, to map its changes) and renders
// the page. Fails as inspect does on what is not a readable package; a
// payload that cannot be read fails the page too (the package is damaged).
Expected<std::string> render_package_page(const std::filesystem::path& package, const PageOptions& options = {});

} // namespace dfota::report
