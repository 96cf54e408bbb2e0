// kill -9 of the store while it writes segments, seals them, deletes delivered instances and the
// segments they leave empty, and compacts sparse ones, round after round on the same directory
// (issue 11, item 7). After
// every kill the store reopens (recovery of what the previous recovery left), and then:
//   - every acknowledged instance whose delivery had not begun is there, byte for byte;
//   - whatever else is there (unacknowledged commits, deliveries not yet durable) reads intact
//     too: nothing corrupt is ever served;
//   - no segment file is left that no record points into.
// Rounds: ACC_SEGMENT_CRASH_ROUNDS (default 50, what CI runs: with the segment writer's 150 in
// segment_log_test, 200 kills across the segment paths; a soak sets more).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "queue/instance_store.hpp"
#include "store_test_support.hpp"

namespace acc::queue {
namespace {

using testing::child_report_fd;
using testing::ChildProcess;
using testing::make_payload;
using testing::options_for;
using testing::record_to;
using testing::ScratchDir;
using testing::wall_ms;

namespace fs = std::filesystem;

constexpr const char* kDirEnv = "ACC_SEGMENT_CRASH_DIR";
constexpr const char* kFirstEnv = "ACC_SEGMENT_CRASH_FIRST";

// `delivering` is reported before the completion is queued: once the PACS has the instance the
// store may delete it at any moment, so from then on it may be gone after a kill.
enum class Event : uint32_t { acknowledged = 1, delivering = 2 };
struct Report {
  Event event;
  uint64_t index;
};
static_assert(sizeof(Report) <= PIPE_BUF, "reports must be written atomically");

std::string uid_for(uint64_t index) {
  return "8.3." + std::to_string(index);
}
uint64_t index_of(const std::string& uid) {
  return std::stoull(uid.substr(4));
}
std::size_t size_for(uint64_t index) {
  return 1000 + (index * 7919) % (96u << 10);
}
// Every fifth instance also goes to ARCHIVE, which nobody delivers: those stay for good, so later
// rounds recover segments holding records from many rounds before.
std::vector<std::string> destinations_for(uint64_t index) {
  return index % 5 == 0 ? std::vector<std::string>{"PACS", "ARCHIVE"}
                        : std::vector<std::string>{"PACS"};
}
StoreOptions crash_options(const fs::path& dir) {
  StoreOptions o = options_for(dir);
  o.max_segment_bytes = 1u << 20;  // many seals and deletions per round
  // The child pauses every 25 ms: with 5 ms idle ticks the store releases, seals, flushes and
  // compacts its sparse segments (the ARCHIVE instances left behind) between bursts, so kills
  // also land in compaction.
  o.idle_tick = std::chrono::milliseconds(5);
  o.compact_min_segment_bytes = 256u << 10;
  return o;
}

// Runs only as the child of SegmentCrash: commits from two threads and delivers (completes)
// from a third, reporting each acknowledgement and each reported delivery.
TEST(SegmentCrashChild, DISABLED_CommitsAndDeliversUntilKilled) {
  const char* dir = ::getenv(kDirEnv);
  const char* first = ::getenv(kFirstEnv);
  const int fd = child_report_fd();
  if (dir == nullptr || first == nullptr || fd < 0) {
    GTEST_SKIP() << "helper process of SegmentCrash";
  }
  auto store = InstanceStore::open(crash_options(dir));
  if (!store) {
    std::_Exit(2);
  }
  auto report = [fd](Event event, uint64_t index) {
    const Report r{event, index};
    if (::write(fd, &r, sizeof r) != static_cast<ssize_t>(sizeof r)) {
      std::_Exit(4);
    }
  };
  std::atomic<uint64_t> next{std::stoull(first)};
  // Bursts of 25 ms, then 25 ms of nothing (all three threads): idle ticks for the store.
  const auto started = std::chrono::steady_clock::now();
  auto wait_for_burst = [started] {
    for (;;) {
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
      if ((ms / 25) % 2 == 0) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&] {
      for (;;) {
        wait_for_burst();
        const uint64_t i = next.fetch_add(1);
        if (!(*store)->commit(record_to(uid_for(i), destinations_for(i)),
                              make_payload(size_for(i), i))) {
          std::_Exit(3);
        }
        report(Event::acknowledged, i);
      }
    });
  }
  threads.emplace_back([&] {
    auto& q = (*store)->forward_queue();
    for (;;) {
      wait_for_burst();
      auto job = q.lease_next("PACS", wall_ms());
      if (!job) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      // Verified like a destination would before sending, then delivered.
      auto bytes = (*store)->read_object(job->sop_instance_uid);
      if (!bytes || !*bytes ||
          **bytes != make_payload(size_for(index_of(job->sop_instance_uid)),
                                  index_of(job->sop_instance_uid))) {
        std::_Exit(6);
      }
      report(Event::delivering, index_of(job->sop_instance_uid));
      q.complete(*job, [](Result<void> r) {
        if (!r) {
          std::_Exit(5);
        }
      });
    }
  });
  for (auto& t : threads) {
    t.join();
  }
}

TEST(SegmentCrash, KillNineAcrossSegmentWritesSealsAndDeletionsLosesNothingAcknowledged) {
  const char* rounds_text = ::getenv("ACC_SEGMENT_CRASH_ROUNDS");
  const int rounds = rounds_text != nullptr ? std::atoi(rounds_text) : 50;
  ScratchDir dir;
  std::mt19937 rng(20261205);
  std::set<uint64_t> owed;  // acknowledged, delivery not begun: must be there
  // The delivery of an instance can be reported before its acknowledgement: the writer thread
  // reports after commit() returned, while the deliverer may already have leased the job.
  std::set<uint64_t> delivered_early;
  std::size_t acknowledged = 0;
  std::size_t delivered = 0;
  // Bytes once read back intact stay so (what a kill can tear is only what was being written):
  // each record is compared once, which keeps the rounds cheap under sanitizers.
  std::set<uint64_t> verified;
  for (int round = 0; round < rounds; ++round) {
    ChildProcess child("SegmentCrashChild.DISABLED_CommitsAndDeliversUntilKilled",
                       {std::string(kDirEnv) + "=" + dir.store().string(),
                        std::string(kFirstEnv) + "=" + std::to_string(round * 1'000'000)});
    ASSERT_TRUE(child.started());
    // Odd rounds die early (often mid-open or mid-recovery), even rounds after some traffic.
    const std::size_t wait_for = round % 2 == 0 ? 5 + rng() % 60 : rng() % 3;
    auto take = [&](const Report& r) {
      if (r.event == Event::acknowledged) {
        if (delivered_early.erase(r.index) == 0) {
          owed.insert(r.index);
        }
        ++acknowledged;
      } else {
        if (destinations_for(r.index).size() == 1 && owed.erase(r.index) == 0) {
          delivered_early.insert(r.index);
        }
        ++delivered;
      }
    };
    Report report{};
    const std::size_t before = acknowledged;
    while (acknowledged - before < wait_for && child.read(report)) {
      take(report);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 20'000));
    const int status = child.kill_and_wait();
    while (child.read(report)) {  // written before it died: acknowledged all the same
      take(report);
    }
    ASSERT_TRUE(WIFSIGNALED(status))
        << "round " << round << ": child exited with status " << WEXITSTATUS(status);

    // The checking store must not change the directory while it is checked: no compaction.
    StoreOptions checking = crash_options(dir.store());
    checking.compact_min_segment_bytes = ~uint64_t{0};
    checking.idle_tick = std::chrono::milliseconds(1000);
    auto store = InstanceStore::open(checking);
    ASSERT_TRUE(store) << "round " << round << ": " << store.error().message();
    for (const uint64_t index : owed) {
      auto found = (*store)->find(uid_for(index));
      ASSERT_TRUE(found && *found) << "round " << round << ": acknowledged " << index << " lost";
    }
    auto all = (*store)->list();
    ASSERT_TRUE(all) << all.error().message();
    std::set<uint64_t> referenced;
    for (const auto& record : *all) {
      const uint64_t index = index_of(record.sop_instance_uid);
      if (record.object) {
        referenced.insert(record.object->segment);
      }
      if (!verified.insert(index).second) {
        continue;
      }
      auto bytes = (*store)->read_object(record.sop_instance_uid);
      ASSERT_TRUE(bytes && *bytes)
          << "round " << round << ": " << index
          << " unreadable: " << (bytes ? "absent" : bytes.error().message());
      ASSERT_TRUE(**bytes == make_payload(size_for(index), index))
          << "round " << round << ": " << index << " served corrupt";
    }
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir.store() / "segments", ec)) {
      const auto name = entry.path().filename().string();
      const uint64_t id = std::stoull(name.substr(4, 16), nullptr, 16);
      EXPECT_TRUE(referenced.contains(id)) << "round " << round << ": " << name << " left over";
    }
  }
  EXPECT_GE(acknowledged, static_cast<std::size_t>(rounds)) << "the children got nowhere";
  std::printf(
      "[ info     ] %d rounds: %zu acknowledged, %zu deliveries begun, %zu owed at "
      "the end\n",
      rounds, acknowledged, delivered, owed.size());
}

}  // namespace
}  // namespace acc::queue
