#include "queue/record_codec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "store_test_support.hpp"

namespace acc::queue {
namespace {

TEST(RecordCodec, RoundTripsEveryField) {
  InstanceRecord r = testing::make_record("1.2.840.99.1");
  r.size_bytes = 524288;
  r.arrival_seq = 77;
  r.received_at_ms = -5;  // pre-epoch clocks must not break decoding
  r.association_id = UINT64_MAX;
  r.state = "forwarded";
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
  EXPECT_EQ(decoded->state, "stored");
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

TEST(QueueErrorCategory, NamesTheModuleAndTheFailure) {
  Error e{make_error_code(QueueErrc::shutting_down), "x"};
  EXPECT_EQ(e.message(), "queue: instance store is shutting down (x)");
}

}  // namespace
}  // namespace acc::queue
