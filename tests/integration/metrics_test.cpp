// The metrics and health endpoint against the real binary (issue 6): counters after a batch is
// received and forwarded to storescp, `promtool check metrics` on a real scrape, readiness, and
// hostile HTTP (garbage, oversized heads, wrong methods and versions, slowloris, connection
// floods) answered with the right status while DICOM keeps working.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/integration/dcmtk_tools.hpp"
#include "tests/integration/forward_helpers.hpp"
#include "tests/support/accessioner_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/net.hpp"
#include "tests/support/pacs_peers.hpp"
#include "tests/support/temp_dir.hpp"

namespace acc::test {
namespace {

using namespace std::chrono_literals;

// The value of the sample `series` (name{labels} exactly as rendered), or -1 if absent.
double sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(series + " ")) {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

// The sum of every sample of a metric name, whatever its labels.
double sum_of(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  double sum = 0;
  while (std::getline(in, line)) {
    if (line.starts_with(name + "{") || line.starts_with(name + " ")) {
      sum += std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  return sum;
}

std::string scrape(uint16_t metrics_port) {
  const HttpReply reply = http_fetch(metrics_port, "/metrics");
  EXPECT_EQ(reply.status, 200) << reply.headers;
  return reply.body;
}

void expect_promtool_accepts(const std::string& exposition, const std::filesystem::path& dir) {
  const auto file = dir / "scrape.prom";
  std::ofstream(file) << exposition;
  const ToolResult checked = run_tool({"sh", "-c", "promtool check metrics < " + file.string()},
                                      dir / "promtool.log", 30s);
  if (checked.exit_code == 127) {
    GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
  }
  EXPECT_EQ(checked.exit_code, 0) << checked.output;
}

TEST(Metrics, CountsABatchReceivedAndForwarded) {
  StorescpProcess pacs;
  pacs.start();
  AccessionerProcess server({.destinations = {destination_to(pacs)}});
  server.start();
  const uint16_t metrics_port = server.metrics_port();
  EXPECT_NE(metrics_port, 0);
  EXPECT_NE(server.log_text().find("metrics on 127.0.0.1:" + std::to_string(metrics_port)),
            std::string::npos);

  TempDir scratch("acc-metrics");
  constexpr std::size_t kN = 6;
  const auto copies = make_unique_copies(kCtSmall, scratch.path(), kN);
  send_all_with_storescu(server.port(), copies, scratch.path() / "storescu.log");
  std::string text;
  ASSERT_TRUE(wait_until(
      [&] {
        text = scrape(metrics_port);
        return sample(text,
                      "accessioner_receive_to_delivered_seconds_count{destination=\"pacs\"}") == kN;
      },
      60s))
      << text;

  EXPECT_EQ(sum_of(text, "accessioner_instances_received_total"), kN);
  EXPECT_EQ(sample(text, "accessioner_instances_received_total{calling_ae=\"STORESCU\"}"), kN);
  EXPECT_GT(sample(text, "accessioner_received_bytes_total{calling_ae=\"STORESCU\"}"), 0);
  EXPECT_EQ(sample(text, "accessioner_store_responses_total{status_class=\"success\"}"), kN);
  EXPECT_EQ(sample(text, "accessioner_store_responses_total{status_class=\"failure\"}"), 0);
  EXPECT_EQ(sample(text, "accessioner_commit_latency_seconds_count"), kN);
  EXPECT_EQ(
      sample(text, "accessioner_forward_attempts_total{destination=\"pacs\",result=\"delivered\"}"),
      kN);
  EXPECT_EQ(
      sample(text, "accessioner_forward_attempts_total{destination=\"pacs\",result=\"retry\"}"), 0);
  EXPECT_EQ(sample(text, "accessioner_forward_latency_seconds_count{destination=\"pacs\"}"), kN);
  EXPECT_EQ(sample(text, "accessioner_queue_jobs{destination=\"pacs\",state=\"pending\"}"), 0);
  EXPECT_EQ(sample(text, "accessioner_queue_jobs{destination=\"pacs\",state=\"dead\"}"), 0);
  EXPECT_EQ(sample(text, "accessioner_associations_total{result=\"accepted\"}"), 1);
  EXPECT_EQ(sample(text, "accessioner_associations_closed_total{reason=\"released\"}"), 1);
  EXPECT_EQ(sample(text, "accessioner_associations_active"), 0);
  EXPECT_EQ(sample(text, "accessioner_storage_writable"), 1);
  EXPECT_EQ(sample(text, "accessioner_build_info{version=\"" ACC_PROJECT_VERSION "\"}"), 1);
  expect_promtool_accepts(text, scratch.path());

  const HttpReply status = http_fetch(metrics_port, "/status");
  ASSERT_EQ(status.status, 200) << status.headers;
  EXPECT_NE(status.headers.find("Content-Type: application/json"), std::string::npos);
  const auto json = nlohmann::json::parse(status.body);
  EXPECT_EQ(json.at("version"), ACC_PROJECT_VERSION);
  EXPECT_GE(json.at("uptime_s").get<int>(), 0);
  EXPECT_EQ(json.at("listener").at("port"), server.port());
  EXPECT_EQ(json.at("listener").at("active_associations"), 0);
  ASSERT_EQ(json.at("destinations").size(), 1u);
  EXPECT_EQ(json.at("destinations")[0].at("name"), "pacs");
  EXPECT_EQ(json.at("destinations")[0].at("pending"), 0);
  EXPECT_EQ(json.at("worklist").at("configured"), false);
  EXPECT_EQ(json.at("held_studies"), 0);
  EXPECT_EQ(json.at("rules_loaded"), 0);
  EXPECT_GT(json.at("storage").at("free_bytes").get<uint64_t>(), 0u);
  EXPECT_TRUE(json.at("storage").contains("segment_live_bytes"));

  // Space comes back without new intake: every delivered instance's bytes are released, and the
  // idle store seals and deletes the segment that held them (within a few housekeeping ticks).
  ASSERT_TRUE(wait_until(
      [&] {
        text = scrape(metrics_port);
        return sample(text, "accessioner_segment_files") == 0;
      },
      15s))
      << text;
  EXPECT_EQ(sample(text, "accessioner_segment_bytes{kind=\"live\"}"), 0);
  EXPECT_EQ(sample(text, "accessioner_segment_bytes{kind=\"file\"}"), 0);
  EXPECT_EQ(sample(text, "accessioner_objects_corrupt_total"), 0);

  // Never patient data or UIDs in any response.
  for (const auto& c : copies) {
    EXPECT_EQ(text.find(c.sop_instance_uid), std::string::npos);
    EXPECT_EQ(status.body.find(c.sop_instance_uid), std::string::npos);
  }

  const HttpReply healthz = http_fetch(metrics_port, "/healthz");
  EXPECT_EQ(healthz.status, 200);
  EXPECT_EQ(healthz.body, "ok\n");
  const HttpReply readyz = http_fetch(metrics_port, "/readyz");
  EXPECT_EQ(readyz.status, 200) << readyz.body;
  const HttpReply head = http_exchange(metrics_port, "HEAD /metrics HTTP/1.0\r\n\r\n");
  EXPECT_EQ(head.status, 200);
  EXPECT_NE(head.headers.find("text/plain; version=0.0.4"), std::string::npos);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(http_fetch(metrics_port, "/nope").status, 404);
}

TEST(Metrics, NotReadyBelowTheFreeSpaceFloor) {
  TempDir probe_dir("acc-metrics-floor");
  struct statvfs fs {};
  ASSERT_EQ(::statvfs(probe_dir.path().c_str(), &fs), 0);
  const uint64_t free_mb = (static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize) >> 20;
  constexpr uint64_t kMaxFloorMb = 1048576;  // config maximum
  if (free_mb + 1024 >= kMaxFloorMb) {
    GTEST_SKIP() << "more than 1 TiB free: no valid floor above it";
  }
  AccessionerProcess server(
      {.storage_extra = "free_space_floor_mb = " + std::to_string(free_mb + 1024)});
  server.start();
  const uint16_t metrics_port = server.metrics_port();
  const HttpReply readyz = http_fetch(metrics_port, "/readyz");
  EXPECT_EQ(readyz.status, 503);
  EXPECT_NE(readyz.body.find("storage below its free-space floor"), std::string::npos)
      << readyz.body;
  EXPECT_EQ(std::count(readyz.body.begin(), readyz.body.end(), '\n'), 1) << "one line";
  EXPECT_EQ(http_fetch(metrics_port, "/healthz").status, 200);  // alive, just not ready
  // The data path agrees: a C-STORE is refused with 0xA700.
  TempDir scratch("acc-metrics-floor-send");
  const auto copies = make_unique_copies(kCtSmall, scratch.path(), 1);
  (void)run_tool(storescu_argv(server.port(), paths_of(copies)), scratch.path() / "storescu.log",
                 60s);
  const std::string text = scrape(metrics_port);
  EXPECT_EQ(sample(text, "accessioner_store_responses_total{status_class=\"failure\"}"), 1);
  EXPECT_EQ(sum_of(text, "accessioner_instances_received_total"), 0);
}

// A small tmpfs mounted over a directory for the life of the object (needs CAP_SYS_ADMIN: tests
// run as root; skipped otherwise). A full filesystem is the one write failure root cannot
// override: permissions do not stop root.
class SmallTmpfs {
 public:
  SmallTmpfs(const std::filesystem::path& at, const std::string& size) : at_(at) {
    std::filesystem::create_directories(at);
    mounted_ = ::mount("tmpfs", at.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~SmallTmpfs() {
    if (mounted_) {
      ::umount2(at_.c_str(), MNT_DETACH);
    }
  }
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;
  [[nodiscard]] bool mounted() const { return mounted_; }

  // Writes a file until the filesystem is full.
  void fill() const {
    std::ofstream out(at_ / "fill", std::ios::binary);
    const std::string block(64 * 1024, 'f');
    while (out.write(block.data(), static_cast<std::streamsize>(block.size())) && out.flush()) {
    }
  }

 private:
  std::filesystem::path at_;
  bool mounted_ = false;
};

// DISABLED: today the server aborts instead. After one failed WAL write (ENOSPC) the next write
// (a probe or a commit) hits an assertion inside Debian's RocksDB 7.8 (`sync_without_flush_called_`
// in WritableFileWriter::AssertFalseAndGetStatusForPrevError), so the process dies rather than
// reporting 503. The free-space floor (storage.free_space_floor_mb, above) is what keeps RocksDB
// away from ENOSPC; this test is for when the store itself survives a failed write. Run it with
// --gtest_also_run_disabled_tests.
TEST(Metrics, DISABLED_NotReadyWhenStorageWritesFail) {
  // Floor 0: the disk guard stays out of the way, so the write itself must fail.
  AccessionerProcess server({.storage_extra = "free_space_floor_mb = 0"});
  SmallTmpfs disk(server.storage_path(), "16m");
  if (!disk.mounted()) {
    GTEST_SKIP() << "cannot mount a tmpfs here (needs CAP_SYS_ADMIN)";
  }
  server.start();
  const uint16_t metrics_port = server.metrics_port();
  ASSERT_TRUE(server.running()) << server.log_text();
  EXPECT_EQ(http_fetch(metrics_port, "/readyz").status, 200);
  disk.fill();
  // An instance that cannot be stored is refused (0xA700), and the store reports the error.
  TempDir scratch("acc-metrics-full");
  const auto copies = make_unique_copies(kCtSmall, scratch.path(), 1);
  (void)run_tool(storescu_argv(server.port(), paths_of(copies)), scratch.path() / "storescu.log",
                 60s);
  // Each probe appends a few bytes to the write-ahead log: at the latest when that crosses into
  // a page the full filesystem cannot give, the probe fails.
  ASSERT_TRUE(server.running()) << server.log_text();
  HttpReply readyz;
  EXPECT_TRUE(wait_until(
      [&] {
        readyz = http_fetch(metrics_port, "/readyz");
        return readyz.status == 503;
      },
      20s, 20ms))
      << readyz.body;
  EXPECT_NE(readyz.body.find("storage not writable"), std::string::npos) << readyz.body;
  const std::string text = scrape(metrics_port);
  EXPECT_EQ(sample(text, "accessioner_storage_writable"), 0);
  EXPECT_EQ(sum_of(text, "accessioner_instances_received_total"), 0);
  EXPECT_EQ(http_fetch(metrics_port, "/healthz").status, 200);
  server.stop();
}

AccessionerOptions hostile_http_options(uint32_t max_connections) {
  return {.extra_tables = "[metrics]\nport = 0\nrequest_timeout_s = 1\nmax_connections = " +
                          std::to_string(max_connections) + "\n"};
}

TEST(Metrics, HostileRequestsGetTheirStatusAndDicomKeepsWorking) {
  AccessionerProcess server(hostile_http_options(8));
  server.start();
  const uint16_t port = server.metrics_port();
  TempDir scratch("acc-metrics-hostile");

  struct Case {
    const char* what;
    std::string request;
    int status;
  };
  const std::vector<Case> cases = {
      {"binary garbage", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11), 400},
      {"DICOM on the HTTP port", std::string("\x01\x00\x00\x00\x00\xcd\x00\x01", 8), 400},
      {"20 KiB header",
       "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20 * 1024, 'b') + "\r\n\r\n",
       431},
      {"POST", "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405},
      {"HTTP/2.0", "GET /metrics HTTP/2.0\r\n\r\n", 505},
      {"long URI", "GET /" + std::string(4096, 'u') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414},
      {"body", "GET /metrics HTTP/1.0\r\nContent-Length: 10\r\n\r\n0123456789", 413},
      {"no Host", "GET /metrics HTTP/1.1\r\n\r\n", 400},
      {"unknown path", "GET /admin HTTP/1.0\r\n\r\n", 404},
  };
  for (const auto& c : cases) {
    const HttpReply reply = http_exchange(port, c.request);
    EXPECT_EQ(reply.status, c.status) << c.what << ": " << reply.headers;
    EXPECT_TRUE(reply.closed) << c.what;
    EXPECT_NE(reply.headers.find("Connection: close"), std::string::npos) << c.what;
  }

  // Slowloris: half a head, then nothing. The server answers 408 after request_timeout_s and
  // closes; meanwhile DICOM is served.
  RawClient slow(port);
  const std::string half = "GET /metrics HTTP/1.1\r\nHo";
  ASSERT_TRUE(slow.send(std::span(reinterpret_cast<const uint8_t*>(half.data()), half.size())));
  EXPECT_EQ(echoscu(server.port(), scratch.path() / "echoscu-during.log").exit_code, 0);
  bool closed = false;
  const auto raw = slow.read_until_closed(10s, closed);
  EXPECT_TRUE(closed);
  const HttpReply timed_out =
      parse_http_reply(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
  EXPECT_EQ(timed_out.status, 408) << timed_out.headers;

  // Afterwards: DICOM and HTTP both still work.
  const auto copies = make_unique_copies(kCtSmall, scratch.path(), 1);
  send_all_with_storescu(server.port(), copies, scratch.path() / "storescu.log");
  EXPECT_EQ(echoscu(server.port(), scratch.path() / "echoscu-after.log").exit_code, 0);
  EXPECT_EQ(http_fetch(port, "/healthz").status, 200);
  EXPECT_EQ(sample(scrape(port), "accessioner_store_responses_total{status_class=\"success\"}"), 1);
  EXPECT_TRUE(server.running());
}

TEST(Metrics, ConnectionsOverTheCapAreRefused503) {
  constexpr uint32_t kMax = 3;
  AccessionerProcess server(hostile_http_options(kMax));
  server.start();
  const uint16_t port = server.metrics_port();
  {
    std::vector<std::unique_ptr<RawClient>> idle;
    for (uint32_t i = 0; i < kMax; ++i) {
      idle.push_back(std::make_unique<RawClient>(port));
    }
    std::this_thread::sleep_for(200ms);  // accepted: each holds a slot until its 1 s timeout
    const HttpReply extra = http_exchange(port, "", 5s);
    EXPECT_EQ(extra.status, 503) << extra.headers;
    EXPECT_TRUE(extra.closed);
    EXPECT_EQ(extra.body, "too many connections\n");
  }
  // Slots come back when those connections end.
  EXPECT_TRUE(wait_until([&] { return http_fetch(port, "/healthz").status == 200; }, 10s));
}

TEST(Metrics, DisabledMeansNoEndpoint) {
  AccessionerProcess server({.extra_tables = "[metrics]\nenabled = false\n"});
  server.start();
  EXPECT_NE(server.log_text().find("[metrics] enabled = false"), std::string::npos);
  EXPECT_EQ(server.log_text().find("metrics on "), std::string::npos);
}

}  // namespace
}  // namespace acc::test
