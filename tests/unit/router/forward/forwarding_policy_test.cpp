// Retry and dead-letter policy (issue 3) and backoff growth, without a PACS.
#include <gtest/gtest.h>

#include <atomic>

#include "router/forward/backoff.hpp"
#include "router/forward/delivery_outcome.hpp"
#include "router/forward/destination_health.hpp"

namespace acc::router {
namespace {

using namespace std::chrono_literals;

const std::vector<config::StatusPattern> kDefaults = config::default_retry_statuses();

Disposition disposition_for_status(uint16_t status) {
  return router::disposition_for_status(status, kDefaults);
}

TEST(DeliveryOutcome, SuccessAndWarningsAreDelivered) {
  EXPECT_EQ(disposition_for_status(0x0000), Disposition::Delivered);
  EXPECT_EQ(disposition_for_status(0xB000), Disposition::Delivered);  // coercion of data elements
  EXPECT_EQ(disposition_for_status(0xB007), Disposition::Delivered);
  EXPECT_EQ(disposition_for_status(0x0107), Disposition::Delivered);
  // Whatever a site lists: a warning means the PACS has the object.
  const std::vector<config::StatusPattern> everything = {{0x0000, 0x0000}};
  EXPECT_EQ(router::disposition_for_status(0xB000, everything), Disposition::Delivered);
}

TEST(DeliveryOutcome, TransientFailuresAreRetried) {
  EXPECT_EQ(disposition_for_status(0xA700), Disposition::Retry);
  EXPECT_EQ(disposition_for_status(0xA7FF), Disposition::Retry);
  // Issue 12: a PACS whose database hiccups answers processing failure; it was dead-lettered.
  EXPECT_EQ(disposition_for_status(0x0110), Disposition::Retry);
  EXPECT_EQ(disposition_for_status(0x0213), Disposition::Retry);  // resource limitation
}

TEST(DeliveryOutcome, PermanentFailuresAreDeadLettered) {
  EXPECT_EQ(disposition_for_status(0x0122), Disposition::DeadLetter);  // SOP class not supported
  EXPECT_EQ(disposition_for_status(0xA900), Disposition::DeadLetter);
  EXPECT_EQ(disposition_for_status(0xA9FF), Disposition::DeadLetter);
  EXPECT_EQ(disposition_for_status(0xC000), Disposition::DeadLetter);
  EXPECT_EQ(disposition_for_status(0x0124), Disposition::DeadLetter);  // not authorized
  EXPECT_EQ(disposition_for_status(0x0211), Disposition::DeadLetter);
  EXPECT_EQ(disposition_for_status(0x0117), Disposition::DeadLetter);  // invalid instance
}

TEST(DeliveryOutcome, TheRetryListIsTheDestinations) {
  const std::vector<config::StatusPattern> site = {{0xC000, 0xF000}};  // "0xCxxx"
  EXPECT_EQ(router::disposition_for_status(0xC123, site), Disposition::Retry);
  EXPECT_EQ(router::disposition_for_status(0xA700, site), Disposition::DeadLetter);
  EXPECT_EQ(router::disposition_for_status(0x0110, {}), Disposition::DeadLetter);
}

// ---- destination health: only news clears a failure (issue 12) ------------------------------

using HealthClock = DestinationHealth::Clock;

TEST(DestinationHealth, AFailurePausesAndASuccessBegunAfterItResumes) {
  DestinationHealth health(Backoff(1000ms, 60000ms, 1));
  const auto t0 = HealthClock::now();
  const auto first = health.begin();
  const auto until = health.failed(first, t0);
  EXPECT_GE(until - t0, 500ms);
  EXPECT_TRUE(health.paused(t0));
  const auto after = health.begin();
  EXPECT_TRUE(health.succeeded(after));
  EXPECT_FALSE(health.paused(t0));
  EXPECT_EQ(health.consecutive_failures(), 0u);
}

// Two workers: one C-STORE was on its way when the other failed. Its success is older news than
// the failure and must not resume a failing PACS (before issue 12 it cleared the backoff).
TEST(DestinationHealth, ASuccessBegunBeforeTheLatestFailureDoesNotClearIt) {
  DestinationHealth health(Backoff(1000ms, 60000ms, 1));
  const auto t0 = HealthClock::now();
  const auto in_flight = health.begin();
  const auto failing = health.begin();
  const auto until = health.failed(failing, t0);
  EXPECT_FALSE(health.succeeded(in_flight));
  EXPECT_TRUE(health.paused(t0));
  EXPECT_EQ(health.paused_until(), until);
  EXPECT_EQ(health.consecutive_failures(), 1u);
}

// Four workers failing on one outage are one failure: the delay does not double four times.
TEST(DestinationHealth, FailuresOfAttemptsBegunBeforeTheLatestFailureDoNotCountAgain) {
  DestinationHealth health(Backoff(1000ms, 60000ms, 1));
  const auto t0 = HealthClock::now();
  std::vector<DestinationHealth::Attempt> attempts(4, health.begin());
  const auto until = health.failed(attempts[0], t0);
  for (std::size_t i = 1; i < attempts.size(); ++i) {
    EXPECT_EQ(health.failed(attempts[i], t0 + 10ms), until);
  }
  EXPECT_EQ(health.consecutive_failures(), 1u);
  // After the pause, a new attempt that fails is news: the delay grows.
  const auto later = until + 1ms;
  const auto next = health.failed(health.begin(), later);
  EXPECT_EQ(health.consecutive_failures(), 2u);
  EXPECT_GE(next - later, 1000ms);
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
