// Kill -9 during synced commits: every acknowledged instance must survive, intact, with its
// delivery jobs and decisions; and jobs, decisions and meta records must agree, although job
// completions (unsynced) were running at the same time.
//
// The child is this test binary re-executed (child_process.hpp).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "queue/instance_store.hpp"
#include "store_test_support.hpp"

namespace acc::queue {
namespace {

using testing::ChildProcess;
using testing::make_payload;
using testing::make_record;
using testing::options_for;
using testing::record_to;
using testing::ScratchDir;
using testing::wall_ms;

constexpr const char* kDirEnv = "ACC_QUEUE_CRASH_DIR";
constexpr int kWriters = 4;
const std::vector<std::string> kDestinations = {"AI", "PACS"};  // only AI jobs get completed

struct Ack {
  uint64_t index;
  uint64_t arrival_seq;
};
static_assert(sizeof(Ack) <= PIPE_BUF, "acks must be written atomically");

std::string uid_for(uint64_t index) {
  return "8.1." + std::to_string(index);
}
std::size_t size_for(uint64_t index) {
  return (64u << 10) + (index * 4099) % (64u << 10);
}
std::string study_for(uint64_t index) {
  return "9." + std::to_string(index % 8);
}
std::string decision_for(const std::string& uid) {
  return R"({"uid":")" + uid + R"("})";
}

InstanceRecord decided_record(uint64_t index) {
  InstanceRecord r = record_to(uid_for(index), kDestinations);
  r.study_instance_uid = study_for(index);
  r.decision_json = decision_for(r.sop_instance_uid);
  r.study_decision_json = r.decision_json;
  return r;
}

// Runs only when the crash test executes this binary as its child.
TEST(InstanceStoreCrashChild, DISABLED_CommitsUntilKilled) {
  const char* dir = ::getenv(kDirEnv);
  const int fd = testing::child_report_fd();
  if (dir == nullptr || fd < 0) {
    GTEST_SKIP() << "helper process of InstanceStoreCrash";
  }
  auto store = InstanceStore::open(options_for(dir));
  ASSERT_TRUE(store.has_value()) << store.error().message();
  std::atomic<uint64_t> next{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&] {
      for (;;) {
        uint64_t i = next.fetch_add(1);
        auto seq = (*store)->commit(decided_record(i), make_payload(size_for(i), i));
        if (!seq) {
          std::_Exit(3);
        }
        Ack ack{i, *seq};
        if (::write(fd, &ack, sizeof ack) != static_cast<ssize_t>(sizeof ack)) {
          std::_Exit(4);
        }
      }
    });
  }
  // Completes AI jobs as fast as they come, so unsynced job updates are in the WAL when the
  // kill lands.
  writers.emplace_back([&] {
    auto& q = (*store)->forward_queue();
    for (;;) {
      if (auto job = q.lease_next("AI", wall_ms())) {
        q.complete(*job, [](Result<void> r) {
          if (!r) {
            std::_Exit(5);
          }
        });
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
  });
  for (auto& t : writers) {
    t.join();
  }
}

TEST(InstanceStoreCrash, EveryAcknowledgedInstanceSurvivesSigkill) {
  ScratchDir dir;
  ChildProcess child("InstanceStoreCrashChild.DISABLED_CommitsUntilKilled",
                     {std::string(kDirEnv) + "=" + dir.store().string()});
  ASSERT_TRUE(child.started());

  // Kill while commits are in flight: after enough acks, the writers are mid-stream.
  constexpr std::size_t kKillAfter = 120;
  std::vector<Ack> acks;
  Ack ack{};
  while (acks.size() < kKillAfter && child.read(ack)) {
    acks.push_back(ack);
  }
  const int status = child.kill_and_wait();
  // Acks the child wrote before dying count as acknowledged too.
  while (child.read(ack)) {
    acks.push_back(ack);
  }
  ASSERT_GE(acks.size(), kKillAfter) << "child exited early, status " << status;
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;

  auto store = InstanceStore::open(options_for(dir.store()));
  ASSERT_TRUE(store.has_value()) << store.error().message();
  uint64_t max_seq = 0;
  for (const Ack& a : acks) {
    auto found = (*store)->find(uid_for(a.index));
    ASSERT_TRUE(found.has_value()) << found.error().message();
    ASSERT_TRUE(found->has_value()) << "acknowledged instance " << a.index << " lost";
    EXPECT_EQ((*found)->arrival_seq, a.arrival_seq);
    EXPECT_EQ((*found)->size_bytes, size_for(a.index));
    auto bytes = (*store)->read_object(uid_for(a.index));
    ASSERT_TRUE(bytes.has_value() && bytes->has_value());
    EXPECT_TRUE(**bytes == make_payload(size_for(a.index), a.index)) << "instance " << a.index;
    max_seq = std::max(max_seq, a.arrival_seq);
  }
  // Jobs and meta records agree: each job's instance exists under that arrival_seq and lists
  // the destination, and each listed destination has its job.
  auto jobs = (*store)->forward_queue().jobs("");
  ASSERT_TRUE(jobs.has_value()) << jobs.error().message();
  std::map<uint64_t, std::set<std::string>> job_destinations;
  for (const Job& job : *jobs) {
    EXPECT_EQ(job.state, JobState::Pending);
    job_destinations[job.arrival_seq].insert(job.destination);
  }
  for (const Ack& a : acks) {
    EXPECT_TRUE(job_destinations[a.arrival_seq].contains("PACS")) << "instance " << a.index;
  }
  // Unacknowledged commits may or may not be there, but whatever is there decodes.
  auto all = (*store)->list();
  ASSERT_TRUE(all.has_value()) << all.error().message();
  EXPECT_GE(all->size(), acks.size());
  std::size_t ai_done = 0;
  for (const auto& record : *all) {
    std::set<std::string> listed(record.destinations.begin(), record.destinations.end());
    EXPECT_EQ(listed, job_destinations[record.arrival_seq]) << record.sop_instance_uid;
    job_destinations.erase(record.arrival_seq);
    ai_done += listed.contains("AI") ? 0 : 1;
  }
  EXPECT_TRUE(job_destinations.empty()) << "jobs without an instance";
  // Decisions went into the instances' batches: the log holds exactly the stored instances' (none
  // is delivered to PACS, so none was deleted), in arrival order, acknowledged ones included;
  // each study's decision is that of its latest stored instance.
  std::vector<std::string> expected;
  std::map<std::string, std::string> latest;
  for (const auto& record : *all) {
    expected.push_back(decision_for(record.sop_instance_uid));
    latest[record.study_instance_uid] = expected.back();
  }
  auto decisions = (*store)->decisions("");
  ASSERT_TRUE(decisions.has_value()) << decisions.error().message();
  EXPECT_EQ(*decisions, expected);
  std::set<std::string> logged(decisions->begin(), decisions->end());
  for (const Ack& a : acks) {
    EXPECT_TRUE(logged.contains(decision_for(uid_for(a.index)))) << "instance " << a.index;
  }
  auto studies = (*store)->study_decisions();
  ASSERT_TRUE(studies.has_value()) << studies.error().message();
  const std::map<std::string, std::string> stored(studies->begin(), studies->end());
  EXPECT_EQ(stored, latest);
  auto seq = (*store)->commit(make_record("8.2.0"), make_payload(10, 0));
  ASSERT_TRUE(seq.has_value());
  EXPECT_GT(*seq, all->back().arrival_seq);
  EXPECT_GT(*seq, max_seq);
  std::printf("[ info     ] %zu acknowledged, %zu present after SIGKILL, %zu AI jobs done\n",
              acks.size(), all->size(), ai_done);
}

}  // namespace
}  // namespace acc::queue
