// `dfota diff` and `dfota patch`: one engine on one pair of images, without a
// package around them (for single images and for measuring engines).
#include "cli/command.hpp"
#include "cli/standard_streams.hpp"
#include "delta/image_files.hpp"

namespace dfota::cli {

namespace {

CLI::Option* add_engine_option(CLI::App* sub, std::string& engine) {
  return sub->add_option("--engine", engine, "Engine: native, zstd, vcdiff or full")
      ->check(CLI::IsMember({"native", "zstd", "vcdiff", "full"}))
      ->default_val("native");
}

class DiffCommand final : public Command {
public:
  explicit DiffCommand(CLI::App& app) {
    auto* sub = app.add_subcommand("diff", "Write the raw delta payload between two images (no package)");
    sub->add_option("old", old_, "Source image")->required();
    sub->add_option("new", new_, "Target image")->required();
    sub->add_option("-o,--output", output_, "Payload to write ('-': standard output)")->required();
    add_engine_option(sub, engine_);
    add_force_flag(sub, force_);
    sub->footer("Writes the payload that turns OLD into NEW; 'dfota patch' applies it. -o may not name OLD or NEW.\n\n"
                "Examples:\n"
                "  dfota diff v1/modem.img v2/modem.img -o modem.delta\n"
                "  dfota diff v1/modem.img v2/modem.img -o modem.zst --engine zstd\n"
                "  dfota diff v1/modem.img v2/modem.img -o - | dfota patch v1/modem.img - -o modem-check.img\n\n"
                "Exit codes: 0 ok, 2 bad command line, 3 an image cannot be read or the payload written,\n"
                "17 the engine cannot encode here. All codes: dfota --help.");
  }

  int run(std::ostream& out, std::ostream& err) override {
    if (names_same_file(output_, old_)) return refuse_output_over(err, "-o", "OLD");
    if (names_same_file(output_, new_)) return refuse_output_over(err, "-o", "NEW");
    if (int code = check_outputs(err, {{"-o", output_}}); code != kOk) return code;
    if (int code = refuse_existing_output(err, "-o", output_, force_); code != kOk) return code;
    if (output_ == "-") { // the payload to standard output, the summary to standard error
      auto file = StandardStreamFile::for_standard_output();
      if (!file) return report(err, file.error());
      auto written = delta::diff_image_files(*delta::find_engine(engine_), old_, new_, file->path());
      if (!written) return report(err, written.error());
      if (auto copied = file->copy_to(out); !copied) return report(err, copied.error());
      err << "standard output: " << grouped(*written) << " bytes (" << engine_ << ")\n";
      return kOk;
    }
    auto written = delta::diff_image_files(*delta::find_engine(engine_), old_, new_, output_);
    if (!written) return report(err, written.error());
    out << printable(output_) << ": " << grouped(*written) << " bytes (" << engine_ << ")\n";
    return kOk;
  }

private:
  std::string old_, new_, output_, engine_;
  bool force_ = false;
};

class PatchCommand final : public Command {
public:
  explicit PatchCommand(CLI::App& app) {
    auto* sub = app.add_subcommand("patch", "Apply a raw delta payload to an image (no package)");
    sub->add_option("old", old_, "Source image")->required();
    sub->add_option("payload", payload_, "Payload written by 'dfota diff' ('-': standard input)")->required();
    sub->add_option("-o,--output", output_, "Image to write (OLD itself patches in place; '-': standard output)")
        ->required();
    sub->add_option("--size", size_, "Expected size of the result (checked when given)")->check(whole_number());
    add_engine_option(sub, engine_);
    add_force_flag(sub, force_);
    sub->footer("Applies a payload from 'dfota diff' to OLD. -o OLD patches in place: OLD is replaced only when\n"
                "the whole result is written.\n\n"
                "Examples:\n"
                "  dfota patch v1/modem.img modem.delta -o modem.img\n"
                "  curl -s \"$PAYLOAD_URL\" | dfota patch modem.img - -o modem.img\n"
                "  dfota patch v1/modem.img modem.delta -o - | sha256sum\n\n"
                "Exit codes: 0 ok, 2 bad command line, 3 a file cannot be read or written, 11 the payload is\n"
                "damaged or the result is not --size bytes, 13 OLD is not the image the payload was made from.\n"
                "All codes: dfota --help.");
  }

  int run(std::ostream& out, std::ostream& err) override {
    // -o may name OLD (patching in place: OLD is read through a mapping of
    // its own, and the result replaces it only when complete), not PAYLOAD.
    if (payload_ != "-" && names_same_file(output_, payload_)) return refuse_output_over(err, "-o", "PAYLOAD");
    if (int code = check_outputs(err, {{"-o", output_}}); code != kOk) return code;
    const bool in_place = names_same_file(output_, old_);
    if (int code = refuse_existing_output(err, "-o", output_, force_ || in_place); code != kOk) return code;
    if (output_ == "-") { // the image to standard output, the summary to standard error
      auto file = StandardStreamFile::for_standard_output();
      if (!file) return report(err, file.error());
      auto written = delta::patch_image_file(*delta::find_engine(engine_), old_, payload_, file->path(), size_);
      if (!written) return report(err, written.error());
      if (auto copied = file->copy_to(out); !copied) return report(err, copied.error());
      err << "standard output: " << grouped(*written) << " bytes\n";
      return kOk;
    }
    auto written = delta::patch_image_file(*delta::find_engine(engine_), old_, payload_, output_, size_);
    if (!written) return report(err, written.error());
    out << printable(output_) << ": " << grouped(*written) << " bytes\n";
    return kOk;
  }

private:
  std::string old_, payload_, output_, engine_;
  bool force_ = false;
  std::uint64_t size_ = delta::kUnknownSize;
};

} // namespace

std::unique_ptr<Command> make_diff_command(CLI::App& app) { return std::make_unique<DiffCommand>(app); }
std::unique_ptr<Command> make_patch_command(CLI::App& app) { return std::make_unique<PatchCommand>(app); }

} // namespace dfota::cli
