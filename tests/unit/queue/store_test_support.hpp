#pragma once
// Helpers shared by the queue tests: a scratch directory and deterministic instances.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "queue/instance_store.hpp"

namespace acc::queue::testing {

class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "acc-queue-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
    }
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path store() const { return path_ / "store"; }

 private:
  std::filesystem::path path_;
};

inline InstanceRecord make_record(const std::string& sop_instance_uid) {
  InstanceRecord r;
  r.sop_instance_uid = sop_instance_uid;
  r.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
  r.transfer_syntax_uid = "1.2.840.10008.1.2.1";
  r.patient_id = "PID-1";
  r.study_instance_uid = "1.2.3.4";
  r.calling_ae = "MODALITY";
  r.called_ae = "ACCESSIONER";
  r.peer_address = "10.0.0.7:50211";
  r.association_id = 42;
  r.received_at_ms = 1'700'000'000'000;
  return r;
}

// Same seed, same bytes: lets a second process regenerate what the first one committed.
inline std::vector<uint8_t> make_payload(std::size_t size, uint64_t seed) {
  std::vector<uint8_t> out(size);
  std::mt19937_64 rng(seed);
  for (std::size_t i = 0; i < size; i += 8) {
    uint64_t v = rng();
    for (std::size_t b = 0; b < 8 && i + b < size; ++b) {
      out[i + b] = static_cast<uint8_t>(v >> (8 * b));
    }
  }
  return out;
}

inline StoreOptions options_for(const std::filesystem::path& path) {
  StoreOptions o;
  o.path = path;
  return o;
}

}  // namespace acc::queue::testing
