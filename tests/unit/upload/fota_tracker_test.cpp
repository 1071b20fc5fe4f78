// The uploader's state machine fed with the guides' transcripts, verbatim.
#include "upload/fota_tracker.hpp"

#include <gtest/gtest.h>

#include "support/sim_harness.hpp"

namespace dfota::upload {
namespace {

const profiles::Profile& profile(const char* id) { return **test::registry().find(id); }

FotaTracker feed(const char* id, std::initializer_list<const char*> lines) {
  FotaTracker tracker(profile(id));
  for (const char* line : lines)
    tracker.feed(line);
  return tracker;
}

TEST(FotaTracker, Ec25FtpTranscript) {
  // EC25&EC21 DFOTA User Guide, 3.1 (example).
  auto t = feed("ec2x", {R"(+QIND: "FOTA" "FTPSTART")", R"(+QIND: "FOTA","FTPEND",0)", R"(+QIND: "FOTA","START")",
                         R"(+QIND: "FOTA","UPDATING", 1)", R"(+QIND: "FOTA","UPDATING", 2)",
                         R"(+QIND: "FOTA","UPDATING", 100)", R"(+QIND: "FOTA","END",0)"});
  EXPECT_EQ(t.phase(), FotaPhase::installed);
  EXPECT_TRUE(t.saw_start());
  EXPECT_EQ(t.percent(), 100);
  EXPECT_EQ(t.garbled(), 0);
}

TEST(FotaTracker, UgxxHttpTranscriptWithHttppendAndRdy) {
  // WCDMA UGxx DFOTA User Guide, 3.2.
  auto t = feed("ugxx", {R"(+QIND: "FOTA","HTTPSTART")", R"(+QIND: "FOTA","HTTPPEND",0)", R"(+QIND: "FOTA","START")",
                         R"(+QIND: "FOTA","UPDATING",1)", R"(+QIND: "FOTA","UPDATING",3)",
                         R"(+QIND: "FOTA","UPDATING",100)", R"(+QIND: "FOTA","END",0)", "RDY"});
  EXPECT_EQ(t.phase(), FotaPhase::installed);
  EXPECT_TRUE(t.saw_ready());
}

TEST(FotaTracker, Ec200tFileTranscript) {
  // EC200T&UC200T FOTA User Guide, 3.3.
  auto t =
      feed("ec200t", {R"(+QIND: "FOTA","FILESTART")", R"(+QIND: "FOTA", "FILEEND", 0)", R"(+QIND: "FOTA", "START")",
                      R"(+QIND: "FOTA", "UPDATING", 1)", R"(+QIND: "FOTA", "UPDATING", 2)",
                      R"(+QIND: "FOTA", "UPDATING", 100)", R"(+QIND: "FOTA","END",0)"});
  EXPECT_EQ(t.phase(), FotaPhase::installed);
}

TEST(FotaTracker, Rg50xqRetriesAfter520AndSucceeds) {
  // RG50xQ&RM5xxQ DFOTA Application Note, chapter 4.
  FotaTracker t(profile("rg50xq"));
  t.feed(R"(+QIND: "FOTA","START")");
  t.feed(R"(+QIND: "FOTA","UPDATING",20)");
  auto step = t.feed(R"(+QIND: "FOTA","END",520)");
  EXPECT_EQ(step.kind, FotaStep::Kind::retry);
  EXPECT_FALSE(t.finished());
  for (const char* line : {R"(+QIND: "FOTA","START")", R"(+QIND: "FOTA","UPDATING",20)",
                           R"(+QIND: "FOTA","UPDATING",30)", R"(+QIND: "FOTA","END",0)"})
    t.feed(line);
  EXPECT_EQ(t.phase(), FotaPhase::installed);
  EXPECT_EQ(t.retried(), std::vector<int>{520});
}

TEST(FotaTracker, FinalCodesEndTheRun) {
  auto rg = feed("rg50xq", {R"(+QIND: "FOTA","HTTPSTART")", R"(+QIND: "FOTA","HTTPEnd",701)"});
  EXPECT_EQ(rg.phase(), FotaPhase::failed);
  EXPECT_EQ(rg.error_code(), 701);
  EXPECT_EQ(rg.error_scope(), "http");
  auto asr = feed("ec200t", {R"(+QIND: "FOTA", "START")", R"(+QIND: "FOTA", "END", 506)"});
  EXPECT_EQ(asr.error_code(), 506);
  EXPECT_EQ(asr.error_scope(), "fota");
  // EC2x retries 505 by itself; the fifth END 505 is final.
  FotaTracker ec2x(profile("ec2x"));
  for (int i = 0; i < 4; ++i) {
    ec2x.feed(R"(+QIND: "FOTA","START")");
    EXPECT_EQ(ec2x.feed(R"(+QIND: "FOTA","END", 505)").kind, FotaStep::Kind::retry);
  }
  ec2x.feed(R"(+QIND: "FOTA","START")");
  ec2x.feed(R"(+QIND: "FOTA","END", 505)");
  EXPECT_EQ(ec2x.phase(), FotaPhase::failed);
  EXPECT_EQ(ec2x.error_code(), 505);
}

TEST(FotaTracker, GarbledAndForeignLinesAreToleratedAndCounted) {
  auto t = feed("ec2x", {R"(+QIND: "FOTA","START")", R"(+QIND: "FOTA","UPDAT)", R"(+QIND: "FO)",
                         R"(+QIND: "csq",20,99)", "+CPIN: READY", R"(+QIND: "FOTA","UPDATING", 50)"});
  EXPECT_EQ(t.garbled(), 2);
  EXPECT_EQ(t.phase(), FotaPhase::updating);
  EXPECT_EQ(t.percent(), 50);
}

TEST(FotaTracker, StartMayBeLost) {
  auto t = feed("rg50xq", {R"(+QIND: "FOTA","UPDATING",40)", R"(+QIND: "FOTA","END",0)"});
  EXPECT_EQ(t.phase(), FotaPhase::installed);
  EXPECT_FALSE(t.saw_start());
}

} // namespace
} // namespace dfota::upload
