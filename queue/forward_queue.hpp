#pragma once
// Delivery jobs: one per (stored instance, destination), created in the same WriteBatch as the
// instance (InstanceRecord::destinations), leased by forward workers, removed once the destination
// answered Success. The instance itself is removed when no job refers to it any more (after the
// configured retention). Implemented by the same RocksDB store as InstanceStore, so that job
// creation is atomic with the instance and every mutation runs on the one commit thread.
//
// Durability of job *state changes* (lease, retry-at, dead-letter, completion) is relaxed on
// purpose: they are written without fsync and ride on the next synced group. Losing one in a
// crash only means a delivery is tried again (at-least-once; a PACS treats a repeated SOP Instance
// UID as a replace). Leases are never persisted as owned: after a restart every job is pending.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/enum_names.hpp"
#include "common/result.hpp"

namespace acc::queue {

enum class JobState { Pending, InFlight, Dead };

struct Job {
  std::string destination;
  uint64_t arrival_seq = 0;  // with destination, the job's identity and its order
  std::string sop_instance_uid;
  std::string sop_class_uid;
  std::string transfer_syntax_uid;
  std::string study_instance_uid;
  JobState state = JobState::Pending;
  uint32_t attempts = 0;           // delivery attempts made so far
  int64_t enqueued_at_ms = 0;      // Unix ms, when the instance was committed
  int64_t next_attempt_at_ms = 0;  // Unix ms; 0 = as soon as possible
  std::string last_error;          // last failure or dead-letter reason
  bool operator==(const Job&) const = default;
};

struct DestinationStats {
  std::string destination;
  uint64_t pending = 0;  // includes jobs waiting for their retry time
  uint64_t in_flight = 0;
  uint64_t dead = 0;
  uint64_t waiting_retry = 0;         // pending with next_attempt_at_ms in the future
  int64_t oldest_enqueued_at_ms = 0;  // of pending + in-flight; 0 when none
};

using DoneCallback = std::move_only_function<void(Result<void>)>;

class ForwardQueue {
 public:
  virtual ~ForwardQueue() = default;

  // The oldest (lowest arrival_seq) pending job of `destination` whose next_attempt_at_ms <= now,
  // marked in-flight; std::nullopt if none. In memory, thread-safe, O(log n) amortised.
  [[nodiscard]] virtual std::optional<Job> lease_next(std::string_view destination,
                                                      int64_t now_ms) = 0;
  // Earliest next_attempt_at_ms among pending jobs of `destination` (std::nullopt if none).
  [[nodiscard]] virtual std::optional<int64_t> next_due_ms(std::string_view destination) const = 0;

  // Delivered (Success or Warning): remove the job; remove the instance when it was the last
  // job (and retention is 0). `done` runs on the commit thread.
  virtual void complete(const Job& job, DoneCallback done) = 0;
  // Failed, try again at `next_attempt_at_ms`; attempts is incremented.
  virtual void retry_at(const Job& job, int64_t next_attempt_at_ms, std::string error,
                        DoneCallback done) = 0;
  // Failed for good (refused SOP class, permanent status, max_attempts reached); attempts is
  // incremented. The job and its instance stay until an admin retry or purge.
  virtual void dead_letter(const Job& job, std::string reason, DoneCallback done) = 0;
  // Lease given back without an attempt (shutdown): pending again, attempts unchanged.
  virtual void release(const Job& job) = 0;

  // Called on the commit thread after jobs became ready for `destination` (new instance
  // committed, admin retry). Set once before the server starts; must be cheap.
  virtual void set_ready_listener(std::function<void(const std::string& destination)> l) = 0;

  // Inspection and administration (CLI, status). `destination` empty = all.
  [[nodiscard]] virtual Result<std::vector<Job>> jobs(std::string_view destination) const = 0;
  [[nodiscard]] virtual Result<std::vector<DestinationStats>> stats() const = 0;
  // Make matching dead or waiting jobs pending now (attempts reset). Returns how many changed.
  [[nodiscard]] virtual Result<uint64_t> retry_instances(const std::vector<std::string>& uids) = 0;
  [[nodiscard]] virtual Result<uint64_t> retry_dead() = 0;
  [[nodiscard]] virtual Result<uint64_t> retry_destination(std::string_view destination) = 0;
  // Removes every job and instance (the operator confirmed). Returns instances removed.
  [[nodiscard]] virtual Result<uint64_t> purge() = 0;
};

}  // namespace acc::queue

namespace acc {
template <>
struct EnumNames<queue::JobState> {
  using E = queue::JobState;
  static constexpr std::array names{std::pair{E::Pending, std::string_view("pending")},
                                    std::pair{E::InFlight, std::string_view("in-flight")},
                                    std::pair{E::Dead, std::string_view("dead")}};
};
}  // namespace acc
