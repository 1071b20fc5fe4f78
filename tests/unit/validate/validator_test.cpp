#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "package/builder.hpp"
#include "package/zip_container.hpp"
#include "support/test_support.hpp"
#include "validate/validator.hpp"

namespace dfota::validate {
namespace {

namespace fs = std::filesystem;

class Validate : public ::testing::Test {
protected:
  void SetUp() override {
    auto r = profiles::Registry::load(test::source_dir() / "formats");
    ASSERT_TRUE(r) << r.error().message();
    registry_ = std::make_unique<profiles::Registry>(std::move(*r));
    ASSERT_TRUE(package::build_package(test::sample_firmware("v1"), test::sample_firmware("v2"), dir_ / "p.zip", {}));
  }
  std::vector<Finding> run(Request request, const std::string& profile = "ec2x") {
    if (request.package.empty()) request.package = dir_ / "p.zip";
    return validate_package(request, **registry_->find(profile), *registry_);
  }
  // The finding of one rule; `findings` must outlive the reference.
  static const Finding& rule(const std::vector<Finding>& findings, const std::string& name) {
    for (const auto& f : findings) {
      if (f.rule == name) return f;
    }
    throw std::runtime_error("no rule " + name);
  }
  test::ScratchDir dir_;
  std::unique_ptr<profiles::Registry> registry_;
};

TEST_F(Validate, PassesWithTheRightModuleAndEnoughSpace) {
  Request r;
  r.module_version = "EC25EFAR06A06M4G_01.003.01.003";
  r.free_space = 10'000'000;
  r.source = test::sample_firmware("v1");
  r.url = "ftp://user:secret@10.0.0.1:21/p.zip";
  r.upload_name = "p.zip";
  r.method = "qfupl";
  auto findings = run(r);
  EXPECT_TRUE(passed(findings));
  for (const auto& f : findings) {
    EXPECT_NE(f.verdict, Verdict::fail) << f.rule << ": " << f.message;
    EXPECT_EQ(f.message.find("secret"), std::string::npos) << "password echoed by " << f.rule;
  }
  // ATI prints the revision without the sub-version: still the source.
  Request ati;
  ati.module_version = "EC25EFAR06A06M4G";
  EXPECT_EQ(rule(run(ati), "version").verdict, Verdict::pass);
}

TEST_F(Validate, PredictsTheModulesErrorCodes) {
  Request on_target;
  on_target.module_version = "EC25EFAR06A07M4G_01.004.01.004";
  const auto on_target_findings = run(on_target);
  const Finding& v = rule(on_target_findings, "version");
  EXPECT_EQ(v.verdict, Verdict::fail);
  EXPECT_EQ(v.code, 505);
  EXPECT_NE(v.message.find("already"), std::string::npos);

  Request other_project;
  other_project.module_version = "EC21EUGAR06A06M4G";
  EXPECT_EQ(rule(run(other_project), "project").code, 505);
  EXPECT_EQ(rule(run(other_project, "ec200t"), "project").code, 552); // ASR family

  Request small;
  small.free_space = 1000;
  // Each family's own code: the RG50xQ note lists 511, the EC2x guide only 504.
  EXPECT_EQ(rule(run(small, "rg50xq"), "space").code, 511);
  EXPECT_EQ(rule(run(small), "space").code, 504);

  Request wrong_source;
  wrong_source.source = test::sample_firmware("v2");
  EXPECT_EQ(rule(run(wrong_source, "rg50xq"), "source").code, 510);
  EXPECT_EQ(rule(run(wrong_source, "ec200t"), "source").code, 553);
  EXPECT_EQ(rule(run(wrong_source), "source").code, 504);

  Bytes bytes = test::read_bytes(dir_ / "p.zip");
  test::write_file(dir_ / "cut.zip", ByteSpan(bytes).first(bytes.size() / 2));
  Request truncated;
  truncated.package = dir_ / "cut.zip";
  auto findings = run(truncated);
  EXPECT_EQ(rule(findings, "zip").code, 505);                 // EC2x: "package file check failed"
  EXPECT_EQ(rule(run(truncated, "rg50xq"), "zip").code, 504); // RG50xQ: "incorrect zip format"
  EXPECT_FALSE(passed(findings));

  test::rewrite_zip(dir_ / "p.zip", dir_ / "flip.zip", [](std::string& name, Bytes& b) {
    if (name == "payload/boot.img") b[10] ^= 1;
    return true;
  });
  Request flipped;
  flipped.package = dir_ / "flip.zip";
  EXPECT_EQ(rule(run(flipped, "ec200t"), "payloads").code, 506); // ASR: MD5 check error
  EXPECT_EQ(rule(run(flipped), "payloads").code, 505);
}

// The UGxx guide: "<err> 0 means OK, else ERROR": a refusal is predicted,
// and no code borrowed from another family is named.
TEST_F(Validate, UgxxRefusalsNameNoCodeTheGuideDoesNotName) {
  Request on_target;
  on_target.module_version = "EC25EFAR06A07M4G_01.004.01.004";
  on_target.free_space = 1;
  const auto findings = run(on_target, "ugxx");
  EXPECT_FALSE(passed(findings));
  for (const char* name : {"version", "space"}) {
    const Finding& f = rule(findings, name);
    EXPECT_EQ(f.verdict, Verdict::fail) << name;
    EXPECT_EQ(f.code, 0) << name;
    EXPECT_NE(f.message.find("guide names no code"), std::string::npos) << f.message;
    EXPECT_EQ(f.message.find("505"), std::string::npos) << f.message;
    EXPECT_EQ(f.message.find("504"), std::string::npos) << f.message;
  }
  for (const auto& predicted : predicted_codes(**registry_->find("ugxx")))
    EXPECT_NE(predicted.scope, "fota") << predicted.rule << " " << predicted.code;
}

TEST_F(Validate, PackageSizeAgainstAFamilyLimit) {
  // No guide states a limit; a profile that does is checked against it.
  profiles::Profile limited = **registry_->find("rg50xq");
  Request r;
  r.package = dir_ / "p.zip";
  limited.max_package_size = 1000;
  const auto too_large = validate_package(r, limited, *registry_);
  EXPECT_EQ(rule(too_large, "size").code, 550);
  EXPECT_FALSE(passed(too_large));
  limited.max_package_size = 10'000'000;
  EXPECT_EQ(rule(validate_package(r, limited, *registry_), "size").verdict, Verdict::pass);
  EXPECT_EQ(rule(run(r, "rg50xq"), "size").verdict, Verdict::skip);
}

TEST_F(Validate, UrlRulesFollowTheFamily) {
  Request long_url;
  long_url.url = "http://server.example/" + std::string(260, 'a') + ".zip";
  EXPECT_EQ(rule(run(long_url, "ugxx"), "url").verdict, Verdict::fail);
  EXPECT_EQ(rule(run(long_url, "rg50xq"), "url").verdict, Verdict::pass); // 512 bytes there

  Request subdir;
  subdir.url = "ftp://test:test@124.74.41.170:21/Jun/update.zip";
  const auto subdir_findings = run(subdir, "ec200t");
  const Finding& f = rule(subdir_findings, "url");
  EXPECT_EQ(f.verdict, Verdict::fail);
  EXPECT_NE(f.message.find("root"), std::string::npos);
  EXPECT_EQ(f.message.find("test:test"), std::string::npos);
  EXPECT_EQ(rule(run(subdir, "ec2x"), "url").verdict, Verdict::pass);

  Request https;
  https.url = "https://host/p.zip";
  EXPECT_EQ(rule(run(https, "ec2x"), "url").verdict, Verdict::fail);
  EXPECT_EQ(rule(run(https, "ec200t"), "url").verdict, Verdict::pass);

  Request port;
  port.url = "http://host:70000/p.zip";
  EXPECT_EQ(rule(run(port), "url").verdict, Verdict::fail);
  Request user;
  user.url = "ftp://" + std::string(51, 'u') + ":p@host/p.zip";
  EXPECT_EQ(rule(run(user), "url").verdict, Verdict::fail);
}

TEST_F(Validate, UploadNamesAndMethods) {
  Request longname;
  longname.upload_name = std::string(81, 'a');
  EXPECT_EQ(rule(run(longname), "upload-name").code, 406);
  Request not83;
  not83.upload_name = "update-v1-to-v2.zip";
  EXPECT_EQ(rule(run(not83), "upload-name").verdict, Verdict::warn);
  Request com;
  com.method = "com";
  EXPECT_EQ(rule(run(com, "ec2x"), "method").verdict, Verdict::fail);
  EXPECT_EQ(rule(run(com, "ugxx"), "method").verdict, Verdict::pass);
}

TEST_F(Validate, AForeignPackageIsCheckedAsFarAsPossible) {
  auto zip = package::ZipWriter::create(dir_ / "update.zip");
  ASSERT_TRUE(zip);
  ASSERT_TRUE(zip->add_bytes("META-INF/com/google/android/updater-script", Bytes{'x'}));
  ASSERT_TRUE(zip->close());
  Request r;
  r.package = dir_ / "update.zip";
  r.module_version = "EC25EFAR06A06M4G";
  r.free_space = 1 << 20;
  auto findings = run(r);
  EXPECT_TRUE(passed(findings));
  EXPECT_EQ(rule(findings, "project").verdict, Verdict::warn);
  EXPECT_EQ(rule(findings, "space").verdict, Verdict::pass);
}

// Examined once, checked for every family: the same findings as reading the
// package each time, without the file (it is gone when they are checked).
TEST_F(Validate, OneExaminationServesEveryFamilyWithoutReadingTheFileAgain) {
  Request r;
  r.module_version = "EC25EFAR06A06M4G_01.003.01.003";
  r.free_space = 10'000'000;
  std::map<std::string, std::vector<Finding>> read_each_time;
  for (const char* family : {"ugxx", "ec2x", "ec200t", "rg50xq"})
    read_each_time[family] = run(r, family);

  const fs::path package = dir_ / "p.zip";
  auto facts = std::make_shared<const PackageFacts>(examine_package(package, {}));
  EXPECT_EQ(facts->file.size, fs::file_size(package));
  ASSERT_TRUE(facts->manifest);
  fs::rename(package, dir_ / "elsewhere.zip");
  r.facts = facts;
  for (const auto& [family, expected] : read_each_time) {
    const auto findings = run(r, family);
    ASSERT_EQ(findings.size(), expected.size()) << family;
    for (std::size_t i = 0; i < findings.size(); ++i) {
      EXPECT_EQ(findings[i].rule, expected[i].rule) << family;
      EXPECT_EQ(findings[i].verdict, expected[i].verdict) << family << " " << findings[i].rule;
      EXPECT_EQ(findings[i].code, expected[i].code) << family << " " << findings[i].rule;
      EXPECT_EQ(findings[i].message, expected[i].message) << family << " " << findings[i].rule;
    }
  }
}

// A damaged package's finding takes each family's own code.
TEST_F(Validate, AContainerFindingTakesEachFamilysCode) {
  const fs::path damaged = dir_ / "damaged.zip";
  {
    std::ofstream out(damaged, std::ios::binary);
    out << "PK\x03\x04 cut short";
  }
  auto facts = std::make_shared<const PackageFacts>(examine_package(damaged, {}));
  ASSERT_FALSE(facts->container.empty());
  EXPECT_EQ(facts->container.front().code, ContainerFinding::Code::bad_package);
  Request r;
  r.package = damaged;
  r.facts = facts;
  for (const char* family : {"ec2x", "rg50xq"}) {
    const auto findings = run(r, family);
    EXPECT_EQ(rule(findings, "zip").verdict, Verdict::fail);
    EXPECT_EQ(rule(findings, "zip").code, (*registry_->find(family))->upgrade.bad_package) << family;
  }
}

} // namespace
} // namespace dfota::validate
