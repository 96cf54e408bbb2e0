#pragma once
// Helpers shared by the queue tests: a scratch directory and deterministic instances.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "queue/instance_store.hpp"

namespace acc::queue {

// Readable assertion output for jobs (gtest finds it by argument-dependent lookup).
inline void PrintTo(const Job& j, std::ostream* os) {
  *os << j.destination << "/" << j.arrival_seq << " uid=" << j.sop_instance_uid
      << " state=" << enum_name(j.state) << " attempts=" << j.attempts
      << " next=" << j.next_attempt_at_ms << " enqueued=" << j.enqueued_at_ms << " error='"
      << j.last_error << "'";
}

}  // namespace acc::queue

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

inline InstanceRecord record_to(const std::string& sop_instance_uid,
                                std::vector<std::string> destinations) {
  InstanceRecord r = make_record(sop_instance_uid);
  r.destinations = std::move(destinations);
  return r;
}

inline int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Blocking faces of the ForwardQueue calls that complete on the commit thread.
inline Result<void> wait_for(const std::function<void(DoneCallback)>& start) {
  std::promise<Result<void>> promise;
  auto future = promise.get_future();
  start([p = std::move(promise)](Result<void> r) mutable { p.set_value(std::move(r)); });
  return future.get();
}
inline Result<void> complete(ForwardQueue& q, const Job& job) {
  return wait_for([&](DoneCallback done) { q.complete(job, std::move(done)); });
}
inline Result<void> retry_at(ForwardQueue& q, const Job& job, int64_t at, std::string error) {
  return wait_for([&](DoneCallback done) { q.retry_at(job, at, error, std::move(done)); });
}
inline Result<void> dead_letter(ForwardQueue& q, const Job& job, std::string reason) {
  return wait_for([&](DoneCallback done) { q.dead_letter(job, reason, std::move(done)); });
}

// Opens a store or fails the test (null then: callers ASSERT_TRUE it). `sync` false for tests
// whose subject is not durability (the crash tests keep it on).
inline std::unique_ptr<InstanceStore> open_or_die(const std::filesystem::path& path,
                                                  bool sync = true) {
  StoreOptions options = options_for(path);
  options.sync = sync;
  auto store = InstanceStore::open(options);
  if (!store) {
    ADD_FAILURE() << store.error().message();
    return nullptr;
  }
  return std::move(*store);
}

}  // namespace acc::queue::testing
