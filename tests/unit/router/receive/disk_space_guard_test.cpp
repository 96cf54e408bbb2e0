// The free-space floor of the receive path (0xA700 below it), with a fake and the real statvfs.
#include <gtest/gtest.h>

#include <atomic>

#include "router/receive/disk_space_guard.hpp"

namespace acc::router {
namespace {

TEST(DiskSpaceGuard, RefusesBelowTheFloorAndResumesWhenSpaceReturns) {
  std::atomic<uint64_t> free_bytes{500u << 20};
  DiskSpaceGuard guard("/tmp", 100u << 20, [&] { return free_bytes.load(); });
  EXPECT_TRUE(guard.has_room());
  free_bytes = 50u << 20;
  EXPECT_FALSE(guard.has_room());
  EXPECT_EQ(guard.last_free_bytes(), 50u << 20);
  free_bytes = 200u << 20;
  EXPECT_TRUE(guard.has_room());
}

TEST(DiskSpaceGuard, ZeroFloorDisablesTheCheck) {
  DiskSpaceGuard guard("/tmp", 0, [] { return uint64_t{0}; });
  EXPECT_TRUE(guard.has_room());
}

TEST(DiskSpaceGuard, RealStatvfsReportsSomething) {
  DiskSpaceGuard guard("/tmp", 1);
  EXPECT_TRUE(guard.has_room());
  EXPECT_GT(guard.last_free_bytes(), 0u);
}

}  // namespace
}  // namespace acc::router
