#pragma once
// In-memory index of the delivery jobs: a copy of the `jobs` column family plus the leases, which
// live only here. lease_next() and next_due_ms() are answered from it without touching RocksDB.
//
// Not thread-safe: RocksInstanceStore guards it with one mutex. It mirrors what has been
// committed; the commit thread changes it only after the batch that made the change was written.
//
// Per destination: every job by arrival_seq, plus the pending ones split into `ready` (known to be
// due, ordered by arrival_seq: lease takes the first) and `waiting` (ordered by due time: moved to
// `ready` by the first lease whose `now` reaches them, and back if a later lease passes an earlier
// `now`). So a lease costs O(log n) amortised.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "queue/forward_queue.hpp"
#include "queue/record_codec.hpp"

namespace acc::queue {

// What the jobs of one instance share; one copy per instance, not per destination.
struct InstanceInfo {
  std::string sop_instance_uid;
  std::string sop_class_uid;
  std::string transfer_syntax_uid;
  std::string study_instance_uid;
  int64_t enqueued_at_ms = 0;
};

// The persisted part of a job, as held in memory.
struct StoredJob {
  std::shared_ptr<const InstanceInfo> instance;
  uint32_t attempts = 0;
  int64_t next_attempt_at_ms = 0;
  std::string last_error;
  bool dead = false;
};

[[nodiscard]] JobValue to_value(const StoredJob& job);
[[nodiscard]] StoredJob from_value(const JobValue& value,
                                   std::shared_ptr<const InstanceInfo> instance);
[[nodiscard]] std::shared_ptr<const InstanceInfo> instance_of(const JobValue& value);
[[nodiscard]] Job make_job(const JobKey& key, const JobValue& value, JobState state);

// Builds DestinationStats from jobs fed in any order; shared by the index and the reader's scan.
class StatsBuilder {
 public:
  explicit StatsBuilder(int64_t now_ms) : now_ms_(now_ms) {}
  void add(const std::string& destination, JobState state, int64_t next_attempt_at_ms,
           int64_t enqueued_at_ms);
  [[nodiscard]] std::vector<DestinationStats> finish() &&;

 private:
  int64_t now_ms_;
  std::map<std::string, DestinationStats, std::less<>> by_destination_;
};

class JobIndex {
 public:
  // What an update does to a lease held on the job. Keep: an admin retry that raced a lease
  // leaves the job with its worker. Clear: the worker's own result (retry-at, dead-letter) ends it.
  enum class Lease { Keep, Clear };

  void upsert(const std::string& destination, uint64_t seq, StoredJob job, Lease lease);
  void erase(std::string_view destination, uint64_t seq);
  void clear() { destinations_.clear(); }

  // Null when the job does not exist. The pointer is valid until the next change.
  [[nodiscard]] const StoredJob* find(std::string_view destination, uint64_t seq) const;
  [[nodiscard]] bool in_flight(std::string_view destination, uint64_t seq) const;

  [[nodiscard]] std::optional<Job> lease(std::string_view destination, int64_t now_ms);
  // Returns true when an in-flight job became pending.
  bool release(std::string_view destination, uint64_t seq);
  [[nodiscard]] std::optional<int64_t> next_due(std::string_view destination) const;

  [[nodiscard]] std::vector<Job> jobs(std::string_view destination) const;
  [[nodiscard]] std::vector<DestinationStats> stats(int64_t now_ms) const;
  // Keys of the jobs of `destination` (empty = all) for which `pred(job, in_flight)` holds.
  [[nodiscard]] std::vector<JobKey> select(
      std::string_view destination,
      const std::function<bool(const StoredJob&, bool in_flight)>& pred) const;
  [[nodiscard]] std::size_t size() const;

 private:
  enum class Slot : uint8_t { Ready, Waiting, InFlight, Dead };
  struct Entry {
    StoredJob job;
    Slot slot = Slot::Ready;
  };
  using Due = std::pair<int64_t, uint64_t>;  // (next_attempt_at_ms, seq)
  struct Destination {
    std::map<uint64_t, Entry> jobs;
    std::set<uint64_t> ready;
    std::set<Due> ready_due;  // the ready jobs whose due time is not 0, for next_due()
    std::set<Due> waiting;
  };

  static void place(Destination& d, uint64_t seq, Entry& e);
  static void unplace(Destination& d, uint64_t seq, const Entry& e);
  static void promote_due(Destination& d, int64_t now_ms);
  static JobState state_of(Slot slot);
  static Job to_job(const std::string& destination, uint64_t seq, const Entry& e);

  std::map<std::string, Destination, std::less<>> destinations_;
};

}  // namespace acc::queue
