#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/standard_streams.hpp"
#include "cli/text_table.hpp"
#include "core/files.hpp"
#include "package/inspector.hpp"
#include "report/package_page.hpp"

namespace dfota::cli {

namespace {

using nlohmann::ordered_json;
using package::Operation;

ordered_json content_json(const std::optional<package::Content>& c) {
  if (!c) return nullptr;
  return ordered_json{{"size", c->size}, {"sha256", c->sha256}, {"md5", c->md5}};
}

// Payload as a share of the target, "-" when there is nothing to compare.
std::string ratio_text(std::uint64_t payload, const std::optional<package::Content>& target) {
  if (!target || target->size == 0 || payload == 0) return "-";
  char text[16];
  std::snprintf(text, sizeof text, "%.2f%%", 100.0 * static_cast<double>(payload) / static_cast<double>(target->size));
  return text;
}

// "zstd+full" for the table; "-" when no payload.
std::string engines_text(const ordered_json& engines) {
  std::string text;
  for (const auto& engine : engines)
    text += (text.empty() ? "" : "+") + engine.get<std::string>();
  return text.empty() ? "-" : text;
}

using PayloadForms = std::map<std::string, std::vector<delta::PayloadFact>>;

// What the payload states about its form, as an object of facts in reading
// order; null for none or a payload that states nothing.
ordered_json payload_form_json(const std::optional<package::Payload>& payload, const PayloadForms& forms) {
  if (!payload) return nullptr;
  const auto found = forms.find(payload->path);
  if (found == forms.end()) return nullptr;
  ordered_json form = ordered_json::object();
  for (const auto& fact : found->second)
    form[fact.name] = fact.value;
  return form;
}

ordered_json partition_json(const package::PartitionEntry& p, const PayloadForms& forms) {
  ordered_json j;
  j["name"] = p.name;
  j["kind"] = firmware::to_string(p.kind);
  j["op"] = package::to_string(p.op);
  j["mode"] = firmware::mode_text(p.mode);
  // engine: the partition's own payload's (null for a tree, whose files have
  // payloads of their own); engines: every engine used, once each, as data.
  ordered_json engines = ordered_json::array();
  const auto add_engine = [&engines](const std::string& engine) {
    if (std::find(engines.begin(), engines.end(), engine) == engines.end()) engines.push_back(engine);
  };
  if (p.payload) add_engine(p.payload->engine);
  for (const auto& f : p.files) {
    if (f.payload) add_engine(f.payload->engine);
  }
  j["engine"] = p.payload ? ordered_json(p.payload->engine) : ordered_json(nullptr);
  j["engines"] = std::move(engines);
  j["payload"] = p.payload ? ordered_json(p.payload->path) : ordered_json(nullptr);
  j["payload_size"] = p.payload_bytes();
  j["payload_sha256"] = p.payload ? ordered_json(p.payload->sha256) : ordered_json(nullptr);
  j["payload_form"] = payload_form_json(p.payload, forms);
  j["source"] = content_json(p.source);
  j["target"] = content_json(p.target);
  j["apply_memory"] = p.apply_memory;
  if (p.kind == firmware::PartitionKind::tree) {
    ordered_json files = ordered_json::array();
    for (const auto& f : p.files) {
      ordered_json fj{{"path", f.path},
                      {"type", firmware::to_string(f.type)},
                      {"op", package::to_string(f.op)},
                      {"mode", firmware::mode_text(f.mode)}};
      if (f.type == firmware::EntryType::symlink) fj["link_target"] = f.link_target;
      if (f.type == firmware::EntryType::file) {
        fj["engine"] = f.payload ? ordered_json(f.payload->engine) : ordered_json(nullptr);
        fj["payload"] = f.payload ? ordered_json(f.payload->path) : ordered_json(nullptr);
        fj["payload_size"] = f.payload ? f.payload->size : 0;
        fj["payload_form"] = payload_form_json(f.payload, forms);
        fj["source"] = content_json(f.source);
        fj["target"] = content_json(f.target);
      }
      files.push_back(std::move(fj));
    }
    j["files"] = std::move(files);
  }
  return j;
}

class InspectCommand final : public Command {
public:
  explicit InspectCommand(CLI::App& app) {
    auto* sub = app.add_subcommand("inspect", "Describe a package: ours in full, a vendor's zip as far as possible");
    sub->add_option("package", package_, "Package to inspect ('-': standard input)")->required();
    sub->add_flag("--json", json_, "Print JSON");
    sub->add_option("--html", html_,
                    "Also write a self-contained HTML page: size bars, a change map of each image, hashes, signature");
    sub->footer("Examples:\n  dfota inspect update-v1-to-v2.zip --json\n"
                "  dfota inspect update-v1-to-v2.zip --html update-v1-to-v2.html   (open it in any browser)");
  }

  int run(std::ostream& out, std::ostream& err) override {
    if (!html_.empty() && names_same_file(html_, package_)) return refuse_output_over(err, "--html", "the package");
    if (int code = check_outputs(err, {{"--html", html_}}); code != kOk) return code;
    std::optional<StandardStreamFile> standard_input;
    auto read_from = path_to_read(package_, standard_input);
    if (!read_from) return report(err, read_from.error());
    const std::string& path = *read_from;
    auto result = package::inspect_package(path);
    if (!result) return report(err, result.error());
    if (!html_.empty()) {
      auto page = report::render_package_page(path);
      if (!page) return report(err, page.error());
      if (auto written = write_text_file(html_, *page); !written) return report(err, written.error());
    }
    if (json_)
      print_json(out, *result);
    else
      print_text(out, *result);
    return kOk;
  }

private:
  void print_json(std::ostream& out, const package::Inspection& r) const {
    ordered_json j;
    j["schema"] = "dfota.inspect/1"; // formats/json/inspect.schema.json
    j["path"] = package_;
    j["layout"] = package::to_string(r.layout);
    j["description"] = package::describe(r.layout);
    j["size"] = r.file.size;
    j["sha256"] = r.file.sha256;
    j["md5"] = r.file.md5;
    j["checksum"] = checksum_hex(r.file.module_checksum);
    if (r.manifest) {
      const auto& m = *r.manifest;
      j["format_version"] = std::to_string(m.format_major) + "." + std::to_string(m.format_minor);
      j["project"] = m.project;
      j["family"] = m.family.empty() ? ordered_json(nullptr) : ordered_json(m.family);
      j["source_version"] = m.source_version;
      j["target_version"] = m.target_version;
      j["signed"] = r.has_signature;
      if (r.signature)
        j["signature"] = {{"algorithm", signing::to_string(r.signature->algorithm)},
                          {"key", r.signature->key_fingerprint}};
      else if (r.has_signature)
        j["signature"] = {{"problem", r.signature_problem}};
      else
        j["signature"] = nullptr;
      j["requirements"] = {{"space_needed", package::module_space_needed(r.file.size, m)},
                           {"space_to_apply", m.space_needed},
                           {"largest_partition", m.largest_partition},
                           {"apply_memory", m.apply_memory}};
      j["payload_bytes"] = m.payload_bytes();
      ordered_json parts = ordered_json::array();
      for (const auto& p : m.partitions)
        parts.push_back(partition_json(p, r.payload_forms));
      j["partitions"] = std::move(parts);
      j["facts"] = ordered_json::object();
    } else {
      // Not ours: the same fields, null where a foreign package states nothing.
      j["format_version"] = nullptr;
      j["project"] = nullptr;
      j["family"] = nullptr;
      j["source_version"] = nullptr;
      j["target_version"] = nullptr;
      j["signed"] = false;
      j["signature"] = nullptr;
      j["requirements"] = nullptr;
      j["payload_bytes"] = nullptr;
      j["partitions"] = ordered_json::array();
      ordered_json facts = ordered_json::object();
      for (const auto& [k, v] : r.facts)
        facts[k] = v;
      j["facts"] = std::move(facts);
    }
    ordered_json entries = ordered_json::array();
    for (const auto& e : r.entries) {
      entries.push_back({{"name", e.name},
                         {"size", e.size},
                         {"compressed_size", e.compressed_size},
                         {"method", e.method},
                         {"safe_name", e.safe_name}});
    }
    j["entries"] = std::move(entries);
    out << j.dump(2) << '\n';
  }

  void print_text(std::ostream& out, const package::Inspection& r) const {
    out << "package       " << printable(package_) << " (" << grouped(r.file.size) << " bytes)\n";
    out << "layout        " << package::describe(r.layout) << '\n';
    out << "sha256        " << r.file.sha256 << '\n';
    out << "md5           " << r.file.md5 << '\n';
    out << "checksum      " << checksum_hex(r.file.module_checksum) << " (as +QFUPL/+QFOTADL report it)\n";
    if (!r.manifest) {
      for (const auto& [k, v] : r.facts)
        out << printable(k) << ": " << printable(v) << '\n';
      if (r.layout == package::Layout::opaque) return; // no entries to list
      out << '\n';
      TextTable table({"ENTRY", "SIZE", "STORED"},
                      {TextTable::Align::left, TextTable::Align::right, TextTable::Align::right});
      for (const auto& e : r.entries) {
        table.add_row({e.safe_name ? e.name : e.name + "  (UNSAFE NAME)", grouped(e.size), grouped(e.compressed_size)});
      }
      table.print(out);
      return;
    }
    const auto& m = *r.manifest;
    out << "format        dfota-package " << m.format_major << "." << m.format_minor << '\n';
    out << "project       " << printable(m.project) << (m.family.empty() ? "" : " (" + printable(m.family) + ")")
        << '\n';
    out << "versions      " << printable(m.source_version) << " -> " << printable(m.target_version) << '\n';
    out << "signed        "
        << (r.signature ? std::string("yes, ") + signing::to_string(r.signature->algorithm) + " key " +
                              r.signature->key_fingerprint + " (not verified; use validate --pubkey)"
            : r.has_signature ? "malformed: " + r.signature_problem
                              : std::string("no"))
        << '\n';
    out << "space needed  " << grouped(package::module_space_needed(r.file.size, m))
        << " bytes free on the module (the package and " << grouped(m.space_needed) << " to apply it)\n";
    out << "apply memory  " << grouped(m.apply_memory) << " bytes\n";
    out << "payloads      " << grouped(m.payload_bytes()) << " bytes\n\n";
    TextTable table({"PARTITION", "KIND", "OP", "ENGINE", "PAYLOAD", "SOURCE", "TARGET", "RATIO"},
                    {TextTable::Align::left, TextTable::Align::left, TextTable::Align::left, TextTable::Align::left,
                     TextTable::Align::right, TextTable::Align::right, TextTable::Align::right,
                     TextTable::Align::right});
    for (const auto& p : m.partitions) {
      auto pj = partition_json(p, r.payload_forms);
      table.add_row({p.name, firmware::to_string(p.kind), package::to_string(p.op), engines_text(pj["engines"]),
                     grouped(p.payload_bytes()), p.source ? grouped(p.source->size) : "-",
                     p.target ? grouped(p.target->size) : "-", ratio_text(p.payload_bytes(), p.target)});
    }
    table.print(out);
    print_payload_forms(out, r);
    out << "\nhashes (sha256 / md5)\n";
    for (const auto& p : m.partitions) {
      if (p.source)
        out << "  " << printable(p.name) << " source  " << p.source->sha256 << "  " << p.source->md5 << '\n';
      if (p.target)
        out << "  " << printable(p.name) << " target  " << p.target->sha256 << "  " << p.target->md5 << '\n';
    }
  }

  // The forms the payloads state, one fact a line, under their entry
  // names; nothing when no payload states any.
  static void print_payload_forms(std::ostream& out, const package::Inspection& r) {
    if (r.payload_forms.empty()) return;
    out << "\npayload forms\n";
    for (const auto& [entry, facts] : r.payload_forms) {
      out << "  " << printable(entry) << '\n';
      for (const auto& fact : facts)
        out << "    " << printable(fact.name) << ": " << printable(fact.value) << '\n';
    }
  }

  std::string package_;
  std::string html_;
  bool json_ = false;
};

} // namespace

std::unique_ptr<Command> make_inspect_command(CLI::App& app) { return std::make_unique<InspectCommand>(app); }

} // namespace dfota::cli
