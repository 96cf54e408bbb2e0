// Retry and dead-letter policy (issue 3), backoff growth, and the disk-space floor, without a PACS.
#include <gtest/gtest.h>

#include <atomic>

#include "router/backoff.hpp"
#include "router/delivery_outcome.hpp"
#include "router/disk_space_guard.hpp"

namespace acc::router {
namespace {

using namespace std::chrono_literals;

TEST(DeliveryOutcome, SuccessAndWarningsAreDelivered) {
  EXPECT_EQ(disposition_for_status(0x0000), Disposition::Delivered);
  EXPECT_EQ(disposition_for_status(0xB000), Disposition::Delivered);  // coercion of data elements
  EXPECT_EQ(disposition_for_status(0xB007), Disposition::Delivered);
  EXPECT_EQ(disposition_for_status(0x0107), Disposition::Delivered);
}

TEST(DeliveryOutcome, OutOfResourcesIsRetried) {
  EXPECT_EQ(disposition_for_status(0xA700), Disposition::Retry);
  EXPECT_EQ(disposition_for_status(0xA7FF), Disposition::Retry);
}

TEST(DeliveryOutcome, PermanentFailuresAreDeadLettered) {
  EXPECT_EQ(disposition_for_status(0x0122), Disposition::DeadLetter);  // SOP class not supported
  EXPECT_EQ(disposition_for_status(0xA900), Disposition::DeadLetter);
  EXPECT_EQ(disposition_for_status(0xA9FF), Disposition::DeadLetter);
  EXPECT_EQ(disposition_for_status(0xC000), Disposition::DeadLetter);
  EXPECT_EQ(disposition_for_status(0x0124), Disposition::DeadLetter);  // not authorized
  EXPECT_EQ(disposition_for_status(0x0211), Disposition::DeadLetter);
}

TEST(DeliveryOutcome, DescriptionNamesCodeMeaningAndComment) {
  EXPECT_EQ(describe_status(0x0122, ""), "0x0122 (SOP class not supported)");
  EXPECT_EQ(describe_status(0xA702, "disk full"), "0xA702 (out of resources): disk full");
}

TEST(Backoff, GrowsExponentiallyWithinJitterAndStopsAtTheCap) {
  Backoff b(5000ms, 600000ms, /*seed=*/42);
  std::chrono::milliseconds previous_ceiling{0};
  for (int i = 1; i <= 12; ++i) {
    const auto d = b.next_delay();
    const auto ceiling = std::min<int64_t>(600000, int64_t{5000} << (i - 1));
    EXPECT_GE(d.count(), ceiling / 2) << "failure " << i;
    EXPECT_LE(d.count(), ceiling) << "failure " << i;
    EXPECT_GE(ceiling, previous_ceiling.count());
    previous_ceiling = std::chrono::milliseconds(ceiling);
  }
  EXPECT_EQ(b.failures(), 12u);
  b.reset();
  EXPECT_LE(b.next_delay(), 5000ms);
}

TEST(Backoff, SameSeedSameSchedule) {
  Backoff a(1000ms, 60000ms, 7);
  Backoff b(1000ms, 60000ms, 7);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(a.next_delay(), b.next_delay());
  }
}

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
