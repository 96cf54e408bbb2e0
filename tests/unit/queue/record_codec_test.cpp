#include "queue/record_codec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "store_test_support.hpp"

namespace acc::queue {
namespace {

TEST(RecordCodec, RoundTripsEveryField) {
  InstanceRecord r = testing::make_record("1.2.840.99.1");
  r.size_bytes = 524288;
  r.arrival_seq = 77;
  r.received_at_ms = -5;  // pre-epoch clocks must not break decoding
  r.association_id = UINT64_MAX;
  r.state = RecordState::held;
  r.held_decision_json = R"({"outcome":"ambiguous","reasons":["two orders"]})";
  auto decoded = decode_record(encode_record(r));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  EXPECT_EQ(*decoded, r);
}

TEST(RecordCodec, RejectsValuesThatAreNotJsonObjects) {
  for (std::string_view bad : {"", "{", "[1,2]", "\"text\"", "\xff\xfe"}) {
    auto decoded = decode_record(bad);
    ASSERT_FALSE(decoded.has_value()) << bad;
    EXPECT_EQ(decoded.error().code, QueueErrc::corrupt_record);
  }
}

TEST(RecordCodec, RejectsFieldsOfTheWrongType) {
  auto decoded =
      decode_record(R"({"v":1,"sop_instance_uid":"1.2","arrival_seq":3,"patient_id":17})");
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().code, QueueErrc::corrupt_record);
  decoded = decode_record(R"({"v":1,"sop_instance_uid":"1.2","arrival_seq":-3})");
  ASSERT_FALSE(decoded.has_value());
}

TEST(RecordCodec, RejectsUnknownVersionAndMissingIdentity) {
  EXPECT_FALSE(decode_record(R"({"v":2,"sop_instance_uid":"1.2","arrival_seq":3})"));
  EXPECT_FALSE(decode_record(R"({"sop_instance_uid":"1.2","arrival_seq":3})"));
  EXPECT_FALSE(decode_record(R"({"v":1,"arrival_seq":3})"));
  EXPECT_FALSE(decode_record(R"({"v":1,"sop_instance_uid":"1.2"})"));
}

TEST(RecordCodec, IgnoresUnknownFieldsAndDefaultsMissingOptionalOnes) {
  auto decoded =
      decode_record(R"({"v":1,"sop_instance_uid":"1.2","arrival_seq":3,"added_later":{"x":1}})");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  EXPECT_EQ(decoded->sop_instance_uid, "1.2");
  EXPECT_EQ(decoded->arrival_seq, 3u);
  EXPECT_EQ(decoded->state, RecordState::stored);
  EXPECT_TRUE(decoded->patient_id.empty());
}

TEST(RecordCodec, InvalidUtf8FromPeersIsReplacedNotThrown) {
  InstanceRecord r = testing::make_record("1.2.3");
  r.arrival_seq = 1;
  r.calling_ae = "AE\xff\xfe";
  auto decoded = decode_record(encode_record(r));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_NE(decoded->calling_ae, r.calling_ae);
  EXPECT_EQ(decoded->calling_ae.substr(0, 2), "AE");
}

TEST(RecordCodec, BigEndianU64SortsNumericallyAndRoundTrips) {
  std::vector<uint64_t> values = {0, 1, 255, 256, 65535, 1ull << 32, UINT64_MAX - 1, UINT64_MAX};
  std::vector<std::string> keys;
  for (uint64_t v : values) {
    auto bytes = encode_u64_be(v);
    std::string key(bytes.begin(), bytes.end());
    auto back = decode_u64_be(key);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, v);
    keys.push_back(key);
  }
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  EXPECT_EQ(encode_u64_be(0x0102030405060708ull)[0], 0x01);
}

TEST(RecordCodec, U64OfWrongLengthIsCorrupt) {
  auto decoded = decode_u64_be("1234567");
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().code, QueueErrc::corrupt_record);
}

TEST(RecordCodec, DestinationsRoundTripAndAreOptional) {
  InstanceRecord r = testing::make_record("1.2.3");
  r.arrival_seq = 4;
  r.destinations = {"PACS", "AI"};
  auto decoded = decode_record(encode_record(r));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->destinations, r.destinations);
  auto old = decode_record(R"({"v":1,"sop_instance_uid":"1.2","arrival_seq":3})");
  ASSERT_TRUE(old.has_value());
  EXPECT_TRUE(old->destinations.empty());
  EXPECT_FALSE(decode_record(R"({"v":1,"sop_instance_uid":"1.2","arrival_seq":3,
                                 "destinations":["A",2]})"));
  EXPECT_FALSE(decode_record(R"({"v":1,"sop_instance_uid":"1.2","arrival_seq":3,
                                 "destinations":"A"})"));
}

TEST(JobCodec, KeysGroupByDestinationThenSortByArrival) {
  std::vector<std::string> keys = {encode_job_key("A", 2), encode_job_key("A", 256),
                                   encode_job_key("A", 1), encode_job_key("AB", 0),
                                   encode_job_key("B", 1)};
  std::sort(keys.begin(), keys.end());
  std::vector<JobKey> decoded;
  for (const auto& k : keys) {
    auto key = decode_job_key(k);
    ASSERT_TRUE(key.has_value()) << key.error().message();
    decoded.push_back(*key);
  }
  EXPECT_EQ(decoded, (std::vector<JobKey>{{"A", 1}, {"A", 2}, {"A", 256}, {"AB", 0}, {"B", 1}}));
  EXPECT_LT(job_range_begin("A"), encode_job_key("A", 0));
  EXPECT_GT(job_range_end("A"), encode_job_key("A", UINT64_MAX));
  EXPECT_LT(job_range_end("A"), encode_job_key("AB", 0));
}

TEST(JobCodec, MalformedKeysAreCorrupt) {
  for (std::string bad : {std::string(), std::string("A"), std::string(9, '\0'),
                          std::string("A") + std::string(8, '\1') + "x",
                          std::string("A\0B", 3) + encode_job_key("C", 1).substr(1)}) {
    auto key = decode_job_key(bad);
    ASSERT_FALSE(key.has_value());
    EXPECT_EQ(key.error().code, QueueErrc::corrupt_record);
  }
}

TEST(JobCodec, ValuesRoundTripAndEveryTruncationIsRejected) {
  JobValue v;
  v.attempts = 70000;
  v.next_attempt_at_ms = -12;
  v.enqueued_at_ms = 1'700'000'000'123;
  v.dead = true;
  v.last_error = "A-ASSOCIATE-RJ (1, 3, 7)";
  v.sop_instance_uid = "1.2.3";
  v.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
  v.transfer_syntax_uid = "1.2.840.10008.1.2.1";
  v.study_instance_uid = "1.2";
  const std::string bytes = encode_job_value(v);
  auto decoded = decode_job_value(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, v);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decode_job_value(bytes.substr(0, n)).has_value()) << n;
  }
  // Fields a later version appends are ignored.
  EXPECT_TRUE(decode_job_value(bytes + "later").has_value());
  std::string huge_length = bytes.substr(0, 22) + "\xff\xff\xff\xff";
  EXPECT_FALSE(decode_job_value(huge_length).has_value());
  std::string other_version = bytes;
  other_version[0] = 2;
  EXPECT_FALSE(decode_job_value(other_version).has_value());
}

TEST(RecordCodec, DecisionEntryRoundTripsAndRejectsTruncationAndOtherVersions) {
  const std::string json = R"({"accession":"A1","reasons":["patient id","date"]})";
  const std::string bytes = encode_decision("1.2.3", json);
  auto decoded = decode_decision(bytes);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  EXPECT_EQ(*decoded, (DecisionEntry{"1.2.3", json}));
  EXPECT_EQ(decision_study(bytes).value_or("?"), "1.2.3");
  // Everything after the study UID is the JSON, so only cuts inside the header are detectable.
  for (std::size_t n = 0; n < 5 + 5; ++n) {
    auto cut = decode_decision(bytes.substr(0, n));
    ASSERT_FALSE(cut.has_value()) << n;
    EXPECT_EQ(cut.error().code, QueueErrc::corrupt_record);
  }
  EXPECT_FALSE(decode_decision(std::string("\x01\xff\xff\xff\xff", 5) + "x").has_value());
  std::string other_version = bytes;
  other_version[0] = 2;
  EXPECT_FALSE(decision_study(other_version).has_value());
  // Empty study and empty JSON are representable.
  EXPECT_EQ(decode_decision(encode_decision("", "")).value_or(DecisionEntry{"?", "?"}),
            (DecisionEntry{"", ""}));
}

TEST(RecordCodec, MetaRecordLeavesOutTheDecisionStrings) {
  InstanceRecord r = testing::make_record("1.2.840.99.2");
  r.arrival_seq = 5;
  r.decision_json = R"({"big":"decision"})";
  r.study_decision_json = R"({"study":"decision"})";
  const std::string bytes = encode_record(r);
  EXPECT_EQ(bytes.find("decision"), std::string::npos) << bytes;
  auto decoded = decode_record(bytes);
  ASSERT_TRUE(decoded.has_value());
  r.decision_json.clear();
  r.study_decision_json.clear();
  EXPECT_EQ(*decoded, r);
}

TEST(RecordCodec, UnknownStateIsACorruptRecordNotADefault) {
  // A record whose state this version does not know must not be treated as deliverable.
  auto decoded = decode_record(R"({"v":1,"sop_instance_uid":"1.2","arrival_seq":3,"state":"x"})");
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().code, QueueErrc::corrupt_record);
}

TEST(QueueErrorCategory, NamesTheModuleAndTheFailure) {
  Error e{make_error_code(QueueErrc::shutting_down), "x"};
  EXPECT_EQ(e.message(), "queue: instance store is shutting down (x)");
}

}  // namespace
}  // namespace acc::queue
