// Model-based test: random commits, leases, outcomes, admin operations and restarts against a
// plain std::map model, comparing jobs() and stats() after every step. Fixed seed: a failure
// reproduces exactly; the failing step number and op are in the assertion message.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "queue/forward_queue.hpp"
#include "queue/instance_store.hpp"
#include "store_test_support.hpp"

namespace acc::queue {
namespace {

using testing::make_payload;
using testing::options_for;
using testing::record_to;
using testing::ScratchDir;
using testing::wall_ms;

constexpr uint64_t kSeed = 0x5EED'F0D0;
constexpr int kSteps = 2000;
const std::vector<std::string> kDestinations = {"A", "B", "C"};

class Model {
 public:
  using Key = std::pair<std::string, uint64_t>;

  std::map<Key, Job> jobs;
  // uid -> (arrival_seq, destinations not yet delivered)
  std::map<std::string, std::pair<uint64_t, std::vector<std::string>>> instances;
  std::vector<Job> gone;  // jobs that no longer exist: their late outcomes must be no-ops

  void commit(const InstanceRecord& r, uint64_t seq, const std::vector<Job>& actual) {
    if (auto it = instances.find(r.sop_instance_uid); it != instances.end()) {
      for (const auto& d : it->second.second) {
        remove({d, it->second.first});
      }
    }
    instances[r.sop_instance_uid] = {seq, r.destinations};
    for (const auto& d : r.destinations) {
      Job job;
      job.destination = d;
      job.arrival_seq = seq;
      job.sop_instance_uid = r.sop_instance_uid;
      job.sop_class_uid = r.sop_class_uid;
      job.transfer_syntax_uid = r.transfer_syntax_uid;
      job.study_instance_uid = r.study_instance_uid;
      // The commit time is the store's to choose; take it from what the store reports.
      for (const Job& a : actual) {
        if (a.destination == d && a.arrival_seq == seq) {
          job.enqueued_at_ms = a.enqueued_at_ms;
        }
      }
      jobs[{d, seq}] = job;
    }
  }

  std::optional<Job> lease(const std::string& d, int64_t now) {
    for (auto& [key, job] : jobs) {
      if (key.first == d && job.state == JobState::Pending && job.next_attempt_at_ms <= now) {
        job.state = JobState::InFlight;
        return job;
      }
    }
    return std::nullopt;
  }

  void complete(const Key& key) {
    if (jobs.count(key) == 0) {
      return;
    }
    const std::string uid = jobs[key].sop_instance_uid;
    remove(key);
    auto& [seq, remaining] = instances.at(uid);
    std::erase(remaining, key.first);
    if (remaining.empty()) {
      instances.erase(uid);
    }
  }

  uint64_t retry(const std::function<bool(const Job&)>& selected, int64_t now) {
    uint64_t n = 0;
    for (auto& [key, job] : jobs) {
      const bool waiting = job.state == JobState::Pending && job.next_attempt_at_ms > now;
      if (selected(job) && (job.state == JobState::Dead || waiting)) {
        job.state = JobState::Pending;
        job.attempts = 0;
        job.next_attempt_at_ms = 0;
        ++n;
      }
    }
    return n;
  }

  void restart() {
    for (auto& [key, job] : jobs) {
      if (job.state == JobState::InFlight) {
        job.state = JobState::Pending;
      }
    }
  }

  void purge() {
    for (const auto& [key, job] : jobs) {
      gone.push_back(job);
    }
    jobs.clear();
    instances.clear();
  }

  std::vector<Job> in_flight() const {
    std::vector<Job> out;
    for (const auto& [key, job] : jobs) {
      if (job.state == JobState::InFlight) {
        out.push_back(job);
      }
    }
    return out;
  }

  std::vector<Job> all() const {
    std::vector<Job> out;
    for (const auto& [key, job] : jobs) {
      out.push_back(job);
    }
    return out;
  }

  std::vector<DestinationStats> stats(int64_t now) const {
    std::map<std::string, DestinationStats> by;
    for (const auto& [key, job] : jobs) {
      auto& s = by[key.first];
      s.destination = key.first;
      if (job.state == JobState::Dead) {
        ++s.dead;
        continue;
      }
      if (job.state == JobState::InFlight) {
        ++s.in_flight;
      } else {
        ++s.pending;
        s.waiting_retry += job.next_attempt_at_ms > now ? 1 : 0;
      }
      if (s.oldest_enqueued_at_ms == 0 || job.enqueued_at_ms < s.oldest_enqueued_at_ms) {
        s.oldest_enqueued_at_ms = job.enqueued_at_ms;
      }
    }
    std::vector<DestinationStats> out;
    for (auto& [name, s] : by) {
      out.push_back(s);
    }
    return out;
  }

 private:
  void remove(const Key& key) {
    if (auto it = jobs.find(key); it != jobs.end()) {
      gone.push_back(it->second);
      jobs.erase(it);
    }
  }
};

bool same_stats(const std::vector<DestinationStats>& a, const std::vector<DestinationStats>& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].destination != b[i].destination || a[i].pending != b[i].pending ||
        a[i].in_flight != b[i].in_flight || a[i].dead != b[i].dead ||
        a[i].waiting_retry != b[i].waiting_retry ||
        a[i].oldest_enqueued_at_ms != b[i].oldest_enqueued_at_ms) {
      return false;
    }
  }
  return true;
}

class Harness {
 public:
  explicit Harness(const std::filesystem::path& path) : path_(path) { reopen(); }

  void reopen() {
    if (store_) {
      store_->close();
      store_.reset();
    }
    StoreOptions options = options_for(path_);
    options.sync = false;
    auto store = InstanceStore::open(options);
    ASSERT_TRUE(store.has_value()) << store.error().message();
    store_ = std::move(*store);
  }

  InstanceStore& store() { return *store_; }
  ForwardQueue& q() { return store_->forward_queue(); }

 private:
  std::filesystem::path path_;
  std::unique_ptr<InstanceStore> store_;
};

TEST(ForwardQueueModel, RandomOperationsIncludingRestartsMatchTheModel) {
  ScratchDir dir;
  Harness h(dir.store());
  Model model;
  std::mt19937_64 rng(kSeed);
  auto pick = [&rng](std::size_t n) {
    return static_cast<std::size_t>(std::uniform_int_distribution<std::size_t>(0, n - 1)(rng));
  };
  // Due times are an hour away or already past, so wall-clock progress during the test cannot
  // move a job between "waiting" and "due".
  const int64_t t0 = wall_ms();
  auto due_time = [&] { return pick(2) == 0 ? t0 - 1000 : t0 + 3'600'000; };
  std::map<std::string, int> op_counts;

  for (int step = 0; step < kSteps; ++step) {
    const std::size_t roll = pick(200);
    std::string op;
    auto in_flight = model.in_flight();
    if (roll < 55) {
      op = "commit";
      std::vector<std::string> dests;
      for (const auto& d : kDestinations) {
        if (pick(3) != 0) {
          dests.push_back(d);
        }
      }
      auto record = record_to("m." + std::to_string(pick(25)), dests);
      auto seq = h.store().commit(record, make_payload(1 + pick(64), step));
      ASSERT_TRUE(seq.has_value()) << step << ": " << seq.error().message();
      auto actual = h.q().jobs("");
      ASSERT_TRUE(actual.has_value());
      model.commit(record, *seq, *actual);
    } else if (roll < 110) {
      op = "lease";
      const std::string& d = kDestinations[pick(kDestinations.size())];
      const int64_t now = pick(4) == 0 ? t0 + 3'600'001 : t0;
      auto expected = model.lease(d, now);
      auto leased = h.q().lease_next(d, now);
      ASSERT_EQ(leased, expected) << "step " << step;
    } else if (roll < 140) {
      op = "complete";
      Job job;
      if (!in_flight.empty() && pick(5) != 0) {
        job = in_flight[pick(in_flight.size())];
      } else if (!model.gone.empty()) {
        job = model.gone[pick(model.gone.size())];
        op = "complete-stale";
      } else {
        continue;
      }
      ASSERT_TRUE(testing::complete(h.q(), job).has_value()) << step;
      model.complete({job.destination, job.arrival_seq});
    } else if (roll < 158) {
      if (in_flight.empty()) {
        continue;
      }
      op = "retry_at";
      Job job = in_flight[pick(in_flight.size())];
      const int64_t at = due_time();
      const std::string error = "e" + std::to_string(step);
      ASSERT_TRUE(testing::retry_at(h.q(), job, at, error).has_value()) << step;
      Job& m = model.jobs.at({job.destination, job.arrival_seq});
      m.state = JobState::Pending;
      ++m.attempts;
      m.next_attempt_at_ms = at;
      m.last_error = error;
    } else if (roll < 166) {
      if (in_flight.empty()) {
        continue;
      }
      op = "dead_letter";
      Job job = in_flight[pick(in_flight.size())];
      const std::string reason = "r" + std::to_string(step);
      ASSERT_TRUE(testing::dead_letter(h.q(), job, reason).has_value()) << step;
      Job& m = model.jobs.at({job.destination, job.arrival_seq});
      m.state = JobState::Dead;
      ++m.attempts;
      m.last_error = reason;
    } else if (roll < 174) {
      if (in_flight.empty()) {
        continue;
      }
      op = "release";
      Job job = in_flight[pick(in_flight.size())];
      h.q().release(job);
      model.jobs.at({job.destination, job.arrival_seq}).state = JobState::Pending;
    } else if (roll < 178) {
      op = "retry_dead";
      auto n = h.q().retry_dead();
      ASSERT_TRUE(n.has_value());
      // Only dead ones: waiting jobs are left alone by retry_dead.
      uint64_t expected =
          model.retry([](const Job& j) { return j.state == JobState::Dead; }, wall_ms());
      ASSERT_EQ(*n, expected) << step;
    } else if (roll < 185) {
      op = "retry_destination";
      const std::string& d = kDestinations[pick(kDestinations.size())];
      auto n = h.q().retry_destination(d);
      ASSERT_TRUE(n.has_value());
      ASSERT_EQ(*n, model.retry([&](const Job& j) { return j.destination == d; }, wall_ms()))
          << step;
    } else if (roll < 192) {
      op = "retry_instances";
      std::vector<std::string> uids = {"m." + std::to_string(pick(25)),
                                       "m." + std::to_string(pick(25))};
      auto n = h.q().retry_instances(uids);
      ASSERT_TRUE(n.has_value());
      auto selected = [&](const Job& j) {
        return std::find(uids.begin(), uids.end(), j.sop_instance_uid) != uids.end();
      };
      ASSERT_EQ(*n, model.retry(selected, wall_ms())) << step;
    } else if (roll < 199) {
      op = "reopen";
      h.reopen();
      model.restart();
    } else {
      op = "purge";
      auto n = h.q().purge();
      ASSERT_TRUE(n.has_value());
      ASSERT_EQ(*n, model.instances.size()) << step;
      model.purge();
    }
    ++op_counts[op];

    auto jobs = h.q().jobs("");
    ASSERT_TRUE(jobs.has_value());
    ASSERT_EQ(*jobs, model.all()) << "after step " << step << " (" << op << ")";
    auto stats = h.q().stats();
    ASSERT_TRUE(stats.has_value());
    ASSERT_TRUE(same_stats(*stats, model.stats(wall_ms())))
        << "after step " << step << " (" << op << ")";
    for (std::size_t d = 0; d < kDestinations.size(); ++d) {
      std::optional<int64_t> due;
      for (const auto& [key, job] : model.jobs) {
        if (key.first == kDestinations[d] && job.state == JobState::Pending) {
          due = due ? std::min(*due, job.next_attempt_at_ms) : job.next_attempt_at_ms;
        }
      }
      ASSERT_EQ(h.q().next_due_ms(kDestinations[d]), due) << "after step " << step;
    }
    if (step % 50 == 0 || op == "complete" || op == "purge") {
      auto list = h.store().list();
      ASSERT_TRUE(list.has_value());
      ASSERT_EQ(list->size(), model.instances.size()) << "after step " << step;
      for (const auto& r : *list) {
        auto it = model.instances.find(r.sop_instance_uid);
        ASSERT_NE(it, model.instances.end()) << r.sop_instance_uid;
        EXPECT_EQ(r.arrival_seq, it->second.first);
        EXPECT_EQ(r.destinations, it->second.second) << r.sop_instance_uid;
        EXPECT_TRUE(h.store().read_object(r.sop_instance_uid)->has_value());
      }
    }
  }

  // The reader agrees with the primary, leases aside.
  auto reader = InstanceStore::open_reader(dir.store());
  ASSERT_TRUE(reader.has_value()) << reader.error().message();
  model.restart();
  auto seen = (*reader)->forward_queue().jobs("");
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(*seen, model.all());
  for (const auto& [name, count] : op_counts) {
    RecordProperty(name, count);
  }
  EXPECT_GE(op_counts["reopen"], 10);
  EXPECT_GE(op_counts["complete"], 100);
  EXPECT_GE(op_counts["purge"], 1);
}

}  // namespace
}  // namespace acc::queue
