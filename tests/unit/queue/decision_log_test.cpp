// Study decisions and the decision audit log (issue 4): written in the instance's WriteBatch,
// kept out of the meta record, readable from the primary and the reader, cleared by purge.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "queue/instance_store.hpp"
#include "queue/record_codec.hpp"
#include "store_test_support.hpp"

namespace acc::queue {
namespace {

using testing::complete;
using testing::make_payload;
using testing::make_record;
using testing::options_for;
using testing::record_to;
using testing::ScratchDir;
using testing::wall_ms;

using StudyDecisions = std::vector<std::pair<std::string, std::string>>;
using Strings = std::vector<std::string>;

// Durability is the crash test's subject, not these.
std::unique_ptr<InstanceStore> open_or_die(const std::filesystem::path& path) {
  return testing::open_or_die(path, /*sync=*/false);
}

InstanceRecord decided(const std::string& uid, const std::string& study, std::string decision,
                       std::string study_decision = {}, std::vector<std::string> dests = {}) {
  InstanceRecord r = record_to(uid, std::move(dests));
  r.study_instance_uid = study;
  r.decision_json = std::move(decision);
  r.study_decision_json = std::move(study_decision);
  return r;
}

uint64_t commit_or_die(InstanceStore& store, InstanceRecord record) {
  auto seq = store.commit(std::move(record), make_payload(100, 3));
  EXPECT_TRUE(seq.has_value()) << seq.error().message();
  return seq.value_or(0);
}

Strings decisions_of(const InstanceStore& store, std::string_view study = {}) {
  auto d = store.decisions(study);
  EXPECT_TRUE(d.has_value()) << d.error().message();
  return d.value_or(Strings{});
}

StudyDecisions studies_of(const InstanceStore& store) {
  auto s = store.study_decisions();
  EXPECT_TRUE(s.has_value()) << s.error().message();
  return s.value_or(StudyDecisions{});
}

std::optional<std::string> study_of(const InstanceStore& store, std::string_view study) {
  auto s = store.study_decision(study);
  EXPECT_TRUE(s.has_value()) << s.error().message();
  return s.value_or(std::nullopt);
}

TEST(DecisionLog, StudyDecisionAndLogEntryAreStoredWithTheInstanceAndSurviveReopen) {
  ScratchDir dir;
  {
    auto store = open_or_die(dir.store());
    ASSERT_TRUE(store);
    commit_or_die(*store, decided("1.1", "9.1", R"({"acc":"A1","why":"match"})", R"({"acc":"A1"})",
                                  {"PACS"}));
    EXPECT_EQ(study_of(*store, "9.1"), R"({"acc":"A1"})");
  }
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  EXPECT_EQ(study_of(*store, "9.1"), R"({"acc":"A1"})");
  EXPECT_EQ(study_of(*store, "9.2"), std::nullopt);
  EXPECT_EQ(studies_of(*store), (StudyDecisions{{"9.1", R"({"acc":"A1"})"}}));
  EXPECT_EQ(decisions_of(*store), Strings{R"({"acc":"A1","why":"match"})"});
  // The meta record does not carry the strings: they live in their own families.
  auto found = store->find("1.1");
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_TRUE((*found)->decision_json.empty());
  EXPECT_TRUE((*found)->study_decision_json.empty());
  EXPECT_EQ((*found)->destinations, Strings{"PACS"});
  auto all = store->list();
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_TRUE((*all)[0].decision_json.empty());
  EXPECT_TRUE((*all)[0].study_decision_json.empty());
}

TEST(DecisionLog, LaterCommitOverwritesTheStudyDecisionButBothStayInTheLog) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  commit_or_die(*store, decided("2.1", "9.1", "d1", "s1"));
  commit_or_die(*store, decided("2.2", "9.1", "d2", "s2"));
  // An instance that only follows the stored decision leaves it in place.
  commit_or_die(*store, decided("2.3", "9.1", "d3"));
  EXPECT_EQ(study_of(*store, "9.1"), "s2");
  EXPECT_EQ(studies_of(*store), (StudyDecisions{{"9.1", "s2"}}));
  EXPECT_EQ(decisions_of(*store, "9.1"), (Strings{"d1", "d2", "d3"}));
}

TEST(DecisionLog, EmptyStringsWriteNothing) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  commit_or_die(*store, decided("3.1", "9.1", ""));
  // A study decision needs a study to be keyed by.
  commit_or_die(*store, decided("3.2", "", "", "orphan"));
  ASSERT_EQ(store->list()->size(), 2u);
  EXPECT_TRUE(studies_of(*store).empty());
  EXPECT_TRUE(decisions_of(*store).empty());
  EXPECT_EQ(study_of(*store, ""), std::nullopt);
}

TEST(DecisionLog, LogIsInArrivalOrderAndFiltersByStudy) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  // Keys that sort differently from arrival order, and a study UID that prefixes another.
  commit_or_die(*store, decided("4.9", "9.10", "a", "sa"));
  commit_or_die(*store, decided("4.1", "9.1", "b", "sb"));
  commit_or_die(*store, decided("4.5", "9.10", "c"));
  commit_or_die(*store, decided("4.2", "", "d"));
  // Replacing an instance is a new arrival: the log keeps both decisions.
  commit_or_die(*store, decided("4.9", "9.1", "e"));
  for (int i = 0; i < 300; ++i) {  // past 255: the big-endian key must keep numeric order
    commit_or_die(*store, decided("4.x." + std::to_string(i), "9.2", std::to_string(i)));
  }
  auto all = decisions_of(*store);
  ASSERT_EQ(all.size(), 305u);
  EXPECT_EQ(Strings(all.begin(), all.begin() + 5), (Strings{"a", "b", "c", "d", "e"}));
  for (std::size_t i = 0; i < 300; ++i) {
    ASSERT_EQ(all[5 + i], std::to_string(i));
  }
  EXPECT_EQ(decisions_of(*store, "9.1"), (Strings{"b", "e"}));
  EXPECT_EQ(decisions_of(*store, "9.10"), (Strings{"a", "c"}));
  EXPECT_EQ(decisions_of(*store, "9.2").size(), 300u);
  EXPECT_TRUE(decisions_of(*store, "9.3").empty());
  EXPECT_EQ(studies_of(*store), (StudyDecisions{{"9.1", "sb"}, {"9.10", "sa"}}));
}

TEST(DecisionLog, DeliveryDeletesTheInstanceButKeepsItsDecisions) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  commit_or_die(*store, decided("5.1", "9.1", "d", "s", {"PACS"}));
  auto job = store->forward_queue().lease_next("PACS", wall_ms());
  ASSERT_TRUE(job.has_value());
  ASSERT_TRUE(complete(store->forward_queue(), *job).has_value());
  EXPECT_EQ(store->find("5.1")->has_value(), false);
  EXPECT_EQ(decisions_of(*store), Strings{"d"});
  EXPECT_EQ(study_of(*store, "9.1"), "s");
}

TEST(DecisionLog, ReaderSeesDecisionsOfARunningPrimary) {
  ScratchDir dir;
  auto primary = open_or_die(dir.store());
  ASSERT_TRUE(primary);
  commit_or_die(*primary, decided("6.1", "9.1", "d1", "s1"));
  commit_or_die(*primary, decided("6.2", "9.2", "d2", "s2"));
  auto reader = InstanceStore::open_reader(dir.store());
  ASSERT_TRUE(reader.has_value()) << reader.error().message();
  EXPECT_EQ(study_of(**reader, "9.2"), "s2");
  EXPECT_EQ(studies_of(**reader), (StudyDecisions{{"9.1", "s1"}, {"9.2", "s2"}}));
  EXPECT_EQ(decisions_of(**reader), (Strings{"d1", "d2"}));
  EXPECT_EQ(decisions_of(**reader, "9.2"), Strings{"d2"});
}

// No batch-level write failure can be injected into the store; these are the commits it refuses
// before or instead of writing, which must leave no decision behind either.
TEST(DecisionLog, RefusedCommitsWriteNoDecision) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  auto bad_destination =
      store->commit(decided("7.1", "9.1", "d", "s", {"PACS", std::string()}), make_payload(10, 1));
  EXPECT_FALSE(bad_destination.has_value());
  auto no_uid = store->commit(decided("", "9.1", "d", "s"), make_payload(10, 1));
  EXPECT_FALSE(no_uid.has_value());
  store->close();
  auto closed = store->commit(decided("7.2", "9.1", "d", "s"), make_payload(10, 1));
  ASSERT_FALSE(closed.has_value());
  EXPECT_EQ(closed.error().code, QueueErrc::shutting_down);
  EXPECT_TRUE(store->list()->empty());
  EXPECT_TRUE(studies_of(*store).empty());
  EXPECT_TRUE(decisions_of(*store).empty());
}

TEST(DecisionLog, PurgeClearsStudyDecisionsAndTheLogForGood) {
  ScratchDir dir;
  {
    auto store = open_or_die(dir.store());
    ASSERT_TRUE(store);
    commit_or_die(*store, decided("8.1", "9.1", "d1", "s1", {"PACS"}));
    commit_or_die(*store, decided("8.2", "9.2", "d2", "s2"));
    EXPECT_EQ(*store->forward_queue().purge(), 2u);
    EXPECT_TRUE(studies_of(*store).empty());
    EXPECT_TRUE(decisions_of(*store).empty());
    EXPECT_EQ(study_of(*store, "9.1"), std::nullopt);
    commit_or_die(*store, decided("8.3", "9.1", "d3", "s3"));
  }
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  EXPECT_EQ(studies_of(*store), (StudyDecisions{{"9.1", "s3"}}));
  EXPECT_EQ(decisions_of(*store), Strings{"d3"});
}

// A store written before the studies and decisions families existed: only the five older ones.
void create_store_without_decision_families(const std::filesystem::path& path) {
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const char* name : {"default", "meta", "object", "seq", "jobs"}) {
    cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(options, path.string(), cfs, &handles, &raw);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::unique_ptr<rocksdb::DB> db(raw);
  InstanceRecord old = make_record("10.1");
  old.arrival_seq = 1;
  auto seq = encode_u64_be(1);
  ASSERT_TRUE(db->Put({}, handles[1], "10.1", encode_record(old)).ok());
  ASSERT_TRUE(db->Put({}, handles[2], "10.1", "bytes").ok());
  ASSERT_TRUE(db->Put({}, handles[3], "arrival_seq", rocksdb::Slice(seq.data(), seq.size())).ok());
  for (auto* h : handles) {
    ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  }
  ASSERT_TRUE(db->Close().ok());
}

TEST(DecisionLog, StoreWithoutTheDecisionFamiliesOpensForReaderAndPrimary) {
  ScratchDir dir;
  create_store_without_decision_families(dir.store());
  {
    auto reader = InstanceStore::open_reader(dir.store());
    ASSERT_TRUE(reader.has_value()) << reader.error().message();
    EXPECT_EQ((*reader)->list()->size(), 1u);
    EXPECT_TRUE(decisions_of(**reader).empty());
    EXPECT_TRUE(decisions_of(**reader, "1.2.3.4").empty());
    EXPECT_TRUE(studies_of(**reader).empty());
    EXPECT_EQ(study_of(**reader, "1.2.3.4"), std::nullopt);
  }
  auto primary = open_or_die(dir.store());
  ASSERT_TRUE(primary);
  EXPECT_EQ(commit_or_die(*primary, decided("10.2", "9.1", "d", "s")), 2u);
  auto reader = InstanceStore::open_reader(dir.store());
  ASSERT_TRUE(reader.has_value()) << reader.error().message();
  EXPECT_EQ(decisions_of(**reader), Strings{"d"});
  EXPECT_EQ(study_of(**reader, "9.1"), "s");
}

TEST(DecisionLog, ReaderRefusesADatabaseThatIsNotAnInstanceStore) {
  ScratchDir dir;
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, dir.store().string(), &raw).ok());
  delete raw;
  auto reader = InstanceStore::open_reader(dir.store());
  ASSERT_FALSE(reader.has_value());
  EXPECT_EQ(reader.error().code, QueueErrc::open_failed);
}

}  // namespace
}  // namespace acc::queue
