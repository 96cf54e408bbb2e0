#pragma once
// Value encodings of the instance store. The meta record is JSON so that a future version can add
// fields without a migration: unknown fields are ignored and absent optional ones take defaults.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "queue/instance_store.hpp"

namespace acc::queue {

[[nodiscard]] std::string encode_record(const InstanceRecord& record);
// Fails with QueueErrc::corrupt_record; never throws.
[[nodiscard]] Result<InstanceRecord> decode_record(std::string_view bytes);

// Big-endian so that keys built from it sort numerically (`jobs` keys reuse this).
[[nodiscard]] std::array<char, 8> encode_u64_be(uint64_t value);
[[nodiscard]] Result<uint64_t> decode_u64_be(std::string_view bytes);

// `jobs` key: destination bytes, 0x00, arrival_seq big-endian. One destination's jobs are one
// contiguous range in arrival order, and the 0x00 keeps "A" from interleaving with "AB".
struct JobKey {
  std::string destination;
  uint64_t arrival_seq = 0;
  auto operator<=>(const JobKey&) const = default;
  bool operator==(const JobKey&) const = default;
};
[[nodiscard]] std::string encode_job_key(std::string_view destination, uint64_t arrival_seq);
[[nodiscard]] Result<JobKey> decode_job_key(std::string_view bytes);
// Lower (inclusive) and upper (exclusive) bound of one destination's range.
[[nodiscard]] std::string job_range_begin(std::string_view destination);
[[nodiscard]] std::string job_range_end(std::string_view destination);
// A destination name must be usable as a key prefix: non-empty, no 0x00, bounded.
[[nodiscard]] bool is_valid_destination(std::string_view destination);

// `jobs` value: the persisted state of one delivery job. Leases are never stored. Binary rather
// than JSON because open() decodes every job; fields added later go after the existing ones and
// older readers ignore trailing bytes.
struct JobValue {
  uint32_t attempts = 0;
  int64_t next_attempt_at_ms = 0;
  int64_t enqueued_at_ms = 0;
  bool dead = false;
  std::string last_error;
  std::string sop_instance_uid;
  std::string sop_class_uid;
  std::string transfer_syntax_uid;
  std::string study_instance_uid;
  bool operator==(const JobValue&) const = default;
};
[[nodiscard]] std::string encode_job_value(const JobValue& job);
// Fails with QueueErrc::corrupt_record; never throws, never reads past `bytes`.
[[nodiscard]] Result<JobValue> decode_job_value(std::string_view bytes);

// `decisions` value: the study UID in front so that a per-study listing filters without parsing
// the JSON. Layout: version u8, study UID (u32 BE length + bytes), decision JSON (the rest).
struct DecisionEntry {
  std::string study_instance_uid;
  std::string decision_json;
  bool operator==(const DecisionEntry&) const = default;
};
[[nodiscard]] std::string encode_decision(std::string_view study_instance_uid,
                                          std::string_view decision_json);
// Fails with QueueErrc::corrupt_record; never throws, never reads past `bytes`.
[[nodiscard]] Result<DecisionEntry> decode_decision(std::string_view bytes);
// Only the study UID of an entry, viewing into `bytes` (a listing for one study skips the JSON of
// the others without copying it).
[[nodiscard]] Result<std::string_view> decision_study(std::string_view bytes);

}  // namespace acc::queue
