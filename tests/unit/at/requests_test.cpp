// The typed DFOTA commands and answers against transcripts copied from the
// guides (../shared/reference): what a host formats, a module parses back to
// the same request, and the reverse.
#include <gtest/gtest.h>

#include "at/command_line.hpp"
#include "at/requests.hpp"
#include "at/responses.hpp"

namespace dfota::at {
namespace {

std::optional<FotaDownload> fota(std::string_view line) {
  auto command = parse_command_line(line);
  if (!command) return std::nullopt;
  return FotaDownload::parse(*command);
}

TEST(FotaDownloadRequest, ParsesEveryFormTheGuidesPrint) {
  // EC25/EC21 and UGxx guides.
  auto com = fota(R"(AT+QFOTADL="COM",345200,5)");
  ASSERT_TRUE(com);
  EXPECT_EQ(com->source, FotaDownload::Source::com);
  EXPECT_EQ(com->size, 345200u);
  EXPECT_EQ(com->timeout_s, 5u);
  auto bare_com = fota(R"(AT+QFOTADL="COM")");
  ASSERT_TRUE(bare_com);
  EXPECT_FALSE(bare_com->size);
  // EC200T guide.
  auto file = fota(R"(AT+QFOTADL="FILE:4884688")");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->source, FotaDownload::Source::file);
  EXPECT_EQ(file->size, 4884688u);
  for (const char* url : {"ftp://test:test@124.74.41.170:21/EC200TCNTCNMAR02A02M16.bin",
                          "http://www.quectel.com:100/update.zip", "FTP://test:test@demo.com:21/update/delta.bin"}) {
    auto request = fota(std::string("AT+QFOTADL=\"") + url + "\"");
    ASSERT_TRUE(request) << url;
    EXPECT_EQ(request->source, FotaDownload::Source::url) << url;
    EXPECT_EQ(request->location, url);
  }
  for (const char* path : {"/cache/ufs/update-v13-to-v12.zip", "/data/ufs/update-v13-to-v12.zip"}) {
    auto request = fota(std::string("AT+QFOTADL=\"") + path + "\"");
    ASSERT_TRUE(request) << path;
    EXPECT_EQ(request->source, FotaDownload::Source::local) << path;
    EXPECT_EQ(request->location, path);
  }
  // The UGxx guide's example has spaces inside the quotes.
  auto spaced = fota(R"(AT+QFOTADL=" http://www.quectel.com:100/update.zip ")");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(spaced->location, "http://www.quectel.com:100/update.zip");
}

TEST(FotaDownloadRequest, RefusesWhatNoModuleTakes) {
  for (const char* line : {R"(AT+QFOTADL="FILE:")", R"(AT+QFOTADL="FILE:12a")", R"(AT+QFOTADL="COM",-1)",
                           R"(AT+QFOTADL="COM",10,x)", "AT+QFOTADL?", "AT+QFOTADL=?", R"(AT+QFUPL="a.zip",10)"}) {
    EXPECT_FALSE(fota(line)) << line;
  }
}

TEST(FotaDownloadRequest, WhatAHostFormatsAModuleParsesBack) {
  const std::vector<FotaDownload> requests{
      {FotaDownload::Source::com, 345200, 5, ""},
      {FotaDownload::Source::com, std::nullopt, std::nullopt, ""},
      {FotaDownload::Source::file, 4884688, std::nullopt, ""},
      {FotaDownload::Source::url, std::nullopt, std::nullopt, "https://127.0.0.1:8443/a%20b.zip"},
      {FotaDownload::Source::local, std::nullopt, std::nullopt, "/cache/ufs/update.zip"},
  };
  for (const auto& request : requests) {
    auto line = request.format();
    ASSERT_TRUE(line);
    auto back = fota(*line);
    ASSERT_TRUE(back) << *line;
    EXPECT_EQ(back->source, request.source) << *line;
    EXPECT_EQ(back->size, request.size) << *line;
    EXPECT_EQ(back->timeout_s, request.timeout_s) << *line;
    EXPECT_EQ(back->location, request.location) << *line;
  }
  EXPECT_EQ(requests[0].format(), R"(AT+QFOTADL="COM",345200,5)");
  EXPECT_EQ(requests[2].format(), R"(AT+QFOTADL="FILE:4884688")");
  EXPECT_FALSE((FotaDownload{FotaDownload::Source::url, {}, {}, "http://a/\"b"}.format())) << "a quote cannot be sent";
}

TEST(FileUploadRequest, DefaultsAndRoundTrip) {
  auto command = parse_command_line(R"(AT+QFUPL="update.zip")");
  ASSERT_TRUE(command);
  auto defaults = FileUpload::parse(*command);
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->size, FileUpload::kDefaultSize);
  EXPECT_EQ(defaults->timeout_s, FileUpload::kDefaultTimeoutS);
  EXPECT_FALSE(defaults->ack);

  const FileUpload request{"update-v12-to-v13.zip", 1187, 10, true};
  ASSERT_EQ(request.format(), R"(AT+QFUPL="update-v12-to-v13.zip",1187,10,1)");
  auto back = FileUpload::parse(*parse_command_line(*request.format()));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->name, request.name);
  EXPECT_EQ(back->size, 1187u);
  EXPECT_EQ(back->timeout_s, 10u);
  EXPECT_TRUE(back->ack);
  for (const char* bad : {R"(AT+QFUPL="a",x)", R"(AT+QFUPL="a",1,5,2)", R"(AT+QFUPL="a",1,-5)", "AT+QFUPL?"})
    EXPECT_FALSE(FileUpload::parse(*parse_command_line(bad))) << bad;
}

TEST(FileCommands, FormatAsTheGuidesPrint) {
  EXPECT_EQ(format_file_delete("update.zip"), R"(AT+QFDEL="update.zip")");
  EXPECT_EQ(format_file_list("*"), R"(AT+QFLST="*")");
  EXPECT_EQ(format_free_space_query(), R"(AT+QFLDS="UFS")");
  EXPECT_FALSE(format_file_delete("a\"b"));
}

TEST(Answers, WhatAModuleFormatsAHostParsesBack) {
  // "+QFOTADL: 345200, b34a" is the EC25/EC21 guide's transcript.
  EXPECT_EQ(format_upload_report("+QFOTADL", {345200, 0xb34a}, true), "+QFOTADL: 345200, b34a");
  auto report = parse_upload_report("+QFOTADL: 345200, b34a", "+QFOTADL");
  ASSERT_TRUE(report);
  EXPECT_EQ(report->size, 345200u);
  EXPECT_EQ(report->checksum, 0xb34a);
  auto upload = parse_upload_report(format_upload_report("+QFUPL", {1187, 0x2d19}, false), "+QFUPL");
  ASSERT_TRUE(upload);
  EXPECT_EQ(upload->size, 1187u);
  EXPECT_EQ(upload->checksum, 0x2d19);

  auto space = parse_free_space(format_free_space({1024000, 2048000}));
  ASSERT_TRUE(space);
  EXPECT_EQ(space->free, 1024000u);
  EXPECT_EQ(space->total, 2048000u);

  auto file = parse_file_entry(format_file_entry({"update.zip", 345200}));
  ASSERT_TRUE(file);
  EXPECT_EQ(file->name, "update.zip");
  EXPECT_EQ(file->size, 345200u);

  const Identity identity{"Quectel", "EC25", "EC25EFAR06A06M4G"};
  const Identity back = parse_identity(format_identity(identity));
  EXPECT_EQ(back.manufacturer, "Quectel");
  EXPECT_EQ(back.model, "EC25");
  EXPECT_EQ(back.revision, "EC25EFAR06A06M4G");
}

TEST(FlowControl, TheCommandFitsThePortAndItsAnswerParsesBack) {
  EXPECT_EQ(format_flow_control_set(PortKind::uart, true), "AT+IFC=2,2");
  EXPECT_EQ(format_flow_control_set(PortKind::usb, true), "AT+QCFG=\"usbifc\",2,2");
  EXPECT_EQ(format_flow_control_set(PortKind::uart, false), "AT+IFC=0,0");
  EXPECT_EQ(format_flow_control_query(PortKind::uart), "AT+IFC?");
  EXPECT_EQ(format_flow_control_query(PortKind::usb), "AT+QCFG=\"usbifc\"");
  // What a module prints parses, in either spelling; what it would never print does not.
  auto uart = parse_flow_control("+IFC: 2,2");
  ASSERT_TRUE(uart);
  EXPECT_TRUE(uart->hardware());
  auto usb = parse_flow_control("+QCFG: \"usbifc\",0,0");
  ASSERT_TRUE(usb);
  EXPECT_FALSE(usb->hardware());
  EXPECT_EQ(usb->text(), "0,0");
  EXPECT_TRUE(parse_flow_control("+qcfg: \"USBIFC\", 2, 2"));
  EXPECT_FALSE(parse_flow_control("+QCFG: \"fota/cid\",1"));
  EXPECT_FALSE(parse_flow_control("+IFC: 2"));
  EXPECT_FALSE(parse_flow_control("+IFC: 2,2,2"));
  EXPECT_FALSE(parse_flow_control("OK"));
  // The simulator formats what the host parses.
  for (const bool on_usb : {false, true}) {
    const FlowControlSetting setting{2, 0};
    auto back = parse_flow_control(format_flow_control(on_usb, setting));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->text(), "2,0");
  }
}

} // namespace
} // namespace dfota::at
