// The receive spool (issue 11): a nameless file that keeps what was appended and leaves nothing
// behind in its directory.
#include "common/spool_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <numeric>
#include <vector>

namespace acc {
namespace {

std::filesystem::path fresh_dir(const char* name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("acc-spool-" + std::string(name) + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}

TEST(SpoolFile, KeepsTheAppendedBytesInOrderAndLeavesNoNameBehind) {
  const auto dir = fresh_dir("order");
  auto spool = SpoolFile::create(dir);
  ASSERT_TRUE(spool) << spool.error().message();
  std::vector<uint8_t> a(100000);
  std::iota(a.begin(), a.end(), uint8_t{0});
  std::vector<uint8_t> b(777, 0xAB);
  ASSERT_TRUE(spool->append(a));
  ASSERT_TRUE(spool->append(b));
  EXPECT_EQ(spool->size(), a.size() + b.size());
  EXPECT_TRUE(std::filesystem::is_empty(dir));  // nameless: a crash leaves nothing to clean

  std::vector<uint8_t> out(10);
  ASSERT_TRUE(spool->read_at(99995, out));
  EXPECT_EQ(out[0], a[99995]);
  EXPECT_EQ(out[4], a[99999]);
  EXPECT_EQ(out[5], 0xAB);
  EXPECT_EQ(out[9], 0xAB);
  std::filesystem::remove_all(dir);
}

TEST(SpoolFile, RefusesAReadPastWhatWasWritten) {
  const auto dir = fresh_dir("past");
  auto spool = SpoolFile::create(dir);
  ASSERT_TRUE(spool);
  ASSERT_TRUE(spool->append(std::vector<uint8_t>(16, 1)));
  std::vector<uint8_t> out(8);
  EXPECT_TRUE(spool->read_at(8, out));
  EXPECT_FALSE(spool->read_at(9, out));
  EXPECT_FALSE(spool->read_at(~uint64_t{0}, out));
  std::filesystem::remove_all(dir);
}

TEST(SpoolFile, ReportsADirectoryItCannotCreate) {
  auto spool = SpoolFile::create("/proc/acc-no-such-dir/spool");
  EXPECT_FALSE(spool);
}

}  // namespace
}  // namespace acc
