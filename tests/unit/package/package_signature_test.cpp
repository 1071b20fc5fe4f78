#include "package/package_signature.hpp"

#include <gtest/gtest.h>

#include "package/applier.hpp"
#include "package/builder.hpp"
#include "package/inspector.hpp"
#include "support/test_support.hpp"
#include "validate/validator.hpp"

namespace dfota::package {
namespace {

namespace fs = std::filesystem;
using signing::SigningErrc;

class SignedPackages : public ::testing::Test {
protected:
  void SetUp() override {
    auto k = signing::generate_key(signing::KeyType::ed25519);
    auto o = signing::generate_key(signing::KeyType::ecdsa_p256);
    ASSERT_TRUE(k && o);
    key_.emplace(std::move(*k));
    other_.emplace(std::move(*o));
    BuildOptions options;
    options.engine = "zstd";
    ASSERT_TRUE(build_package(test::sample_firmware("v1"), test::sample_firmware("v2"), plain(), options));
    options.sign_key = *key_;
    auto built = build_package(test::sample_firmware("v1"), test::sample_firmware("v2"), signed_path(), options);
    ASSERT_TRUE(built) << built.error().message();
    EXPECT_EQ(built->signed_by, key_->public_key().fingerprint());
  }
  fs::path plain() const { return dir_.path() / "plain.zip"; }
  fs::path signed_path() const { return dir_.path() / "signed.zip"; }
  std::vector<signing::PublicKey> trusted() const { return {key_->public_key()}; }

  test::ScratchDir dir_;
  std::optional<signing::PrivateKey> key_, other_;
};

TEST_F(SignedPackages, BuildSignedEqualsBuildThenSignAndVerifies) {
  const fs::path later = dir_.path() / "later.zip";
  auto signature = sign_package(plain(), *key_, later);
  ASSERT_TRUE(signature) << signature.error().message();
  EXPECT_EQ(test::read_bytes(later), test::read_bytes(signed_path())) << "Ed25519 is deterministic";
  auto verified = verify_package(signed_path(), trusted());
  ASSERT_TRUE(verified) << verified.error().message();
  EXPECT_EQ(verified->fingerprint(), key_->public_key().fingerprint());
  // The signed package still opens and applies like any other.
  EXPECT_TRUE(apply_package(signed_path(), test::sample_firmware("v1"), dir_.path() / "out"));
}

TEST_F(SignedPackages, SigningInPlaceReplacesAnOldSignature) {
  const fs::path copy = dir_.path() / "copy.zip";
  fs::copy_file(signed_path(), copy);
  ASSERT_TRUE(sign_package(copy, *other_, copy));
  EXPECT_TRUE(verify_package(copy, {other_->public_key()}));
  EXPECT_TRUE(verify_package(copy, trusted()).error().is(SigningErrc::untrusted_key));
  auto opened = open_package(copy);
  ASSERT_TRUE(opened);
  int signatures = 0;
  for (const auto& e : opened->zip.entries())
    signatures += e.name == kSignatureEntry;
  EXPECT_EQ(signatures, 1);
  EXPECT_EQ(opened->zip.entries()[1].name, kSignatureEntry) << "right after manifest.json";
  // Nothing is left beside the package.
  EXPECT_EQ(test::list_all(dir_.path()).size(), 3u);
}

TEST_F(SignedPackages, UnsignedTamperedAndForeignAreRefused) {
  EXPECT_TRUE(verify_package(plain(), trusted()).error().is(SigningErrc::unsigned_package));
  EXPECT_TRUE(verify_package(signed_path(), {other_->public_key()}).error().is(SigningErrc::untrusted_key));

  // One byte of the manifest changed (a space added): the signature fails.
  const fs::path manifest_edit = dir_.path() / "manifest-edit.zip";
  test::rewrite_zip(signed_path(), manifest_edit, [](std::string& name, Bytes& bytes) {
    if (name == kManifestEntry) bytes.insert(bytes.begin() + 1, ' ');
    return true;
  });
  EXPECT_TRUE(verify_package(manifest_edit, trusted()).error().is(SigningErrc::bad_signature));

  // A payload changed under a valid signature: the manifest's hash catches it.
  const fs::path payload_edit = dir_.path() / "payload-edit.zip";
  test::rewrite_zip(signed_path(), payload_edit, [](std::string& name, Bytes& bytes) {
    if (name.rfind("payload/", 0) == 0 && !bytes.empty()) bytes[bytes.size() / 2] ^= 0x01;
    return true;
  });
  auto payload = verify_package(payload_edit, trusted());
  ASSERT_FALSE(payload);
  EXPECT_TRUE(payload.error().is(PackageErrc::payload_mismatch)) << payload.error().message();

  // The target firmware.json swapped.
  const fs::path json_edit = dir_.path() / "json-edit.zip";
  test::rewrite_zip(signed_path(), json_edit, [](std::string& name, Bytes& bytes) {
    if (name == kFirmwareJsonEntry) bytes.back() = ' ';
    return true;
  });
  EXPECT_TRUE(verify_package(json_edit, trusted()).error().is(PackageErrc::payload_mismatch));

  // A signature of another manifest grafted on.
  const fs::path grafted = dir_.path() / "grafted.zip";
  auto foreign_doc = signing::sign_document(*key_, as_bytes("{}"));
  test::rewrite_zip(signed_path(), grafted, [&](std::string& name, Bytes& bytes) {
    if (name == kSignatureEntry) {
      const std::string text = signing::to_text(*foreign_doc);
      bytes.assign(text.begin(), text.end());
    }
    return true;
  });
  EXPECT_TRUE(verify_package(grafted, trusted()).error().is(SigningErrc::bad_signature));

  // A malformed signature document.
  const fs::path garbage = dir_.path() / "garbage.zip";
  test::rewrite_zip(signed_path(), garbage, [](std::string& name, Bytes& bytes) {
    if (name == kSignatureEntry) bytes.resize(bytes.size() / 2);
    return true;
  });
  EXPECT_TRUE(verify_package(garbage, trusted()).error().is(SigningErrc::signature_invalid));
}

TEST_F(SignedPackages, ApplyWithKeysRefusesBeforeWritingAnything) {
  ApplyOptions options;
  options.trusted_keys = {other_->public_key()};
  const fs::path out = dir_.path() / "out";
  auto refused = apply_package(signed_path(), test::sample_firmware("v1"), out, options);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().is(SigningErrc::untrusted_key));
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(test::list_all(dir_.path()).size(), 2u) << "no partial directory either";
  // Refused even when the source is wrong: the signature comes first.
  auto first = apply_package(plain(), test::sample_firmware("v2"), out, options);
  EXPECT_TRUE(first.error().is(SigningErrc::unsigned_package));
  options.trusted_keys = {other_->public_key(), key_->public_key()};
  EXPECT_TRUE(apply_package(signed_path(), test::sample_firmware("v1"), out, options));
}

TEST_F(SignedPackages, InspectShowsTheClaimedKey) {
  auto signed_view = inspect_package(signed_path());
  ASSERT_TRUE(signed_view);
  ASSERT_TRUE(signed_view->signature);
  EXPECT_EQ(signed_view->signature->key_fingerprint, key_->public_key().fingerprint());
  auto plain_view = inspect_package(plain());
  ASSERT_TRUE(plain_view);
  EXPECT_FALSE(plain_view->has_signature);
  EXPECT_FALSE(plain_view->signature);
}

TEST_F(SignedPackages, ValidateRunsTheSignatureRuleFirstAndStopsOnRefusal) {
  auto registry = profiles::Registry::load(test::source_dir() / "formats");
  ASSERT_TRUE(registry);
  auto profile = registry->find("ec2x");
  ASSERT_TRUE(profile);
  validate::Request request;
  request.package = plain();
  request.module_version = "EC25EFAR06A06M4G_01.003.01.003";
  request.trusted_keys = trusted();
  auto findings = validate::validate_package(request, **profile, *registry);
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[1].rule, "signature");
  EXPECT_EQ(findings[1].verdict, validate::Verdict::fail);
  EXPECT_FALSE(validate::passed(findings));

  request.package = signed_path();
  findings = validate::validate_package(request, **profile, *registry);
  EXPECT_TRUE(validate::passed(findings));
  EXPECT_EQ(findings[1].rule, "signature");
  EXPECT_EQ(findings[1].verdict, validate::Verdict::pass);
  EXPECT_GT(findings.size(), 5u);

  request.trusted_keys.clear();
  findings = validate::validate_package(request, **profile, *registry);
  EXPECT_EQ(findings[1].verdict, validate::Verdict::skip);
  EXPECT_NE(findings[1].message.find(key_->public_key().fingerprint()), std::string::npos);
}

} // namespace
} // namespace dfota::package
