#include "queue/group_builder.hpp"

#include <algorithm>
#include <memory>
#include <utility>

namespace acc::queue {
namespace {

// Dead, or pending and waiting for a retry time still ahead. In-flight jobs are left to their
// worker: it is about to report an outcome that would overwrite ours.
bool retryable(const StoredJob& job, bool in_flight, int64_t now_ms) {
  return !in_flight && (job.dead || job.next_attempt_at_ms > now_ms);
}

void dedupe_in_order(std::vector<std::string>& names) {
  std::vector<std::string> unique;
  unique.reserve(names.size());
  for (auto& name : names) {
    if (std::find(unique.begin(), unique.end(), name) == unique.end()) {
      unique.push_back(std::move(name));
    }
  }
  names = std::move(unique);
}

}  // namespace

GroupBuilder::GroupBuilder(rocksdb::DB& db, const Handles& handles, std::mutex& index_mu,
                           const JobIndex& index, std::size_t reserve_bytes)
    : db_(db), handles_(handles), index_mu_(index_mu), index_(index), batch_(reserve_bytes) {}

[[nodiscard]] Result<std::optional<InstanceRecord>> GroupBuilder::meta(const std::string& uid) {
  if (auto it = meta_.find(uid); it != meta_.end()) {
    return it->second;
  }
  std::string value;
  auto s = db_.Get(rocksdb::ReadOptions(), handles_[kMeta], as_slice(uid), &value);
  if (s.IsNotFound()) {
    return std::nullopt;
  }
  if (!s.ok()) {
    return fail(status_error(QueueErrc::read_failed, s, "get meta"));
  }
  auto record = decode_record(value);
  if (!record) {
    record.error().detail += " (key " + uid + ")";
    return fail(std::move(record.error()));
  }
  return std::optional<InstanceRecord>(std::move(*record));
}

std::optional<StoredJob> GroupBuilder::job(const JobKey& key) {
  if (auto it = changes_.find(key); it != changes_.end()) {
    return it->second.job;
  }
  std::lock_guard lock(index_mu_);
  const StoredJob* found = index_.find(key.destination, key.arrival_seq);
  return found != nullptr ? std::optional<StoredJob>(*found) : std::nullopt;
}

bool GroupBuilder::leased(const JobKey& key) {
  std::lock_guard lock(index_mu_);
  return index_.in_flight(key.destination, key.arrival_seq);
}

void GroupBuilder::put_meta(const InstanceRecord& record) {
  if (status_.ok()) {
    status_ = batch_.Put(handles_[kMeta], as_slice(record.sop_instance_uid), encode_record(record));
  }
  // The overlay mirrors what meta will hold, which has no decision strings.
  InstanceRecord& stored = *(meta_[record.sop_instance_uid] = record);
  stored.decision_json = std::string();
  stored.study_decision_json = std::string();
}

void GroupBuilder::put_decisions(const InstanceRecord& record) {
  if (status_.ok() && !record.study_decision_json.empty() && !record.study_instance_uid.empty()) {
    status_ = batch_.Put(handles_[kStudies], as_slice(record.study_instance_uid),
                         as_slice(record.study_decision_json));
  }
  if (status_.ok() && !record.decision_json.empty()) {
    auto key = encode_u64_be(record.arrival_seq);
    status_ = batch_.Put(handles_[kDecisions], rocksdb::Slice(key.data(), key.size()),
                         encode_decision(record.study_instance_uid, record.decision_json));
  }
}

void GroupBuilder::drop_object(const InstanceRecord& record) {
  if (record.object) {
    released_.push_back(*record.object);
  } else if (status_.ok()) {
    // Stored before issue 11: the bytes are inline in the object family.
    status_ = batch_.Delete(handles_[kObject], as_slice(record.sop_instance_uid));
  }
}

void GroupBuilder::delete_instance(const InstanceRecord& record) {
  if (status_.ok()) {
    status_ = batch_.Delete(handles_[kMeta], as_slice(record.sop_instance_uid));
  }
  drop_object(record);
  meta_[record.sop_instance_uid] = std::nullopt;
}

void GroupBuilder::put_job(const JobKey& key, StoredJob job, JobIndex::Lease lease) {
  if (status_.ok()) {
    status_ = batch_.Put(handles_[kJobs], encode_job_key(key.destination, key.arrival_seq),
                         encode_job_value(to_value(job)));
  }
  Change& change = changes_[key];
  change.job = std::move(job);
  if (lease == JobIndex::Lease::Clear) {
    change.lease = lease;
  }
}

void GroupBuilder::delete_job(const JobKey& key) {
  // Job keys are rewritten on every retry, so SingleDelete's "written once" rule does not hold.
  if (status_.ok()) {
    status_ = batch_.Delete(handles_[kJobs], encode_job_key(key.destination, key.arrival_seq));
  }
  changes_[key].job = std::nullopt;
}

[[nodiscard]] Result<void> GroupBuilder::add_commit(InstanceRecord& record, int64_t now_ms) {
  auto old = meta(record.sop_instance_uid);
  // A corrupt old record is overwritten rather than blocking this UID forever; jobs it may have
  // had stay and deliver whatever is stored under the UID, and completing them leaves the new
  // record alone because its arrival_seq differs.
  if (!old && old.error().code != QueueErrc::corrupt_record) {
    return fail(std::move(old.error()));
  }
  if (old && old->has_value()) {
    for (const auto& destination : (*old)->destinations) {
      JobKey key{destination, (*old)->arrival_seq};
      if (job(key)) {
        delete_job(key);
      }
    }
    drop_object(**old);
  }
  dedupe_in_order(record.destinations);
  put_meta(record);
  put_decisions(record);
  if (record.destinations.empty()) {
    return {};
  }
  auto instance = std::make_shared<const InstanceInfo>(InstanceInfo{
      .sop_instance_uid = record.sop_instance_uid,
      .sop_class_uid = record.sop_class_uid,
      .transfer_syntax_uid = record.transfer_syntax_uid,
      .study_instance_uid = record.study_instance_uid,
      .enqueued_at_ms = now_ms,
  });
  for (const auto& destination : record.destinations) {
    StoredJob fresh;
    fresh.instance = instance;
    put_job(JobKey{destination, record.arrival_seq}, std::move(fresh), JobIndex::Lease::Clear);
    ready_.insert(destination);
  }
  return {};
}

[[nodiscard]] Result<void> GroupBuilder::add_job_op(const JobOp& op) {
  auto current = job(op.key);
  if (!current) {
    // Completed already, superseded by a replace, or purged: the outcome has nothing to change,
    // and in particular must not touch a newer instance stored under the same UID.
    return {};
  }
  if (op.kind != JobOpKind::Complete) {
    StoredJob next = std::move(*current);
    ++next.attempts;
    next.last_error = op.error;
    if (op.kind == JobOpKind::RetryAt) {
      next.next_attempt_at_ms = op.next_attempt_at_ms;
    } else {
      next.dead = true;
    }
    put_job(op.key, std::move(next), JobIndex::Lease::Clear);
    outcomes_.push_back(op.key);
    return {};
  }
  const std::string& uid = current->instance->sop_instance_uid;
  auto record = meta(uid);
  if (!record) {
    return fail(std::move(record.error()));
  }
  delete_job(op.key);
  outcomes_.push_back(op.key);
  if (!record->has_value() || (*record)->arrival_seq != op.key.arrival_seq) {
    return {};
  }
  InstanceRecord updated = std::move(**record);
  std::erase(updated.destinations, op.key.destination);
  if (updated.destinations.empty()) {
    delete_instance(updated);
  } else {
    put_meta(updated);
  }
  return {};
}

uint64_t GroupBuilder::retry(const std::vector<JobKey>& keys, int64_t now_ms) {
  uint64_t changed = 0;
  for (const auto& key : keys) {
    auto current = job(key);
    if (!current || !retryable(*current, leased(key), now_ms)) {
      continue;
    }
    current->dead = false;
    current->attempts = 0;
    current->next_attempt_at_ms = 0;
    put_job(key, std::move(*current), JobIndex::Lease::Keep);
    ready_.insert(key.destination);
    ++changed;
  }
  return changed;
}

[[nodiscard]] Result<uint64_t> GroupBuilder::add_admin(const AdminOp& op, int64_t now_ms) {
  auto pred = [now_ms](const StoredJob& j, bool in_flight) {
    return retryable(j, in_flight, now_ms);
  };
  std::vector<JobKey> keys;
  switch (op.kind) {
    case AdminKind::Purge:
      return purge();
    case AdminKind::RetryDead: {
      std::lock_guard lock(index_mu_);
      keys = index_.select("", [](const StoredJob& j, bool) { return j.dead; });
      break;
    }
    case AdminKind::RetryDestination: {
      std::lock_guard lock(index_mu_);
      keys = index_.select(op.destination, pred);
      break;
    }
    case AdminKind::RetryInstances:
      for (const auto& uid : op.uids) {
        auto record = meta(uid);
        if (!record) {
          return fail(std::move(record.error()));
        }
        if (record->has_value()) {
          for (const auto& destination : (*record)->destinations) {
            keys.push_back(JobKey{destination, (*record)->arrival_seq});
          }
        }
      }
      std::sort(keys.begin(), keys.end());
      keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
      break;
  }
  return retry(keys, now_ms);
}

[[nodiscard]] Result<uint64_t> GroupBuilder::purge() {
  uint64_t instances = 0;
  std::vector<std::pair<Cf, std::string>> ranges;
  // studies and decisions too: an operator purge restarts from scratch, so later instances of a
  // purged study are decided afresh instead of following its old decision.
  for (Cf cf : {kMeta, kObject, kJobs, kStudies, kDecisions}) {
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db_.NewIterator(ro, handles_[cf]));
    if (cf == kMeta) {
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        ++instances;
        // A record that does not decode cannot name its segment range: that range stays counted
        // as live until the next start, which registers only what decodes.
        if (auto record = decode_record(it->value().ToStringView()); record && record->object) {
          released_.push_back(*record->object);
        }
      }
    }
    // Keys are arbitrary bytes, so no fixed key sorts after all of them: the range ends just
    // past the last key present. Nothing else writes these families while we run.
    it->SeekToLast();
    if (!it->status().ok()) {
      return fail(status_error(QueueErrc::read_failed, it->status(), "purge scan"));
    }
    if (it->Valid()) {
      ranges.emplace_back(cf, it->key().ToString() + '\0');
    }
  }
  for (const auto& [cf, end] : ranges) {
    if (status_.ok()) {
      status_ = batch_.DeleteRange(handles_[cf], rocksdb::Slice(), end);
    }
  }
  purged_ = true;
  return instances;
}

void GroupBuilder::put_counter(uint64_t last_seq) {
  auto counter = encode_u64_be(last_seq);
  if (status_.ok()) {
    status_ = batch_.Put(handles_[kSeq], as_slice(kArrivalSeqKey),
                         rocksdb::Slice(counter.data(), counter.size()));
  }
}

void GroupBuilder::apply(JobIndex& index) const {
  if (purged_) {
    index.clear();
  }
  for (const auto& [key, change] : changes_) {
    if (change.job) {
      index.upsert(key.destination, key.arrival_seq, *change.job, change.lease);
    } else {
      index.erase(key.destination, key.arrival_seq);
    }
  }
}

std::set<std::string> GroupBuilder::revert(JobIndex& index) const {
  std::set<std::string> ready;
  for (const auto& key : outcomes_) {
    if (index.release(key.destination, key.arrival_seq)) {
      ready.insert(key.destination);
    }
  }
  return ready;
}

}  // namespace acc::queue
