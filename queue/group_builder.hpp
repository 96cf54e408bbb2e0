#pragma once
// Turns one group of queued operations into one WriteBatch, in queue order, and records what the
// in-memory job index must become once that batch has been written.
//
// Runs on the commit thread only, which is the only writer of meta and jobs: read-modify-writes
// of a meta record therefore cannot race. Operations later in a group see the effects of earlier
// ones through two overlays (meta records and job states changed so far in this group).

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "common/result.hpp"
#include "queue/instance_store.hpp"
#include "queue/job_index.hpp"
#include "queue/record_codec.hpp"
#include "queue/rocksdb_support.hpp"

namespace acc::queue {

struct CommitOp {
  InstanceRecord record;
  ObjectBytes bytes;
  InstanceStore::CommitCallback done;
};

enum class JobOpKind { Complete, RetryAt, DeadLetter };
struct JobOp {
  JobOpKind kind = JobOpKind::Complete;
  JobKey key;
  int64_t next_attempt_at_ms = 0;
  std::string error;
  DoneCallback done;
};

// Administrative operations run alone in their group (take_group), so they see the index as
// committed, and a purge's range ends are computed from what is really in the database.
enum class AdminKind { RetryInstances, RetryDead, RetryDestination, Purge };
struct AdminOp {
  AdminKind kind = AdminKind::RetryDead;
  std::vector<std::string> uids;
  std::string destination;
  std::promise<Result<uint64_t>> result;
};

using Op = std::variant<CommitOp, JobOp, AdminOp>;

class GroupBuilder {
 public:
  GroupBuilder(rocksdb::DB& db, const Handles& handles, std::mutex& index_mu, const JobIndex& index,
               std::size_t reserve_bytes);

  // Each add_* returns an error that concerns that operation only (a read it needed failed); the
  // batch then holds nothing of it. `record` gets its final destination list; its bytes are
  // already in a segment (record.object) and their size in record.size_bytes.
  [[nodiscard]] Result<void> add_commit(InstanceRecord& record, int64_t now_ms);
  [[nodiscard]] Result<void> add_job_op(const JobOp& op);
  [[nodiscard]] Result<uint64_t> add_admin(const AdminOp& op, int64_t now_ms);
  void put_counter(uint64_t last_seq);

  // Not ok when the batch itself refused an entry: the whole group fails.
  [[nodiscard]] const rocksdb::Status& batch_status() const { return status_; }
  [[nodiscard]] rocksdb::WriteBatch& batch() { return batch_; }

  // After the batch was written: the index takes the job states the batch stored.
  void apply(JobIndex& index) const;
  // After it failed: leases of jobs whose outcome this group was recording become pending again.
  // Returns the destinations that got ready jobs back.
  [[nodiscard]] std::set<std::string> revert(JobIndex& index) const;
  // Destinations that got newly leasable jobs (valid after apply).
  [[nodiscard]] const std::set<std::string>& ready_destinations() const { return ready_; }
  // Segment byte ranges that no record points at once the batch is durable (delivered, replaced
  // or purged instances): the store releases them after a synced write, never before.
  [[nodiscard]] const std::vector<ObjectRef>& released_objects() const { return released_; }

 private:
  struct Change {
    std::optional<StoredJob> job;  // nullopt: deleted
    JobIndex::Lease lease = JobIndex::Lease::Clear;
  };

  [[nodiscard]] Result<std::optional<InstanceRecord>> meta(const std::string& uid);
  [[nodiscard]] std::optional<StoredJob> job(const JobKey& key);
  [[nodiscard]] bool leased(const JobKey& key);
  void put_meta(const InstanceRecord& record);
  // The instance's study decision and audit log entry, if it carries them.
  void put_decisions(const InstanceRecord& record);
  void delete_instance(const InstanceRecord& record);
  // The stored bytes of `record` will not be needed once this batch is durable.
  void drop_object(const InstanceRecord& record);
  void put_job(const JobKey& key, StoredJob job, JobIndex::Lease lease);
  void delete_job(const JobKey& key);
  [[nodiscard]] uint64_t retry(const std::vector<JobKey>& keys, int64_t now_ms);
  [[nodiscard]] Result<uint64_t> purge();

  rocksdb::DB& db_;
  const Handles& handles_;
  std::mutex& index_mu_;
  const JobIndex& index_;
  rocksdb::WriteBatch batch_;
  rocksdb::Status status_;
  std::unordered_map<std::string, std::optional<InstanceRecord>> meta_;  // nullopt: deleted
  std::map<JobKey, Change> changes_;
  std::vector<JobKey> outcomes_;  // jobs whose worker reported a result in this group
  std::set<std::string> ready_;
  std::vector<ObjectRef> released_;
  bool purged_ = false;
};

}  // namespace acc::queue
