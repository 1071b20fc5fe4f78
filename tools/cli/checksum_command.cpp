#include <nlohmann/json.hpp>
#include <optional>

#include "cli/command.hpp"
#include "cli/standard_streams.hpp"
#include "cli/text_table.hpp"
#include "core/hash.hpp"
#include "firmware/firmware.hpp"

namespace dfota::cli {

namespace {

class ChecksumCommand final : public Command {
public:
  explicit ChecksumCommand(CLI::App& app) {
    auto* sub = app.add_subcommand("checksum", "Print the module checksum, MD5 and SHA-256 of files");
    sub->add_option("files", files_, "Files to checksum ('-': standard input)")->required();
    sub->add_flag("--json", json_, "Print JSON");
    sub->footer("The module checksum is what +QFUPL and +QFOTADL report: XOR of big-endian 16-bit words.\n\n"
                "Example:\n  dfota checksum update.zip");
  }

  int run(std::ostream& out, std::ostream& err) override {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    // formats/json/checksum.schema.json
    TextTable table({"CHECKSUM", "SIZE", "MD5", "SHA-256", "FILE"}, {TextTable::Align::right, TextTable::Align::right});
    std::optional<StandardStreamFile> standard_input;
    for (const auto& file : files_) {
      auto path = path_to_read(file, standard_input);
      if (!path) return report(err, path.error());
      auto d = firmware::digest_file(*path);
      if (!d) return report(err, d.error());
      const std::string checksum = checksum_hex(d->module_checksum);
      table.add_row({checksum, std::to_string(d->size), d->md5, d->sha256, file});
      list.push_back(
          {{"path", file}, {"size", d->size}, {"checksum", checksum}, {"md5", d->md5}, {"sha256", d->sha256}});
    }
    if (json_)
      out << nlohmann::ordered_json{{"schema", "dfota.checksum/1"}, {"files", std::move(list)}}.dump(2) << '\n';
    else
      table.print(out);
    return kOk;
  }

private:
  std::vector<std::string> files_;
  bool json_ = false;
};

} // namespace

std::unique_ptr<Command> make_checksum_command(CLI::App& app) { return std::make_unique<ChecksumCommand>(app); }

} // namespace dfota::cli
