// `dfota diff` and `dfota patch`: one engine on one pair of images, without a
// package around them (for single images and for measuring engines).
#include "cli/command.hpp"
#include "core/files.hpp"
#include "delta/engine.hpp"

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
    sub->add_option("-o,--output", output_, "Payload to write")->required();
    add_engine_option(sub, engine_);
  }

  int run(std::ostream& out, std::ostream& err) override {
    if (names_same_file(output_, old_)) return refuse_output_over(err, "-o", "OLD");
    if (names_same_file(output_, new_)) return refuse_output_over(err, "-o", "NEW");
    const delta::Engine* engine = delta::find_engine(engine_);
    auto source = MappedFile::open(old_);
    if (!source) return report(err, source.error());
    auto target = MappedFile::open(new_);
    if (!target) return report(err, target.error());
    auto file = OutputFile::create(output_);
    if (!file) return report(err, file.error());
    CountingWriter counter;
    TeeWriter tee(file->writer(), counter);
    if (auto ok = engine->diff(source->bytes(), target->bytes(), tee); !ok) return report(err, ok.error());
    if (auto ok = file->commit(); !ok) return report(err, ok.error());
    out << output_ << ": " << grouped(counter.count()) << " bytes (" << engine_ << ")\n";
    return kOk;
  }

private:
  std::string old_, new_, output_, engine_;
};

class PatchCommand final : public Command {
public:
  explicit PatchCommand(CLI::App& app) {
    auto* sub = app.add_subcommand("patch", "Apply a raw delta payload to an image (no package)");
    sub->add_option("old", old_, "Source image")->required();
    sub->add_option("payload", payload_, "Payload written by 'dfota diff' ('-': standard input)")->required();
    sub->add_option("-o,--output", output_, "Image to write (OLD itself patches in place)")->required();
    sub->add_option("--size", size_, "Expected size of the result (checked when given)")->check(whole_number());
    add_engine_option(sub, engine_);
  }

  int run(std::ostream& out, std::ostream& err) override {
    // -o may name OLD (patching in place: OLD is read through a mapping of
    // its own, and the result replaces it only when complete), not PAYLOAD.
    if (payload_ != "-" && names_same_file(output_, payload_)) return refuse_output_over(err, "-o", "PAYLOAD");
    const delta::Engine* engine = delta::find_engine(engine_);
    auto source = MappedFile::open(old_);
    if (!source) return report(err, source.error());
    auto payload = FdReader::open_or_stdin(payload_);
    if (!payload) return report(err, payload.error());
    auto file = OutputFile::create(output_);
    if (!file) return report(err, file.error());
    CountingWriter counter;
    TeeWriter tee(file->writer(), counter);
    BufferedWriter output(tee); // an engine writes a piece per copy or literal run
    if (auto ok = engine->apply(source->bytes(), **payload, output, size_); !ok) return report(err, ok.error());
    if (auto ok = output.flush(); !ok) return report(err, ok.error());
    if (auto ok = file->commit(); !ok) return report(err, ok.error());
    out << output_ << ": " << grouped(counter.count()) << " bytes\n";
    return kOk;
  }

private:
  std::string old_, payload_, output_, engine_;
  std::uint64_t size_ = delta::kUnknownSize;
};

} // namespace

std::unique_ptr<Command> make_diff_command(CLI::App& app) { return std::make_unique<DiffCommand>(app); }
std::unique_ptr<Command> make_patch_command(CLI::App& app) { return std::make_unique<PatchCommand>(app); }

} // namespace dfota::cli
