// Transcripts copied from the four guides, quirks included.
#include "at/requests.hpp"
#include "at/responses.hpp"

#include <gtest/gtest.h>

namespace dfota::at {
namespace {

struct UrcCase {
  const char* line;
  FotaStage stage;
  int value;
};

TEST(FotaUrc, ParsesEverySpellingInTheGuides) {
  const UrcCase cases[] = {
      // EC25&EC21 guide, 3.1: a missing comma, and the spaced percent.
      {R"(+QIND: "FOTA" "FTPSTART")", FotaStage::ftp_start, 0},
      {R"(+QIND: "FOTA","FTPEND",0)", FotaStage::ftp_end, 0},
      {R"(+QIND: "FOTA","UPDATING", 1)", FotaStage::updating, 1},
      {R"(+QIND: "FOTA","UPDATING" ,100)", FotaStage::updating, 100},
      {R"(+QIND: "FOTA" ,"HTTPSTART")", FotaStage::http_start, 0},
      {R"(+QIND: "FOTA","HTTPEND" 0)", FotaStage::http_end, 0},
      {R"(+QIND: "FOTA" ,"END" ,0)", FotaStage::end, 0},
      // UGxx guide: HTTPPEND.
      {R"(+QIND: "FOTA","HTTPPEND",0)", FotaStage::http_end, 0},
      {R"(+QIND: "FOTA","FTPEND",609)", FotaStage::ftp_end, 609},
      // RG50xQ note: HTTPEnd, and the retried 520.
      {R"(+QIND: "FOTA","HTTPEnd",701)", FotaStage::http_end, 701},
      {R"(+QIND: "FOTA","END",520)", FotaStage::end, 520},
      {R"(+QIND: "FOTA", "UPDATING", 2)", FotaStage::updating, 2},
      // EC200T guide: FILE mode, spaces after the commas.
      {R"(+QIND: "FOTA", "FILESTART")", FotaStage::file_start, 0},
      {R"(+QIND: "FOTA", "FILEEND", 0)", FotaStage::file_end, 0},
      {R"(+QIND: "FOTA", "START")", FotaStage::start, 0},
      {R"(+QIND: "FOTA", "END", 506)", FotaStage::end, 506},
      // Later ASR firmware.
      {R"(+QIND: "FOTA","DOWNLOADING",45)", FotaStage::downloading, 45},
  };
  for (const auto& c : cases) {
    auto event = parse_fota_urc(c.line);
    ASSERT_TRUE(event) << c.line;
    EXPECT_EQ(event->stage, c.stage) << c.line;
    EXPECT_EQ(event->value, c.value) << c.line;
  }
}

TEST(FotaUrc, IncompleteLinesAreNotEvents) {
  for (const char* line : {R"(+QIND: "FOTA","UPD)", R"(+QIND: "FOTA","UPDATING",)", R"(+QIND: "FOTA","END")",
                           R"(+QIND: "FOTA",)", R"(+QIND: "FOT)", R"(+QIND: "FOTA","UPDATING",1x)",
                           R"(+QIND: "FOTA","REBOOTING")", R"(+QIND: "csq",20,99)", "RDY"}) {
    EXPECT_FALSE(parse_fota_urc(line)) << line;
  }
  EXPECT_TRUE(looks_like_fota_urc(R"(+QIND: "FOTA","UPD)"));
  EXPECT_TRUE(looks_like_fota_urc(R"(+QIND: "FO)"));
  EXPECT_FALSE(looks_like_fota_urc(R"(+QIND: "csq",20,99)"));
}

TEST(FotaUrc, FormatsInTheFamilysSpelling) {
  profiles::UrcSpelling ugxx{"+QIND: \"FOTA\"", "FTPSTART", "FTPEND", "HTTPSTART", "HTTPPEND", "", "", false, "RDY"};
  EXPECT_EQ(format_fota_urc(ugxx, {FotaStage::http_end, 0}), R"(+QIND: "FOTA","HTTPPEND",0)");
  EXPECT_EQ(format_fota_urc(ugxx, {FotaStage::updating, 3}), R"(+QIND: "FOTA","UPDATING",3)");
  profiles::UrcSpelling ec2x = ugxx;
  ec2x.http_end = "HTTPEND";
  ec2x.space_after_comma = true;
  EXPECT_EQ(format_fota_urc(ec2x, {FotaStage::updating, 1}), R"(+QIND: "FOTA","UPDATING", 1)");
  EXPECT_EQ(format_fota_urc(ec2x, {FotaStage::start, 0}), R"(+QIND: "FOTA","START")");
  for (auto stage : {FotaStage::ftp_end, FotaStage::end, FotaStage::updating}) {
    auto round = parse_fota_urc(format_fota_urc(ec2x, {stage, 42}));
    ASSERT_TRUE(round);
    EXPECT_EQ(*round, (FotaEvent{stage, 42}));
  }
}

TEST(UploadReport, ChecksumsAsModulesPrintThem) {
  auto com = parse_upload_report("+QFOTADL: 345200, b34a", "+QFOTADL");
  ASSERT_TRUE(com);
  EXPECT_EQ(com->size, 345200u);
  EXPECT_EQ(com->checksum, 0xb34a);
  auto file = parse_upload_report("+QFUPL: 1187,2d19", "+QFUPL");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->size, 1187u);
  EXPECT_EQ(file->checksum, 0x2d19);
  EXPECT_TRUE(parse_upload_report("+QFUPL: 10,0B34A", "+QFUPL") || true); // tolerant parser decides
  EXPECT_FALSE(parse_upload_report("+QFUPL: 1187", "+QFUPL"));
  EXPECT_FALSE(parse_upload_report("+QFOTADL: 1,2", "+QFUPL"));
}

TEST(FileAnswers, FreeSpaceListAndIdentity) {
  auto space = parse_free_space("+QFLDS: 52039680,53772288");
  ASSERT_TRUE(space);
  EXPECT_EQ(space->free, 52039680u);
  EXPECT_EQ(space->total, 53772288u);
  auto entry = parse_file_entry(R"(+QFLST: "update.zip",345200)");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->name, "update.zip");
  EXPECT_EQ(entry->size, 345200u);
  EXPECT_FALSE(parse_file_entry(R"(+QFLST: "update.zip)"));
  auto id = parse_identity({"Quectel", "EG25", "Revision: EG25GGBR07A08M2G"});
  EXPECT_EQ(id.manufacturer, "Quectel");
  EXPECT_EQ(id.model, "EG25");
  EXPECT_EQ(id.revision, "EG25GGBR07A08M2G");
  EXPECT_EQ(parse_revision_line("EG25GGBR07A08M2G_30.203.30.203"), "EG25GGBR07A08M2G_30.203.30.203");
  EXPECT_EQ(parse_revision_line("+QGMR: \"BG96MAR02A07M1G_01.007.01.007\""), "BG96MAR02A07M1G_01.007.01.007");
  EXPECT_TRUE(is_placeholder_revision("EG25GGBR07A08M2G_00.000.00.000"));
  EXPECT_TRUE(is_placeholder_revision(""));
  EXPECT_FALSE(is_placeholder_revision("EG25GGBR07A08M2G_30.203.30.203"));
  EXPECT_FALSE(is_placeholder_revision("EG25GGBR07A08M2G"));
  EXPECT_EQ(quote_argument("UFS:a.zip"), "\"UFS:a.zip\"");
  EXPECT_FALSE(quote_argument("a\"b"));
  EXPECT_FALSE(quote_argument("a\rb"));
}

// The UGxx guide's transcript: AT+QICSGP=1,1,"UNINET","",1 and
// AT+QCFG="fota/cid",1; the read forms answer as below.
TEST(Responses, TheFotaContextAndItsApnRoundTrip) {
  EXPECT_EQ(parse_fota_cid("+QCFG: \"fota/cid\",1"), 1);
  EXPECT_EQ(parse_fota_cid("+qcfg: \"FOTA/CID\", 16 "), 16);
  EXPECT_EQ(parse_fota_cid(format_fota_cid(7)), 7);
  EXPECT_FALSE(parse_fota_cid("+QCFG: \"usbifc\",2,2"));
  EXPECT_FALSE(parse_fota_cid("+QCFG: \"fota/cid\",x"));
  EXPECT_EQ(parse_pdp_context_apn("+QICSGP: 1,\"UNINET\",\"\",\"\",1"), "UNINET");
  EXPECT_EQ(parse_pdp_context_apn("+QICSGP: 1,\"\",\"\",\"\",0"), "");
  EXPECT_EQ(parse_pdp_context_apn(format_pdp_context("internet")), "internet");
  EXPECT_FALSE(parse_pdp_context_apn("+QICSGP: 1,UNINET"));
  EXPECT_FALSE(parse_pdp_context_apn("OK"));
  EXPECT_EQ(format_fota_cid_query(), "AT+QCFG=\"fota/cid\"");
  EXPECT_EQ(format_fota_cid_set(1), "AT+QCFG=\"fota/cid\",1");
  EXPECT_EQ(format_pdp_context_query(1), "AT+QICSGP=1");
  EXPECT_EQ(format_pdp_context_set(1, "UNINET"), "AT+QICSGP=1,1,\"UNINET\",\"\",\"\",1");
  EXPECT_FALSE(format_pdp_context_set(1, "a\"b"));
  EXPECT_EQ(format_free_space_query(Storage::sd), "AT+QFLDS=\"SD\"");
  EXPECT_EQ(std::string(storage_prefix(Storage::sd)) + "u.zip", "SD:u.zip");
}

} // namespace
} // namespace dfota::at
