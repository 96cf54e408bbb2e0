#include "queue/record_codec.hpp"

#include <nlohmann/json.hpp>

#include <utility>

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

// Absent means none (records written before jobs existed); present must be an array of strings.
bool read_string_list(const Json& j, const char* key, std::vector<std::string>& out) {
  auto it = j.find(key);
  if (it == j.end()) {
    return true;
  }
  if (!it->is_array()) {
    return false;
  }
  for (const auto& element : *it) {
    if (!element.is_string()) {
      return false;
    }
    out.push_back(element.get<std::string>());
  }
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
      {"state", enum_name(r.state)},
      {"destinations", r.destinations},
  };
  if (!r.held_decision_json.empty()) {
    j["held_decision"] = r.held_decision_json;
  }
  if (r.object) {
    j["object"] = {{"segment", r.object->segment},
                   {"offset", r.object->offset},
                   {"length", r.object->length},
                   {"xxh3", r.object->xxh3}};
  }
  // Replace invalid UTF-8 instead of throwing: UIDs and AE titles come from peers.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

[[nodiscard]] Result<InstanceRecord> decode_record(std::string_view bytes) {
  Json j = Json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return fail(QueueErrc::corrupt_record, "meta value is not a JSON object");
  }
  uint64_t version = 0;
  if (!read_unsigned(j, "v", version) || version != kRecordVersion) {
    return fail(QueueErrc::corrupt_record, "unsupported meta record version");
  }
  InstanceRecord r;
  std::string state(enum_name(RecordState::stored));  // absent in records of old versions
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
            read_unsigned(j, "arrival_seq", r.arrival_seq) && read_string(j, "state", state) &&
            read_string_list(j, "destinations", r.destinations) &&
            read_string(j, "held_decision", r.held_decision_json);
  if (!ok) {
    return fail(QueueErrc::corrupt_record, "meta field has the wrong type");
  }
  if (auto it = j.find("object"); it != j.end()) {
    ObjectRef ref;
    if (!it->is_object() || !read_unsigned(*it, "segment", ref.segment) ||
        !read_unsigned(*it, "offset", ref.offset) || !read_unsigned(*it, "length", ref.length) ||
        !read_unsigned(*it, "xxh3", ref.xxh3) || ref.segment == 0) {
      return fail(QueueErrc::corrupt_record, "meta record has a malformed object reference");
    }
    r.object = ref;
  }
  if (r.sop_instance_uid.empty() || r.arrival_seq == 0) {
    return fail(QueueErrc::corrupt_record, "meta record lacks sop_instance_uid or arrival_seq");
  }
  const auto parsed_state = parse_enum<RecordState>(state);
  if (!parsed_state) {
    return fail(QueueErrc::corrupt_record, "meta record has an unknown state '" + state + "'");
  }
  r.state = *parsed_state;
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

[[nodiscard]] Result<uint64_t> decode_u64_be(std::string_view bytes) {
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

namespace {

constexpr uint8_t kJobValueVersion = 1;
constexpr uint8_t kDecisionVersion = 1;
constexpr uint8_t kJobDeadFlag = 0x01;
constexpr std::size_t kMaxDestinationBytes = 256;

void put_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xFF));
  }
}

void put_u64(std::string& out, uint64_t v) {
  auto bytes = encode_u64_be(v);
  out.append(bytes.data(), bytes.size());
}

void put_string(std::string& out, std::string_view s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

// Reads from a value that may be truncated or garbage: every read checks what remains first.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}

  bool u8(uint8_t& v) {
    if (rest_.empty()) {
      return false;
    }
    v = static_cast<uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return true;
  }
  bool u32(uint32_t& v) {
    if (rest_.size() < 4) {
      return false;
    }
    v = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      v = (v << 8) | static_cast<uint8_t>(rest_[i]);
    }
    rest_.remove_prefix(4);
    return true;
  }
  bool i64(int64_t& v) {
    if (rest_.size() < 8) {
      return false;
    }
    auto decoded = decode_u64_be(rest_.substr(0, 8));
    v = static_cast<int64_t>(*decoded);
    rest_.remove_prefix(8);
    return true;
  }
  bool string(std::string& v) {
    std::string_view view;
    if (!this->view(view)) {
      return false;
    }
    v.assign(view);
    return true;
  }
  // A length-prefixed string, viewing into the input.
  bool view(std::string_view& v) {
    uint32_t size = 0;
    if (!u32(size) || size > rest_.size()) {
      return false;
    }
    v = rest_.substr(0, size);
    rest_.remove_prefix(size);
    return true;
  }
  [[nodiscard]] std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

}  // namespace

std::string encode_job_key(std::string_view destination, uint64_t arrival_seq) {
  std::string key;
  key.reserve(destination.size() + 9);
  key.append(destination);
  key.push_back('\0');
  put_u64(key, arrival_seq);
  return key;
}

[[nodiscard]] Result<JobKey> decode_job_key(std::string_view bytes) {
  if (bytes.size() < 10 || bytes[bytes.size() - 9] != '\0') {
    return fail(QueueErrc::corrupt_record, "job key is not <destination> 0x00 <u64>");
  }
  JobKey key;
  key.destination.assign(bytes.substr(0, bytes.size() - 9));
  if (!is_valid_destination(key.destination)) {
    return fail(QueueErrc::corrupt_record, "job key has an invalid destination");
  }
  key.arrival_seq = *decode_u64_be(bytes.substr(bytes.size() - 8));
  return key;
}

std::string job_range_begin(std::string_view destination) {
  std::string key(destination);
  key.push_back('\0');
  return key;
}

std::string job_range_end(std::string_view destination) {
  std::string key(destination);
  key.push_back('\x01');
  return key;
}

bool is_valid_destination(std::string_view destination) {
  return !destination.empty() && destination.size() <= kMaxDestinationBytes &&
         destination.find('\0') == std::string_view::npos;
}

std::string encode_job_value(const JobValue& job) {
  std::string out;
  out.reserve(32 + job.last_error.size() + job.sop_instance_uid.size() + job.sop_class_uid.size() +
              job.transfer_syntax_uid.size() + job.study_instance_uid.size() + 20);
  out.push_back(static_cast<char>(kJobValueVersion));
  out.push_back(static_cast<char>(job.dead ? kJobDeadFlag : 0));
  put_u32(out, job.attempts);
  put_u64(out, static_cast<uint64_t>(job.next_attempt_at_ms));
  put_u64(out, static_cast<uint64_t>(job.enqueued_at_ms));
  put_string(out, job.last_error);
  put_string(out, job.sop_instance_uid);
  put_string(out, job.sop_class_uid);
  put_string(out, job.transfer_syntax_uid);
  put_string(out, job.study_instance_uid);
  return out;
}

[[nodiscard]] Result<JobValue> decode_job_value(std::string_view bytes) {
  Reader in(bytes);
  uint8_t version = 0;
  uint8_t flags = 0;
  if (!in.u8(version) || version != kJobValueVersion) {
    return fail(QueueErrc::corrupt_record, "unsupported job value version");
  }
  JobValue job;
  bool ok = in.u8(flags) && in.u32(job.attempts) && in.i64(job.next_attempt_at_ms) &&
            in.i64(job.enqueued_at_ms) && in.string(job.last_error) &&
            in.string(job.sop_instance_uid) && in.string(job.sop_class_uid) &&
            in.string(job.transfer_syntax_uid) && in.string(job.study_instance_uid);
  if (!ok) {
    return fail(QueueErrc::corrupt_record, "job value is truncated");
  }
  job.dead = (flags & kJobDeadFlag) != 0;
  return job;
}

std::string encode_decision(std::string_view study_instance_uid, std::string_view decision_json) {
  std::string out;
  out.reserve(5 + study_instance_uid.size() + decision_json.size());
  out.push_back(static_cast<char>(kDecisionVersion));
  put_string(out, study_instance_uid);
  out.append(decision_json);
  return out;
}

[[nodiscard]] Result<std::string_view> decision_study(std::string_view bytes) {
  Reader in(bytes);
  uint8_t version = 0;
  if (!in.u8(version) || version != kDecisionVersion) {
    return fail(QueueErrc::corrupt_record, "unsupported decision entry version");
  }
  std::string_view study;
  if (!in.view(study)) {
    return fail(QueueErrc::corrupt_record, "decision entry is truncated");
  }
  return study;
}

[[nodiscard]] Result<DecisionEntry> decode_decision(std::string_view bytes) {
  auto study = decision_study(bytes);
  if (!study) {
    return fail(std::move(study.error()));
  }
  // The JSON is everything after the study UID: version byte, u32 length, UID bytes.
  return DecisionEntry{std::string(*study), std::string(bytes.substr(5 + study->size()))};
}

}  // namespace acc::queue
