#include "queue/record_codec.hpp"

#include <nlohmann/json.hpp>

namespace acc::queue {
namespace {

using Json = nlohmann::json;

// Bumped only for incompatible changes; additive fields keep the version.
constexpr int kRecordVersion = 1;

// Reads an optional field; a present field of the wrong type marks the record corrupt rather
// than silently defaulting, because it means another writer disagrees with this schema.
bool read_string(const Json& j, const char* key, std::string& out) {
  auto it = j.find(key);
  if (it == j.end()) {
    return true;
  }
  if (!it->is_string()) {
    return false;
  }
  out = it->get<std::string>();
  return true;
}

bool read_unsigned(const Json& j, const char* key, uint64_t& out) {
  auto it = j.find(key);
  if (it == j.end()) {
    return true;
  }
  if (!it->is_number_unsigned()) {
    return false;
  }
  out = it->get<uint64_t>();
  return true;
}

bool read_signed(const Json& j, const char* key, int64_t& out) {
  auto it = j.find(key);
  if (it == j.end()) {
    return true;
  }
  if (!it->is_number_integer()) {
    return false;
  }
  out = it->get<int64_t>();
  return true;
}

}  // namespace

std::string encode_record(const InstanceRecord& r) {
  Json j = {
      {"v", kRecordVersion},
      {"sop_instance_uid", r.sop_instance_uid},
      {"sop_class_uid", r.sop_class_uid},
      {"transfer_syntax_uid", r.transfer_syntax_uid},
      {"patient_id", r.patient_id},
      {"study_instance_uid", r.study_instance_uid},
      {"calling_ae", r.calling_ae},
      {"called_ae", r.called_ae},
      {"peer_address", r.peer_address},
      {"association_id", r.association_id},
      {"received_at_ms", r.received_at_ms},
      {"size_bytes", r.size_bytes},
      {"arrival_seq", r.arrival_seq},
      {"state", r.state},
  };
  // Replace invalid UTF-8 instead of throwing: UIDs and AE titles come from peers.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<InstanceRecord> decode_record(std::string_view bytes) {
  Json j = Json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return fail(QueueErrc::corrupt_record, "meta value is not a JSON object");
  }
  uint64_t version = 0;
  if (!read_unsigned(j, "v", version) || version != kRecordVersion) {
    return fail(QueueErrc::corrupt_record, "unsupported meta record version");
  }
  InstanceRecord r;
  bool ok = read_string(j, "sop_instance_uid", r.sop_instance_uid) &&
            read_string(j, "sop_class_uid", r.sop_class_uid) &&
            read_string(j, "transfer_syntax_uid", r.transfer_syntax_uid) &&
            read_string(j, "patient_id", r.patient_id) &&
            read_string(j, "study_instance_uid", r.study_instance_uid) &&
            read_string(j, "calling_ae", r.calling_ae) &&
            read_string(j, "called_ae", r.called_ae) &&
            read_string(j, "peer_address", r.peer_address) &&
            read_unsigned(j, "association_id", r.association_id) &&
            read_signed(j, "received_at_ms", r.received_at_ms) &&
            read_unsigned(j, "size_bytes", r.size_bytes) &&
            read_unsigned(j, "arrival_seq", r.arrival_seq) && read_string(j, "state", r.state);
  if (!ok) {
    return fail(QueueErrc::corrupt_record, "meta field has the wrong type");
  }
  if (r.sop_instance_uid.empty() || r.arrival_seq == 0) {
    return fail(QueueErrc::corrupt_record, "meta record lacks sop_instance_uid or arrival_seq");
  }
  return r;
}

std::array<char, 8> encode_u64_be(uint64_t value) {
  std::array<char, 8> out{};
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(value & 0xFF);
    value >>= 8;
  }
  return out;
}

Result<uint64_t> decode_u64_be(std::string_view bytes) {
  if (bytes.size() != 8) {
    return fail(QueueErrc::corrupt_record,
                "expected 8-byte big-endian integer, got " + std::to_string(bytes.size()));
  }
  uint64_t value = 0;
  for (char c : bytes) {
    value = (value << 8) | static_cast<uint8_t>(c);
  }
  return value;
}

}  // namespace acc::queue
