// [log]: JSON lines that any collector can parse, and a size-rotated file.
#include "router/observability/logging.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace acc::router {
namespace {

namespace fs = std::filesystem;

class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("acc-logging-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    spdlog::set_default_logger(spdlog::stdout_logger_mt("after-" + dir_.filename().string()));
    fs::remove_all(dir_);
  }
  std::vector<std::string> lines(const fs::path& file) {
    spdlog::default_logger()->flush();
    std::ifstream in(file);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) {
      out.push_back(line);
    }
    return out;
  }
  fs::path dir_;
};

TEST_F(LoggingTest, JsonLinesParseWhateverTheMessageHolds) {
  config::LogConfig log;
  log.format = "json";
  log.file = (dir_ / "acc.log").string();
  setup_logging(log);
  spdlog::info("[assoc 7] CT01 -> ACCESSIONER from 10.0.0.1: accepted");
  spdlog::warn("quote \" backslash \\ newline \n tab \t bell \x07 done");
  spdlog::error("invalid UTF-8 \xC3\x28 and valid \xC3\xA9");
  spdlog::info("[assoc x] not an id");
  const auto got = lines(dir_ / "acc.log");
  ASSERT_EQ(got.size(), 4u);
  std::vector<nlohmann::json> j;
  for (const auto& l : got) {
    j.push_back(nlohmann::json::parse(l));  // throws (fails the test) on invalid JSON
  }
  EXPECT_EQ(j[0]["assoc"], 7);
  EXPECT_EQ(j[0]["msg"], "CT01 -> ACCESSIONER from 10.0.0.1: accepted");
  EXPECT_EQ(j[0]["level"], "info");
  EXPECT_EQ(j[1]["msg"], "quote \" backslash \\ newline \n tab \t bell \x07 done");
  EXPECT_EQ(j[1]["level"], "warning");
  EXPECT_EQ(j[2]["msg"], "invalid UTF-8 \xEF\xBF\xBD( and valid \xC3\xA9");
  EXPECT_FALSE(j[3].contains("assoc"));
  EXPECT_EQ(j[3]["msg"], "[assoc x] not an id");
  const std::string time = j[0]["time"];
  ASSERT_EQ(time.size(), 24u);  // 2026-12-04T21:02:23.167Z
  EXPECT_EQ(time.back(), 'Z');
}

TEST_F(LoggingTest, TextFormatIsOneReadableLine) {
  config::LogConfig log;
  log.file = (dir_ / "acc.log").string();
  setup_logging(log);
  spdlog::info("[assoc 3] closed");
  const auto got = lines(dir_ / "acc.log");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].find("info  [assoc 3] closed"), std::string::npos) << got[0];
}

TEST_F(LoggingTest, FileIsRotatedBySizeKeepingMaxFiles) {
  config::LogConfig log;
  log.file = (dir_ / "acc.log").string();
  log.max_file_mb = 1;
  log.max_files = 2;
  setup_logging(log);
  auto& sinks = spdlog::default_logger()->sinks();
  ASSERT_EQ(sinks.size(), 2u);  // stdout first, then the file
  sinks.erase(sinks.begin());   // 4 MB of x is not worth showing on the test's stdout
  const std::string line(1000, 'x');
  for (int i = 0; i < 4000; ++i) {  // ~4 MB: more than three files' worth
    spdlog::info("{}", line);
  }
  spdlog::default_logger()->flush();
  EXPECT_TRUE(fs::exists(dir_ / "acc.log"));
  EXPECT_TRUE(fs::exists(dir_ / "acc.1.log"));
  EXPECT_TRUE(fs::exists(dir_ / "acc.2.log"));
  EXPECT_FALSE(fs::exists(dir_ / "acc.3.log"));
  EXPECT_LE(fs::file_size(dir_ / "acc.1.log"), (1u << 20) + 2000);
}

TEST_F(LoggingTest, LevelFiltersBelowIt) {
  config::LogConfig log;
  log.level = "warn";
  log.file = (dir_ / "acc.log").string();
  setup_logging(log);
  spdlog::info("hidden");
  spdlog::warn("shown");
  const auto got = lines(dir_ / "acc.log");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].find("shown"), std::string::npos);
}

}  // namespace
}  // namespace acc::router
