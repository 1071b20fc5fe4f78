#include "validate/package_facts.hpp"

#include "delta/engine.hpp"
#include "firmware/firmware.hpp"
#include "package/package_reader.hpp"
#include "package/package_signature.hpp"

namespace dfota::validate {

namespace {

using Code = ContainerFinding::Code;

class Examiner {
public:
  Examiner(PackageFacts& facts, const std::vector<signing::PublicKey>& trusted_keys)
      : facts_(facts), trusted_keys_(trusted_keys) {}

  void run() {
    const std::filesystem::path& path = facts_.path;
    // A file that is no zip at all: a vendor's opaque package (.bin, .pack).
    if (auto zip_like = package::looks_like_zip(path); zip_like && !*zip_like && facts_.file.size > 0) {
      return foreign_package(package::describe(package::Layout::opaque), "an opaque package cannot be checked inside");
    }
    auto opened = package::open_package(path);
    if (!opened && opened.error().is(package::PackageErrc::manifest_missing)) {
      // A zip that is not ours: describe what it is, check what can be checked.
      if (auto inspected = package::inspect_layout(path)) {
        return foreign_package(std::string("readable zip: ") + package::describe(inspected->layout),
                               "project/version cannot be checked for this layout");
      }
    }
    if (!opened) {
      add("zip", Verdict::fail, Code::bad_package, opened.error().message());
      if (!trusted_keys_.empty()) return refuse_signature("the package cannot be opened to check its signature");
      add("payloads", Verdict::skip, Code::none, "the package cannot be opened");
      return;
    }
    add("zip", Verdict::pass, Code::none,
        "zip and manifest are well-formed (format " + std::to_string(opened->manifest.format_major) + "." +
            std::to_string(opened->manifest.format_minor) + ")");
    const bool payloads_verified = check_signature(*opened);
    if (facts_.signature_refused) return;
    check_payloads(*opened, payloads_verified);
    facts_.manifest = std::move(opened->manifest);
  }

private:
  void add(std::string rule, Verdict verdict, Code code, std::string message) {
    facts_.container.push_back(ContainerFinding{std::move(rule), verdict, code, std::move(message)});
  }

  // A vendor's package, described as `what`: readable, but nothing inside
  // can be checked (`unchecked` says why); it cannot carry our signature.
  void foreign_package(const std::string& what, const std::string& unchecked) {
    add("zip", Verdict::pass, Code::none, what);
    if (!trusted_keys_.empty()) return refuse_signature("a package without a dfota manifest cannot carry a signature");
    facts_.foreign = true;
    add("payloads", Verdict::warn, Code::none,
        unchecked + "; package md5 " + facts_.file.md5 + ", checksum " + checksum_hex(facts_.file.module_checksum));
  }

  void refuse_signature(const std::string& why) {
    add("signature", Verdict::fail, Code::none, "refused: " + why);
    facts_.signature_refused = true;
  }

  // The "signature" rule. Returns true when it verified every payload on the
  // way (a trusted signature), so that they need not be read again.
  bool check_signature(const package::OpenedPackage& opened) {
    if (trusted_keys_.empty()) {
      auto document = package::read_signature(opened.zip);
      if (!document)
        add("signature", Verdict::warn, Code::none, document.error().message());
      else if (*document)
        add("signature", Verdict::skip, Code::none,
            "signed by key " + (*document)->key_fingerprint + "; give --pubkey to check it");
      else
        add("signature", Verdict::skip, Code::none, "not signed");
      return false;
    }
    auto key = package::verify_package(opened, trusted_keys_);
    if (!key) {
      refuse_signature(key.error().message());
      return false;
    }
    add("signature", Verdict::pass, Code::none,
        "signed by trusted key " + key->fingerprint() + "; every payload verified");
    return true;
  }

  // The "payloads" rule: every payload's size and SHA-256 against the
  // manifest, and what each states about its result.
  void check_payloads(const package::OpenedPackage& opened, bool payloads_verified) {
    std::vector<const package::Payload*> payloads;
    for (const auto& p : opened.manifest.partitions) {
      if (p.payload) payloads.push_back(&*p.payload);
      for (const auto& f : p.files) {
        if (f.payload) payloads.push_back(&*f.payload);
      }
    }
    // Every payload read to the end (unless the signature check just did).
    for (const auto* payload : payloads_verified ? std::vector<const package::Payload*>{} : payloads) {
      auto reader = package::open_payload(opened.zip, *payload);
      CountingWriter sink;
      auto copied = reader ? copy_stream(**reader, sink) : Expected<std::uint64_t>(reader.error());
      if (!copied) return add("payloads", Verdict::fail, Code::corrupt_payload, copied.error().message());
    }
    // What each payload states about its result, against the manifest's
    // target size, before anything decodes it (a payload that would make the
    // applier allocate or write more than it announced).
    auto stated_size_problem = [&](const package::Payload& payload, const std::optional<package::Content>& target) {
      const delta::Engine* engine = delta::find_engine(payload.engine);
      if (!engine || !target) return std::string();
      auto reader = opened.zip.open_entry(payload.path);
      if (!reader) return reader.error().message();
      Bytes head(18);
      std::size_t held = 0;
      while (held < head.size()) {
        auto got = (*reader)->read(std::span<std::uint8_t>(head).subspan(held));
        if (!got) return got.error().message();
        if (*got == 0) break;
        held += *got;
      }
      auto ok = engine->check_stated_size(ByteSpan(head).first(held), target->size);
      return ok ? std::string() : payload.path + ": " + ok.error().message();
    };
    for (const auto& p : opened.manifest.partitions) {
      std::string problem = p.payload ? stated_size_problem(*p.payload, p.target) : std::string();
      for (const auto& f : p.files) {
        if (problem.empty() && f.payload) problem = stated_size_problem(*f.payload, f.target);
      }
      if (!problem.empty()) return add("payloads", Verdict::fail, Code::corrupt_payload, problem);
    }
    add("payloads", Verdict::pass, Code::none,
        std::to_string(payloads.size()) + " payloads match their SHA-256; package md5 " + facts_.file.md5 +
            ", checksum " + checksum_hex(facts_.file.module_checksum));
  }

  PackageFacts& facts_;
  const std::vector<signing::PublicKey>& trusted_keys_;
};

} // namespace

PackageFacts examine_package(const std::filesystem::path& path, const std::vector<signing::PublicKey>& trusted_keys,
                             const std::optional<Digests>& digests) {
  PackageFacts facts;
  facts.path = path;
  if (digests) {
    facts.file = *digests;
  } else if (auto digested = firmware::digest_file(path)) {
    facts.file = *digested;
  } else {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec) facts.file.size = size;
  }
  Examiner(facts, trusted_keys).run();
  return facts;
}

} // namespace dfota::validate
