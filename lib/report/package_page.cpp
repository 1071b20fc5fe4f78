#include "report/package_page.hpp"

#include <cstdio>
#include <map>
#include <sstream>

#include "core/text.hpp"
#include "delta/change_map.hpp"
#include "package/inspector.hpp"
#include "package/package_reader.hpp"
#include "report/markup.hpp"

namespace dfota::report {

namespace {

using delta::ByteOrigin;
using delta::ChangeMap;

constexpr const char* kOriginColours[delta::kByteOrigins] = {"#d0d7de", "#54aeff", "#d4a72c", "#cf222e"};
constexpr const char* kOriginWords[delta::kByteOrigins] = {
    "kept (same place, same bytes)", "moved (same bytes, other place)", "changed (copied, then edited)",
    "added (new bytes in the payload)"};

std::string percent(double part, double whole) {
  if (whole <= 0) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.2f%%", 100.0 * part / whole);
  return text;
}

std::string fixed(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", value);
  return text;
}

std::string hex_offset(std::uint64_t value) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

// A horizontal bar: payload against the full target size.
std::string size_bar(std::uint64_t payload, std::uint64_t full) {
  const double width = 240;
  const double filled = full == 0 ? 0 : std::min(1.0, static_cast<double>(payload) / static_cast<double>(full)) * width;
  std::ostringstream svg;
  svg << "<svg class=\"bar\" width=\"" << width << "\" height=\"14\" viewBox=\"0 0 " << width
      << " 14\" role=\"img\"><title>" << grouped(payload) << " of " << grouped(full) << " bytes</title>"
      << "<rect width=\"" << width << "\" height=\"14\" fill=\"#eaeef2\"/>"
      << "<rect width=\"" << fixed(std::max(filled, payload ? 1.0 : 0.0))
      << "\" height=\"14\" fill=\"#0969da\"/></svg>";
  return svg.str();
}

// The change map: one column per cell, stacked by origin (kept at the bottom).
std::string change_map_svg(const ChangeMap& map) {
  const double width = 960, height = 48;
  const double column = width / static_cast<double>(std::max<std::size_t>(map.cells.size(), 1));
  std::ostringstream svg;
  svg << "<svg class=\"map\" width=\"" << width << "\" height=\"" << height + 16 << "\" viewBox=\"0 0 " << width << " "
      << height + 16 << "\" role=\"img\">";
  for (std::size_t i = 0; i < map.cells.size(); ++i) {
    const auto& cell = map.cells[i];
    std::uint64_t total = 0;
    for (auto n : cell)
      total += n;
    if (total == 0) continue;
    double y = height;
    const std::uint64_t start = i * map.cell_size;
    for (std::size_t origin = 0; origin < delta::kByteOrigins; ++origin) {
      if (cell[origin] == 0) continue;
      const double h = height * static_cast<double>(cell[origin]) / static_cast<double>(total);
      y -= h;
      svg << "<rect x=\"" << fixed(static_cast<double>(i) * column) << "\" y=\"" << fixed(y) << "\" width=\""
          << fixed(column + 0.05) << "\" height=\"" << fixed(h) << "\" fill=\"" << kOriginColours[origin] << "\"/>";
    }
    // One tooltip per column, over the whole height.
    svg << "<rect x=\"" << fixed(static_cast<double>(i) * column) << "\" y=\"0\" width=\"" << fixed(column)
        << "\" height=\"" << height << "\" fill=\"transparent\"><title>" << hex_offset(start) << "-"
        << hex_offset(start + total) << ": ";
    for (std::size_t origin = 0; origin < delta::kByteOrigins; ++origin)
      if (cell[origin]) svg << grouped(cell[origin]) << " " << to_string(static_cast<ByteOrigin>(origin)) << " ";
    svg << "</title></rect>";
  }
  const char* anchors[] = {"start", "middle", "end"};
  for (int k = 0; k < 3; ++k) {
    svg << "<text x=\"" << fixed(width * k / 2) << "\" y=\"" << height + 13 << "\" text-anchor=\"" << anchors[k]
        << "\">" << hex_offset(map.target_size * static_cast<std::uint64_t>(k) / 2) << "</text>";
  }
  svg << "</svg>";
  return svg.str();
}

std::string legend(const ChangeMap& map) {
  std::ostringstream html;
  html << "<ul class=\"legend\">";
  for (std::size_t origin = 0; origin < delta::kByteOrigins; ++origin) {
    html << "<li><span class=\"swatch\" style=\"background:" << kOriginColours[origin] << "\"></span>"
         << kOriginWords[origin] << ": <b>" << grouped(map.totals[origin]) << "</b> bytes ("
         << percent(static_cast<double>(map.totals[origin]), static_cast<double>(map.target_size)) << ")</li>";
  }
  html << "</ul>";
  return html.str();
}

const char* kStyle = R"(
body{font:14px/1.45 "DejaVu Sans",system-ui,sans-serif;margin:24px auto;max-width:1040px;color:#1f2328;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 4px}.sub{color:#59636e;margin:0 0 16px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eaeef2;vertical-align:middle}
th{background:#f6f8fa;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
code,.hash{font:12px "DejaVu Sans Mono",monospace;word-break:break-all}
dl{display:grid;grid-template-columns:max-content 1fr;gap:3px 16px;margin:0}dt{color:#59636e}dd{margin:0}
.ok{color:#1a7f37;font-weight:600}.warn{color:#9a6700;font-weight:600}.bad{color:#cf222e;font-weight:600}
.legend{list-style:none;padding:0;margin:6px 0 0;display:flex;flex-wrap:wrap;gap:4px 18px;font-size:13px}
.swatch{display:inline-block;width:11px;height:11px;margin-right:5px;vertical-align:-1px;border:1px solid #8c959f}
svg.map text{font:11px "DejaVu Sans Mono",monospace;fill:#59636e}.note{color:#59636e;font-size:13px}
footer{margin-top:32px;color:#8c959f;font-size:12px}
)";

} // namespace

Expected<std::string> render_package_page(const std::filesystem::path& path, const PageOptions& options) {
  auto inspection = package::inspect_package(path);
  if (!inspection) return inspection.error();
  const auto& in = *inspection;
  std::ostringstream html;
  const std::string name = path.filename().string();
  html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       << "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
       << "<title>" << escape_markup(name) << " - dfota package</title><style>" << kStyle << "</style></head><body>\n";
  html << "<h1>" << escape_markup(name) << "</h1>\n";

  // Package facts.
  if (in.manifest) {
    const auto& m = *in.manifest;
    html << "<p class=\"sub\">" << escape_markup(m.project) << ": <b>" << escape_markup(m.source_version)
         << "</b> &rarr; <b>" << escape_markup(m.target_version) << "</b></p>\n";
  } else {
    html << "<p class=\"sub\">" << escape_markup(package::describe(in.layout)) << "</p>\n";
  }
  html << "<h2>Package</h2><dl>";
  html << "<dt>Layout</dt><dd>" << escape_markup(package::describe(in.layout)) << "</dd>";
  html << "<dt>Size</dt><dd>" << grouped(in.file.size) << " bytes</dd>";
  html << "<dt>SHA-256</dt><dd class=\"hash\">" << in.file.sha256 << "</dd>";
  html << "<dt>MD5</dt><dd class=\"hash\">" << in.file.md5 << "</dd>";
  html << "<dt>Module checksum</dt><dd class=\"hash\">" << checksum_hex(in.file.module_checksum)
       << " <span class=\"note\">(as +QFUPL and +QFOTADL report it)</span></dd>";
  html << "<dt>Signature</dt><dd>";
  if (in.signature) {
    html << "<span class=\"warn\">signed, not verified here</span> &mdash; "
         << signing::to_string(in.signature->algorithm) << " key <code>" << escape_markup(in.signature->key_fingerprint)
         << "</code> <span class=\"note\">(verify with: dfota validate --pubkey KEY)</span>";
  } else if (in.has_signature) {
    html << "<span class=\"bad\">unreadable signature</span>: " << escape_markup(in.signature_problem);
  } else {
    html << "<span class=\"bad\">unsigned</span>";
  }
  html << "</dd>";
  if (in.manifest) {
    const auto& m = *in.manifest;
    std::uint64_t target_total = 0;
    for (const auto& p : m.partitions)
      target_total += p.target ? p.target->size : 0;
    html << "<dt>Payloads</dt><dd>" << grouped(m.payload_bytes()) << " bytes for " << grouped(target_total)
         << " bytes of firmware (" << percent(static_cast<double>(m.payload_bytes()), static_cast<double>(target_total))
         << ")</dd>";
    html << "<dt>Space needed</dt><dd>" << grouped(package::module_space_needed(in.file.size, m))
         << " bytes free on the module (the package and " << grouped(m.space_needed) << " bytes to apply it)</dd>";
    html << "<dt>Apply memory</dt><dd>" << grouped(m.apply_memory) << " bytes</dd>";
    if (!m.family.empty()) html << "<dt>Family</dt><dd>" << escape_markup(m.family) << "</dd>";
  }
  for (const auto& [key, value] : in.facts)
    html << "<dt>" << escape_markup(key) << "</dt><dd>" << escape_markup(value) << "</dd>";
  html << "</dl>\n";

  if (!in.manifest) {
    html << "<h2>Entries</h2><table><tr><th>Entry</th><th class=\"n\">Size</th><th class=\"n\">Stored</th></tr>";
    for (const auto& e : in.entries) {
      html << "<tr><td><code>" << escape_markup(e.name) << "</code></td><td class=\"n\">" << grouped(e.size)
           << "</td><td class=\"n\">" << grouped(e.compressed_size) << "</td></tr>";
    }
    html << "</table>\n<footer>" << escape_markup(options.generated_by) << "</footer></body></html>\n";
    return html.str();
  }

  // Partitions: payload against full size.
  const auto& m = *in.manifest;
  html << "<h2>Partitions</h2><table><tr><th>Partition</th><th>Kind</th><th>Operation</th><th>Engine</th>"
       << "<th class=\"n\">Payload</th><th class=\"n\">Full size</th><th>Payload / full size</th><th class=\"n\">"
       << "Ratio</th></tr>\n";
  for (const auto& p : m.partitions) {
    const std::uint64_t full = p.target ? p.target->size : 0;
    std::string engine = p.payload ? p.payload->engine : "";
    std::map<std::string, int> file_engines;
    for (const auto& f : p.files)
      if (f.payload) ++file_engines[f.payload->engine];
    for (const auto& [e, n] : file_engines)
      engine += (engine.empty() ? "" : ", ") + e + " &times;" + std::to_string(n);
    html << "<tr><td><b>" << escape_markup(p.name) << "</b></td><td>" << firmware::to_string(p.kind) << "</td><td>"
         << package::to_string(p.op) << "</td><td>" << (engine.empty() ? "-" : engine) << "</td><td class=\"n\">"
         << grouped(p.payload_bytes()) << "</td><td class=\"n\">" << grouped(full) << "</td><td>"
         << size_bar(p.payload_bytes(), full) << "</td><td class=\"n\">"
         << (p.payload_bytes() ? percent(static_cast<double>(p.payload_bytes()), static_cast<double>(full)) : "-")
         << "</td></tr>\n";
  }
  html << "</table>\n";

  // What each payload states of its form (engine, version, entries), as
  // `dfota inspect` prints under "payload forms"; nothing when none states any.
  if (!in.payload_forms.empty()) {
    html << "<h2>Payload forms</h2><table><tr><th>Entry</th><th>Fact</th><th>Value</th></tr>\n";
    for (const auto& [entry, facts] : in.payload_forms) {
      for (const auto& fact : facts) {
        html << "<tr><td><code>" << escape_markup(entry) << "</code></td><td>" << escape_markup(fact.name)
             << "</td><td>" << escape_markup(fact.value) << "</td></tr>\n";
      }
    }
    html << "</table>\n";
  }

  // Change maps of the images.
  auto zip = package::ZipReader::open(path);
  if (!zip) return zip.error();
  html << "<h2>Change maps</h2><p class=\"note\">Each image from its first byte (left) to its last (right); "
          "each column shows where that stretch of the new image comes from. Hover a column for its offsets.</p>\n";
  bool any = false;
  for (const auto& p : m.partitions) {
    if (p.kind != firmware::PartitionKind::image || !p.payload || !p.target) continue;
    any = true;
    html << "<h3>" << escape_markup(p.name) << " <span class=\"note\">" << escape_markup(p.payload->engine) << ", "
         << grouped(p.payload->size) << " bytes for " << grouped(p.target->size) << "</span></h3>\n";
    auto reader = package::open_payload(*zip, *p.payload);
    if (!reader) return reader.error();
    auto map = delta::map_changes(p.payload->engine, **reader, p.target->size, options.map_cells);
    if (!map) return map.error().with_context(p.name);
    if (!*map) {
      html << "<p class=\"note\">No map: " << escape_markup(p.payload->engine)
           << " payloads are applied as a whole stream; only native and full payloads are read here.</p>\n";
      continue;
    }
    html << change_map_svg(**map) << legend(**map) << "\n";
  }
  if (!any) html << "<p class=\"note\">No image partition changes in this package.</p>\n";

  // Tree partitions: the files that change.
  for (const auto& p : m.partitions) {
    if (p.kind != firmware::PartitionKind::tree) continue;
    std::size_t changed = 0;
    for (const auto& f : p.files)
      changed += f.op != package::Operation::unchanged;
    html << "<h2>Files of " << escape_markup(p.name) << "</h2><p class=\"note\">" << changed << " of " << p.files.size()
         << " entries change.</p>";
    if (changed == 0) continue;
    html << "<table><tr><th>Path</th><th>Operation</th><th>Engine</th><th class=\"n\">Payload</th>"
         << "<th class=\"n\">Full size</th><th>Payload / full size</th></tr>\n";
    for (const auto& f : p.files) {
      if (f.op == package::Operation::unchanged) continue;
      const std::uint64_t full = f.target ? f.target->size : 0;
      const std::uint64_t payload = f.payload ? f.payload->size : 0;
      html << "<tr><td><code>" << escape_markup(f.path) << "</code></td><td>" << package::to_string(f.op) << "</td><td>"
           << (f.payload ? escape_markup(f.payload->engine) : "-") << "</td><td class=\"n\">" << grouped(payload)
           << "</td><td class=\"n\">" << grouped(full) << "</td><td>" << (full ? size_bar(payload, full) : "")
           << "</td></tr>\n";
    }
    html << "</table>\n";
  }
  html << "<h2>Hashes</h2><table><tr><th>Partition</th><th>Source SHA-256</th><th>Target SHA-256</th></tr>";
  for (const auto& p : m.partitions) {
    html << "<tr><td>" << escape_markup(p.name) << "</td><td class=\"hash\">" << (p.source ? p.source->sha256 : "-")
         << "</td><td class=\"hash\">" << (p.target ? p.target->sha256 : "-") << "</td></tr>";
  }
  html << "</table>\n<footer>" << escape_markup(options.generated_by) << "</footer></body></html>\n";
  return html.str();
}

} // namespace dfota::report
