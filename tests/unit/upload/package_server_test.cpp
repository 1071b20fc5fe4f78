// The package server of `upload --serve`, driven by a real HTTP client
// (cpp-httplib's) over loopback.
#include "upload/package_server.hpp"

#include <condition_variable>
#include <gtest/gtest.h>
#include <httplib.h>
#include <mutex>

#include "support/test_support.hpp"

namespace dfota::test {
namespace {

using upload::PackageServer;

std::string as_text(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

class PackageServerTest : public ::testing::Test {
protected:
  void SetUp() override {
    content_ = random_bytes(3 << 20, 11); // several MiB: a transfer takes many writes
    write_file(dir_ / "update.zip", content_);
  }
  std::unique_ptr<PackageServer> start(upload::ServerLimits limits = {}) {
    auto started = PackageServer::start("127.0.0.1:0", dir_ / "update.zip", limits);
    EXPECT_TRUE(started) << started.error().message();
    return started ? std::move(*started) : nullptr;
  }
  // A file larger than loopback's socket buffers (several MiB), so that a
  // server cannot finish a transfer while its client is not reading.
  void make_large_file() {
    content_ = random_bytes(32 << 20, 12);
    write_file(dir_ / "update.zip", content_);
  }
  httplib::Client client(const PackageServer& server) {
    httplib::Client c("127.0.0.1", server.port());
    c.set_read_timeout(std::chrono::seconds(10));
    return c;
  }

  ScratchDir dir_;
  Bytes content_;
};

TEST_F(PackageServerTest, ServesTheFileUnderItsNameAndNothingElse) {
  auto server = start();
  ASSERT_TRUE(server);
  EXPECT_EQ(server->url(), "http://127.0.0.1:" + std::to_string(server->port()) + "/update.zip");
  auto c = client(*server);
  auto got = c.Get("/update.zip");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->body.size(), content_.size());
  EXPECT_TRUE(got->body == as_text(content_));
  EXPECT_EQ(got->get_header_value("Accept-Ranges"), "bytes");
  auto missing = c.Get("/other.zip");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto posted = c.Post("/update.zip", "x", "text/plain");
  ASSERT_TRUE(posted);
  EXPECT_GE(posted->status, 400);
  EXPECT_EQ(server->completed_transfers(), 1u);
}

TEST_F(PackageServerTest, HeadStatesTheLengthWithoutTheBody) {
  auto server = start();
  ASSERT_TRUE(server);
  auto c = client(*server);
  auto got = c.Head("/update.zip");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->get_header_value("Content-Length"), std::to_string(content_.size()));
  EXPECT_TRUE(got->body.empty());
  EXPECT_EQ(server->completed_transfers(), 0u);
}

TEST_F(PackageServerTest, ADownloadCutShortResumesWithRange) {
  auto server = start();
  ASSERT_TRUE(server);
  auto c = client(*server);
  // The first attempt stops reading after about 1 MiB, as a lost link would.
  std::string first;
  auto cut = c.Get("/update.zip", [&](const char* data, std::size_t length) {
    first.append(data, length);
    return first.size() < (1u << 20);
  });
  EXPECT_FALSE(cut);
  ASSERT_GE(first.size(), 1u << 20);
  ASSERT_LT(first.size(), content_.size());
  // The client resumes where it stopped.
  auto rest = c.Get("/update.zip", {{"Range", "bytes=" + std::to_string(first.size()) + "-"}});
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->status, 206);
  EXPECT_EQ(rest->get_header_value("Content-Range"), "bytes " + std::to_string(first.size()) + "-" +
                                                         std::to_string(content_.size() - 1) + "/" +
                                                         std::to_string(content_.size()));
  const std::string whole = first + rest->body;
  ASSERT_EQ(whole.size(), content_.size());
  EXPECT_TRUE(whole == as_text(content_));
  // A range past the end is refused.
  auto beyond = c.Get("/update.zip", {{"Range", "bytes=" + std::to_string(content_.size() + 10) + "-"}});
  ASSERT_TRUE(beyond) << httplib::to_string(beyond.error());
  EXPECT_EQ(beyond->status, 416);
  EXPECT_EQ(beyond->get_header_value("Content-Range"), "bytes */" + std::to_string(content_.size()));
  // A range that runs past the end ends at the end; a suffix is the last bytes.
  auto clamped = c.Get("/update.zip", {{"Range", "bytes=10-99999999"}});
  ASSERT_TRUE(clamped);
  EXPECT_EQ(clamped->status, 206);
  EXPECT_EQ(clamped->body, as_text(content_).substr(10));
  auto suffix = c.Get("/update.zip", {{"Range", "bytes=-500"}});
  ASSERT_TRUE(suffix);
  EXPECT_EQ(suffix->body, as_text(content_).substr(content_.size() - 500));
  auto backwards = c.Get("/update.zip", {{"Range", "bytes=50-10"}});
  ASSERT_TRUE(backwards);
  EXPECT_EQ(backwards->status, 416);
}

TEST_F(PackageServerTest, EightClientsDownloadAtOnce) {
  // Each client, after its first bytes, waits until all eight have theirs:
  // a server that sends to one client at a time never lets that happen.
  make_large_file();
  auto server = start();
  ASSERT_TRUE(server);
  constexpr int kClients = 8;
  std::mutex mutex;
  std::condition_variable all_started;
  int started = 0;
  std::vector<std::size_t> received(kClients, 0);
  std::vector<bool> met(kClients, false);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto c = client(*server);
      bool counted = false;
      auto got = c.Get("/update.zip", [&](const char* data, std::size_t length) {
        (void)data;
        received[i] += length;
        if (!counted) {
          counted = true;
          std::unique_lock lock(mutex);
          ++started;
          all_started.notify_all();
          met[i] = all_started.wait_for(lock, std::chrono::seconds(10), [&] { return started == kClients; });
        }
        return true;
      });
      EXPECT_TRUE(got);
    });
  }
  for (auto& t : threads)
    t.join();
  for (int i = 0; i < kClients; ++i) {
    EXPECT_TRUE(met[i]) << "client " << i << " never saw the others download";
    EXPECT_EQ(received[i], content_.size());
  }
  EXPECT_EQ(server->completed_transfers(), static_cast<std::uint64_t>(kClients));
}

TEST_F(PackageServerTest, ClientsBeyondTheLimitAreToldToComeBackLater) {
  upload::ServerLimits limits;
  limits.max_clients = 1;
  make_large_file();
  auto server = start(limits);
  ASSERT_TRUE(server);
  std::mutex mutex;
  std::condition_variable changed;
  bool first_reading = false, second_done = false;
  std::thread first([&] {
    auto c = client(*server);
    bool waited = false;
    auto got = c.Get("/update.zip", [&](const char*, std::size_t) {
      if (!waited) {
        waited = true;
        std::unique_lock lock(mutex);
        first_reading = true;
        changed.notify_all();
        changed.wait_for(lock, std::chrono::seconds(10), [&] { return second_done; });
      }
      return true;
    });
    EXPECT_TRUE(got);
  });
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return first_reading; }));
  }
  auto c = client(*server);
  auto busy = c.Get("/update.zip");
  {
    std::lock_guard lock(mutex);
    second_done = true;
  }
  changed.notify_all();
  first.join();
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, 503);
  EXPECT_EQ(busy->get_header_value("Retry-After"), "5");
  EXPECT_EQ(server->refused_busy(), 1u);
  EXPECT_EQ(server->completed_transfers(), 1u);
}

TEST_F(PackageServerTest, AClientThatDisconnectsLeavesTheServerServing) {
  auto server = start();
  ASSERT_TRUE(server);
  {
    auto c = client(*server);
    std::size_t seen = 0;
    auto cut = c.Get("/update.zip", [&](const char*, std::size_t length) { return (seen += length) < 100000; });
    EXPECT_FALSE(cut);
  }
  auto c = client(*server);
  auto got = c.Get("/update.zip");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->body.size(), content_.size());
  EXPECT_EQ(server->completed_transfers(), 1u);
}

TEST_F(PackageServerTest, AnAddressInUseOrNotOfThisHostIsNamed) {
  auto first = start();
  ASSERT_TRUE(first);
  auto again = PackageServer::start("127.0.0.1:" + std::to_string(first->port()), dir_ / "update.zip");
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message().find("--serve 127.0.0.1:" + std::to_string(first->port())), std::string::npos)
      << again.error().message();
  EXPECT_NE(again.error().message().find("cannot listen"), std::string::npos);
  auto foreign = PackageServer::start("192.0.2.1:0", dir_ / "update.zip"); // TEST-NET-1, never ours
  ASSERT_FALSE(foreign);
  auto malformed = PackageServer::start("localhost", dir_ / "update.zip");
  ASSERT_FALSE(malformed);
  auto no_file = PackageServer::start("127.0.0.1:0", dir_ / "absent.zip");
  ASSERT_FALSE(no_file);
  EXPECT_NE(no_file.error().message().find("absent.zip"), std::string::npos);
}

TEST_F(PackageServerTest, StopsPromptlyWithAClientMidDownload) {
  auto server = start();
  ASSERT_TRUE(server);
  std::atomic<bool> reading{false}, stopped{false};
  std::thread slow([&, port = server->port()] {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(std::chrono::seconds(2));
    (void)c.Get("/update.zip", [&](const char*, std::size_t) {
      reading = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return !stopped;
    });
  });
  for (int i = 0; i < 500 && !reading; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const auto before = std::chrono::steady_clock::now();
  server.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(5));
  stopped = true; // what the kernel buffered for the client is not the server's
  slow.join();
}

} // namespace
} // namespace dfota::test
