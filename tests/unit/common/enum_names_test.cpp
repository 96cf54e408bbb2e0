// Every enum that becomes text (config words, stored JSON, logs, metric labels) round-trips
// through its one name table, and its names are unique: the property that keeps config,
// storage and dashboards from drifting apart.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "common/enum_names.hpp"
#include "config/policies.hpp"
#include "queue/forward_queue.hpp"
#include "queue/instance_store.hpp"
#include "rules/stamp_outcome.hpp"

namespace acc {
namespace {

template <NamedEnum E>
void expect_round_trip(std::size_t expected_count) {
  std::set<std::string_view> seen;
  for (const E value : enum_values<E>()) {
    const std::string_view name = enum_name(value);
    EXPECT_NE(name, "?");
    EXPECT_TRUE(seen.insert(name).second) << "name used twice: " << name;
    EXPECT_EQ(parse_enum<E>(name), value) << name;
  }
  EXPECT_EQ(seen.size(), expected_count);
  EXPECT_EQ(enum_names<E>().size(), expected_count);
  EXPECT_FALSE(parse_enum<E>("")) << "the empty word names no value";
  EXPECT_FALSE(parse_enum<E>(std::string(enum_name(enum_values<E>()[0])) + " "))
      << "names are exact: no trimming, no case folding";
}

TEST(EnumNames, ConfigPoliciesRoundTrip) {
  expect_round_trip<config::ExistingAccessionPolicy>(3);
  expect_round_trip<config::UnmatchedPolicy>(3);
  expect_round_trip<config::AfterHoldPolicy>(2);
}

TEST(EnumNames, QueueStatesRoundTrip) {
  expect_round_trip<queue::RecordState>(2);
  expect_round_trip<queue::JobState>(3);
  // Stored records and the CLI have always used these words; they must not change.
  EXPECT_EQ(enum_name(queue::RecordState::held), "held");
  EXPECT_EQ(enum_name(queue::JobState::InFlight), "in-flight");
}

TEST(EnumNames, StampOutcomesRoundTrip) {
  expect_round_trip<rules::StampOutcome>(16);
  EXPECT_EQ(enum_name(rules::StampOutcome::invalid_accession), "invalid_accession");
  EXPECT_EQ(enum_name(rules::StampOutcome::study_conflict), "study_conflict");
}

TEST(EnumNames, OutOfRangeValueHasAVisibleName) {
  EXPECT_EQ(enum_name(static_cast<queue::RecordState>(99)), "?");
}

}  // namespace
}  // namespace acc
