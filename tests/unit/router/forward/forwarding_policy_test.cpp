// Retry and dead-letter policy (issue 3) and backoff growth, without a PACS.
#include <gtest/gtest.h>

#include <atomic>

#include "router/forward/backoff.hpp"
#include "router/forward/delivery_outcome.hpp"

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

}  // namespace
}  // namespace acc::router
