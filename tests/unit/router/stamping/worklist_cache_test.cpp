// WorklistCache: persistence in the store's `worklist` family and the shared matching snapshot.
#include "router/stamping/worklist_cache.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include <asio/io_context.hpp>

#include "common/clock.hpp"

namespace acc::router {
namespace {

using dicom::data::WorklistItem;

WorklistItem order(const std::string& accession, const std::string& patient = "P1") {
  WorklistItem i;
  i.patient_id = patient;
  i.patient_name = "DOE^JANE";
  i.accession_number = accession;
  i.requested_procedure_id = "RP-" + accession;
  i.sps_id = "SPS-" + accession;
  i.modality = "CT";
  i.sps_start_date = "20261204";
  i.sps_status = "SCHEDULED";
  i.accession_issuer = dicom::data::AccessionIssuer{"RIS", "1.2.3", "ISO"};
  return i;
}

class WorklistCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("acc-wlcache-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    config_.enabled = true;
    config_.ae_title = "RIS";
    config_.host = "127.0.0.1";
    config_.port = 1;  // never contacted: the io_context never runs
    config_.refresh_s = 60;
    config_.grace_s = 3600;
    open_store();
  }
  void TearDown() override {
    close_store();
    std::filesystem::remove_all(dir_);
  }
  void open_store() {
    auto store = queue::InstanceStore::open({dir_, /*sync=*/false});
    ASSERT_TRUE(store) << store.error().message();
    store_ = std::move(*store);
  }
  void close_store() {
    if (store_) {
      store_->close();
      store_.reset();
    }
  }
  WorklistCache make_cache() { return WorklistCache(io_, config_, "ACCESSIONER", *store_); }

  std::filesystem::path dir_;
  config::WorklistConfig config_;
  asio::io_context io_;
  std::unique_ptr<queue::InstanceStore> store_;
};

TEST(WorklistCacheMerge, ReportsNewAndChangedEntriesOnly) {
  std::vector<WorklistCache::Entry> entries;
  auto changed = WorklistCache::merge(entries, {order("A1"), order("A2")}, 1000);
  EXPECT_EQ(changed, (std::vector<std::size_t>{0, 1}));

  WorklistItem moved = order("A2");
  moved.sps_start_time = "101500";  // the RIS rescheduled it
  changed = WorklistCache::merge(entries, {order("A1"), moved, order("A3")}, 2000);
  EXPECT_EQ(changed, (std::vector<std::size_t>{1, 2}));
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[1].item.sps_start_time, "101500");
  for (const auto& e : entries) {
    EXPECT_EQ(e.last_seen_ms, 2000);  // every returned item was seen, changed or not
  }
}

TEST_F(WorklistCacheTest, EntriesSurviveARestartThroughTheStore) {
  {
    WorklistCache cache = make_cache();
    ASSERT_TRUE(cache.load());
    EXPECT_EQ(cache.absorb({order("A1"), order("A2"), order("A3", "P2")}, true), 4u);  // + status
  }
  close_store();
  open_store();
  WorklistCache again = make_cache();
  ASSERT_TRUE(again.load());
  const auto snapshot = again.entries(unix_now_ms());
  ASSERT_EQ(snapshot->size(), 3u);
  std::vector<WorklistItem> items;
  for (const auto& e : *snapshot) {
    EXPECT_FALSE(e.stale);
    items.push_back(e.item);
  }
  std::sort(items.begin(), items.end(),
            [](auto& a, auto& b) { return a.accession_number < b.accession_number; });
  EXPECT_EQ(items[0], order("A1"));  // every field, the issuer sequence included
  EXPECT_EQ(items[2], order("A3", "P2"));
  EXPECT_GT(again.status().last_success_ms, 0);
  EXPECT_EQ(again.status().entries, 3u);
}

TEST_F(WorklistCacheTest, AnUnchangedRefreshWritesOnlyTheRefreshTime) {
  WorklistCache cache = make_cache();
  ASSERT_TRUE(cache.load());
  std::vector<WorklistItem> day;
  for (int i = 0; i < 100; ++i) {
    day.push_back(order("A" + std::to_string(i)));
  }
  EXPECT_EQ(cache.absorb(day, true), 101u);
  EXPECT_EQ(cache.absorb(day, true), 1u);
  day[7].sps_description = "CT HEAD WITHOUT CONTRAST";
  EXPECT_EQ(cache.absorb(day, true), 2u);
  // A query on miss brings one more order and is not a refresh.
  EXPECT_EQ(cache.absorb({order("X1", "P9")}, false), 1u);
  EXPECT_EQ(cache.status().entries, 101u);
  EXPECT_EQ(cache.status().refreshes, 3u);
}

TEST_F(WorklistCacheTest, MatchingSharesOneSnapshotUntilTheCacheChanges) {
  WorklistCache cache = make_cache();
  ASSERT_TRUE(cache.load());
  cache.absorb({order("A1")}, true);
  const int64_t now = unix_now_ms();
  const auto first = cache.entries(now);
  const auto second = cache.entries(now + 1000);
  EXPECT_EQ(first.get(), second.get());  // no copy per instance
  cache.absorb({order("A1"), order("A2")}, true);
  const auto third = cache.entries(now + 2000);
  EXPECT_NE(third.get(), first.get());
  EXPECT_EQ(first->size(), 1u);  // a holder of the old snapshot keeps what it had
  EXPECT_EQ(third->size(), 2u);
}

TEST_F(WorklistCacheTest, AnEntryNotSeenForGraceTurnsStaleWithoutARefresh) {
  WorklistCache cache = make_cache();
  ASSERT_TRUE(cache.load());
  cache.absorb({order("A1")}, true);
  const int64_t now = unix_now_ms();
  ASSERT_FALSE(cache.entries(now)->front().stale);
  EXPECT_FALSE(cache.entries(now + 3'599'000)->front().stale);
  EXPECT_TRUE(cache.entries(now + 3'601'000)->front().stale);
}

TEST(WorklistCacheJson, RequestedProcedureCodesRoundTripAndOldEntriesStillLoad) {
  WorklistItem item = order("A1");
  item.requested_procedure_codes = {{"RPID17", "99RIS", "1.0", "CT Schädel"},
                                    {"A-VERY-LONG-CODE-VALUE-42", "LN", "", "CT head"}};
  const auto j = to_json(item);
  ASSERT_TRUE(j.contains("requested_procedure_codes"));
  EXPECT_EQ(worklist_item_from_json(nlohmann::json::parse(j.dump())), item);

  // Stored before codes were kept: no key, no codes, everything else as it was.
  auto old = to_json(order("A1"));
  EXPECT_FALSE(old.contains("requested_procedure_codes"));
  EXPECT_EQ(worklist_item_from_json(old), order("A1"));
}

TEST_F(WorklistCacheTest, RequestedProcedureCodesSurviveARestart) {
  WorklistItem item = order("A1");
  item.requested_procedure_codes = {{"RPID17", "99RIS", "1.0", "CT head"}};
  {
    WorklistCache cache = make_cache();
    ASSERT_TRUE(cache.load());
    cache.absorb({item}, true);
  }
  close_store();
  open_store();
  WorklistCache again = make_cache();
  ASSERT_TRUE(again.load());
  const auto snapshot = again.entries(unix_now_ms());
  ASSERT_EQ(snapshot->size(), 1u);
  EXPECT_EQ(snapshot->front().item, item);
}

using dicom::data::IssuedPatientId;

std::vector<rules::CachedEntry> placeholders(const WorklistCache::Snapshot& snapshot) {
  std::vector<rules::CachedEntry> out;
  for (const auto& e : *snapshot) {
    if (e.undecodable) {
      out.push_back(e);
    }
  }
  return out;
}

TEST_F(WorklistCacheTest, UndecodableItemsArePlaceholdersUntilTheNextFullRefresh) {
  WorklistCache cache = make_cache();
  ASSERT_TRUE(cache.load());
  // P1 has one decodable order and one the cache could not decode.
  EXPECT_EQ(cache.absorb({order("A1")}, true, {IssuedPatientId{"P1", "HOSP"}}), 2u);
  auto snapshot = cache.entries(unix_now_ms());
  ASSERT_EQ(snapshot->size(), 2u);
  auto held = placeholders(snapshot);
  ASSERT_EQ(held.size(), 1u);
  EXPECT_FALSE(held[0].stale);
  EXPECT_EQ(held[0].item.patient_id, "P1");
  EXPECT_EQ(held[0].item.issuer_of_patient_id, "HOSP");
  EXPECT_TRUE(held[0].item.accession_number.empty());
  EXPECT_EQ(cache.status().entries, 1u);
  EXPECT_EQ(cache.status().undecodable, 1u);

  // A query on miss for another patient keeps it, and adds that patient's own.
  cache.absorb({order("B1", "P2")}, false, {IssuedPatientId{"P2", ""}}, "P2");
  held = placeholders(cache.entries(unix_now_ms()));
  ASSERT_EQ(held.size(), 2u);
  EXPECT_EQ(held[0].item.patient_id, "P1");
  EXPECT_EQ(held[1].item.patient_id, "P2");

  // A query on miss for P2 answering without undecodable items clears P2's.
  cache.absorb({order("B1", "P2")}, false, {}, "P2");
  held = placeholders(cache.entries(unix_now_ms()));
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].item.patient_id, "P1");

  // The next full refresh replaces the set: P3's now, P1's order decoded fine this time.
  cache.absorb({order("A1"), order("A2")}, true, {IssuedPatientId{"P3", ""}});
  held = placeholders(cache.entries(unix_now_ms()));
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].item.patient_id, "P3");
  // The two-argument form is a full refresh without undecodable items.
  cache.absorb({order("A1"), order("A2")}, true);
  EXPECT_TRUE(placeholders(cache.entries(unix_now_ms())).empty());
  EXPECT_EQ(cache.status().undecodable, 0u);
}

TEST_F(WorklistCacheTest, PlaceholdersAreNotPersisted) {
  {
    WorklistCache cache = make_cache();
    ASSERT_TRUE(cache.load());
    cache.absorb({order("A1")}, true, {IssuedPatientId{"P1", ""}, IssuedPatientId{"P1", ""}});
    EXPECT_EQ(placeholders(cache.entries(unix_now_ms())).size(), 2u);
  }
  close_store();
  open_store();
  WorklistCache again = make_cache();
  ASSERT_TRUE(again.load());
  const auto snapshot = again.entries(unix_now_ms());
  ASSERT_EQ(snapshot->size(), 1u);
  EXPECT_FALSE(snapshot->front().undecodable);
}

}  // namespace
}  // namespace acc::router
