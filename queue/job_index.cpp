#include "queue/job_index.hpp"

#include <algorithm>

namespace acc::queue {

JobValue to_value(const StoredJob& job) {
  JobValue v;
  v.attempts = job.attempts;
  v.next_attempt_at_ms = job.next_attempt_at_ms;
  v.dead = job.dead;
  v.last_error = job.last_error;
  if (job.instance) {
    v.enqueued_at_ms = job.instance->enqueued_at_ms;
    v.sop_instance_uid = job.instance->sop_instance_uid;
    v.sop_class_uid = job.instance->sop_class_uid;
    v.transfer_syntax_uid = job.instance->transfer_syntax_uid;
    v.study_instance_uid = job.instance->study_instance_uid;
  }
  return v;
}

StoredJob from_value(const JobValue& value, std::shared_ptr<const InstanceInfo> instance) {
  StoredJob job;
  job.instance = std::move(instance);
  job.attempts = value.attempts;
  job.next_attempt_at_ms = value.next_attempt_at_ms;
  job.last_error = value.last_error;
  job.dead = value.dead;
  return job;
}

std::shared_ptr<const InstanceInfo> instance_of(const JobValue& value) {
  return std::make_shared<const InstanceInfo>(InstanceInfo{
      .sop_instance_uid = value.sop_instance_uid,
      .sop_class_uid = value.sop_class_uid,
      .transfer_syntax_uid = value.transfer_syntax_uid,
      .study_instance_uid = value.study_instance_uid,
      .enqueued_at_ms = value.enqueued_at_ms,
  });
}

Job make_job(const JobKey& key, const JobValue& value, JobState state) {
  Job job;
  job.destination = key.destination;
  job.arrival_seq = key.arrival_seq;
  job.sop_instance_uid = value.sop_instance_uid;
  job.sop_class_uid = value.sop_class_uid;
  job.transfer_syntax_uid = value.transfer_syntax_uid;
  job.study_instance_uid = value.study_instance_uid;
  job.state = state;
  job.attempts = value.attempts;
  job.enqueued_at_ms = value.enqueued_at_ms;
  job.next_attempt_at_ms = value.next_attempt_at_ms;
  job.last_error = value.last_error;
  return job;
}

void StatsBuilder::add(const std::string& destination, JobState state, int64_t next_attempt_at_ms,
                       int64_t enqueued_at_ms) {
  auto it = by_destination_.find(destination);
  if (it == by_destination_.end()) {
    it = by_destination_.emplace(destination, DestinationStats{.destination = destination}).first;
  }
  DestinationStats& s = it->second;
  switch (state) {
    case JobState::Pending:
      ++s.pending;
      if (next_attempt_at_ms > now_ms_) {
        ++s.waiting_retry;
      }
      break;
    case JobState::InFlight:
      ++s.in_flight;
      break;
    case JobState::Dead:
      ++s.dead;
      return;  // dead jobs are not part of the backlog's age
  }
  if (s.oldest_enqueued_at_ms == 0 || enqueued_at_ms < s.oldest_enqueued_at_ms) {
    s.oldest_enqueued_at_ms = enqueued_at_ms;
  }
}

std::vector<DestinationStats> StatsBuilder::finish() && {
  std::vector<DestinationStats> out;
  out.reserve(by_destination_.size());
  for (auto& [name, s] : by_destination_) {
    out.push_back(std::move(s));
  }
  return out;
}

void JobIndex::place(Destination& d, uint64_t seq, Entry& e) {
  if (e.job.dead) {
    e.slot = Slot::Dead;
  } else if (e.job.next_attempt_at_ms == 0) {
    e.slot = Slot::Ready;
    d.ready.insert(seq);
  } else {
    e.slot = Slot::Waiting;
    d.waiting.emplace(e.job.next_attempt_at_ms, seq);
  }
}

void JobIndex::unplace(Destination& d, uint64_t seq, const Entry& e) {
  switch (e.slot) {
    case Slot::Ready:
      d.ready.erase(seq);
      d.ready_due.erase({e.job.next_attempt_at_ms, seq});
      break;
    case Slot::Waiting:
      d.waiting.erase({e.job.next_attempt_at_ms, seq});
      break;
    case Slot::InFlight:
    case Slot::Dead:
      break;
  }
}

void JobIndex::promote_due(Destination& d, int64_t now_ms) {
  // A caller with an earlier clock than the previous one (two workers, a clock step) must not
  // get a job that is not due for it: such jobs go back to waiting first.
  while (!d.ready_due.empty() && d.ready_due.rbegin()->first > now_ms) {
    Due due = *d.ready_due.rbegin();
    d.ready_due.erase(due);
    d.ready.erase(due.second);
    d.waiting.insert(due);
    d.jobs.at(due.second).slot = Slot::Waiting;
  }
  while (!d.waiting.empty() && d.waiting.begin()->first <= now_ms) {
    Due due = *d.waiting.begin();
    d.waiting.erase(d.waiting.begin());
    d.ready.insert(due.second);
    d.ready_due.insert(due);
    d.jobs.at(due.second).slot = Slot::Ready;
  }
}

JobState JobIndex::state_of(Slot slot) {
  switch (slot) {
    case Slot::InFlight:
      return JobState::InFlight;
    case Slot::Dead:
      return JobState::Dead;
    case Slot::Ready:
    case Slot::Waiting:
      break;
  }
  return JobState::Pending;
}

Job JobIndex::to_job(const std::string& destination, uint64_t seq, const Entry& e) {
  return make_job(JobKey{destination, seq}, to_value(e.job), state_of(e.slot));
}

void JobIndex::upsert(const std::string& destination, uint64_t seq, StoredJob job, Lease lease) {
  auto dit = destinations_.find(destination);
  if (dit == destinations_.end()) {
    dit = destinations_.emplace(destination, Destination{}).first;
  }
  Destination& d = dit->second;
  auto [it, inserted] = d.jobs.try_emplace(seq);
  Entry& e = it->second;
  if (!inserted) {
    unplace(d, seq, e);
  }
  const bool keep_in_flight = !inserted && e.slot == Slot::InFlight && lease == Lease::Keep;
  e.job = std::move(job);
  if (keep_in_flight) {
    return;
  }
  place(d, seq, e);
}

void JobIndex::erase(std::string_view destination, uint64_t seq) {
  auto dit = destinations_.find(destination);
  if (dit == destinations_.end()) {
    return;
  }
  Destination& d = dit->second;
  auto it = d.jobs.find(seq);
  if (it == d.jobs.end()) {
    return;
  }
  unplace(d, seq, it->second);
  d.jobs.erase(it);
  if (d.jobs.empty()) {
    destinations_.erase(dit);
  }
}

const StoredJob* JobIndex::find(std::string_view destination, uint64_t seq) const {
  auto dit = destinations_.find(destination);
  if (dit == destinations_.end()) {
    return nullptr;
  }
  auto it = dit->second.jobs.find(seq);
  return it == dit->second.jobs.end() ? nullptr : &it->second.job;
}

bool JobIndex::in_flight(std::string_view destination, uint64_t seq) const {
  auto dit = destinations_.find(destination);
  if (dit == destinations_.end()) {
    return false;
  }
  auto it = dit->second.jobs.find(seq);
  return it != dit->second.jobs.end() && it->second.slot == Slot::InFlight;
}

std::optional<Job> JobIndex::lease(std::string_view destination, int64_t now_ms) {
  auto dit = destinations_.find(destination);
  if (dit == destinations_.end()) {
    return std::nullopt;
  }
  Destination& d = dit->second;
  promote_due(d, now_ms);
  if (d.ready.empty()) {
    return std::nullopt;
  }
  const uint64_t seq = *d.ready.begin();
  Entry& e = d.jobs.at(seq);
  unplace(d, seq, e);
  e.slot = Slot::InFlight;
  return to_job(dit->first, seq, e);
}

bool JobIndex::release(std::string_view destination, uint64_t seq) {
  auto dit = destinations_.find(destination);
  if (dit == destinations_.end()) {
    return false;
  }
  auto it = dit->second.jobs.find(seq);
  if (it == dit->second.jobs.end() || it->second.slot != Slot::InFlight) {
    return false;
  }
  place(dit->second, seq, it->second);
  return it->second.slot != Slot::Dead;
}

std::optional<int64_t> JobIndex::next_due(std::string_view destination) const {
  auto dit = destinations_.find(destination);
  if (dit == destinations_.end()) {
    return std::nullopt;
  }
  const Destination& d = dit->second;
  std::optional<int64_t> due;
  auto consider = [&due](int64_t t) { due = due ? std::min(*due, t) : t; };
  if (d.ready.size() > d.ready_due.size()) {
    consider(0);
  }
  if (!d.ready_due.empty()) {
    consider(d.ready_due.begin()->first);
  }
  if (!d.waiting.empty()) {
    consider(d.waiting.begin()->first);
  }
  return due;
}

std::vector<Job> JobIndex::jobs(std::string_view destination) const {
  std::vector<Job> out;
  auto add_destination = [&out](const std::string& name, const Destination& d) {
    for (const auto& [seq, e] : d.jobs) {
      out.push_back(to_job(name, seq, e));
    }
  };
  if (destination.empty()) {
    for (const auto& [name, d] : destinations_) {
      add_destination(name, d);
    }
  } else if (auto dit = destinations_.find(destination); dit != destinations_.end()) {
    add_destination(dit->first, dit->second);
  }
  return out;
}

std::vector<DestinationStats> JobIndex::stats(int64_t now_ms) const {
  StatsBuilder builder(now_ms);
  for (const auto& [name, d] : destinations_) {
    for (const auto& [seq, e] : d.jobs) {
      builder.add(name, state_of(e.slot), e.job.next_attempt_at_ms, e.job.instance->enqueued_at_ms);
    }
  }
  return std::move(builder).finish();
}

std::vector<JobKey> JobIndex::select(
    std::string_view destination,
    const std::function<bool(const StoredJob&, bool in_flight)>& pred) const {
  std::vector<JobKey> out;
  for (const auto& [name, d] : destinations_) {
    if (!destination.empty() && name != destination) {
      continue;
    }
    for (const auto& [seq, e] : d.jobs) {
      if (pred(e.job, e.slot == Slot::InFlight)) {
        out.push_back(JobKey{name, seq});
      }
    }
  }
  return out;
}

std::size_t JobIndex::size() const {
  std::size_t n = 0;
  for (const auto& [name, d] : destinations_) {
    n += d.jobs.size();
  }
  return n;
}

}  // namespace acc::queue
