// Our requestor library against the server: an unparsable data set is refused without harming
// the association, and a resent SOP Instance UID replaces the stored object (issue 2, tests 7
// and 8).
#include <gtest/gtest.h>

#include <random>

#include "dicom/data/sop_classes.hpp"
#include "dicom/net/association.hpp"
#include "tests/support/accessioner_process.hpp"
#include "tests/support/dicom_files.hpp"
#include "tests/support/pacs_peers.hpp"
#include "tests/support/requestor_session.hpp"
#include "tests/support/temp_dir.hpp"

namespace acc::test {
namespace {

namespace net = acc::dicom::net;
namespace data = acc::dicom::data;

bool is_refusal(uint16_t status) {
  return (status & 0xF000) == 0xC000 || status == 0xA900;
}

// The progress rule (issue 12) is the acceptor's: a requestor that forwards a large object for
// minutes receives only small responses meanwhile and must not abort itself for it.
TEST(RequestorSettings, TheProgressRuleIsOffUnlessTheListenerSetsIt) {
  EXPECT_EQ(net::AssociationTimeouts{}.progress_window, net::Clock::duration::zero());
}

TEST(RequestorToAccessioner, UnparsableDataSetIsRefusedAndTheAssociationStaysUsable) {
  AccessionerProcess server;
  server.start();
  RequestorSession session(server.port(), "GARBAGE_SCU");

  std::mt19937 rng(20240601);
  std::vector<uint8_t> random_bytes(4096);
  for (auto& b : random_bytes) {
    b = static_cast<uint8_t>(rng());
  }
  // Well-formed start, then an element whose length runs far past the end.
  const std::vector<uint8_t> overrun = {0x08, 0x00, 0x16, 0x00, 'U', 'I', 0xF0,
                                        0xFF, '1',  '.',  '2',  '.', '3', 0x00};
  const std::vector<std::pair<std::string, std::vector<uint8_t>>> garbage = {
      {"1.2.826.0.1.3680043.9.7777.1.1", random_bytes},
      {"1.2.826.0.1.3680043.9.7777.1.2", overrun}};
  for (const auto& [uid, bytes] : garbage) {
    const auto rsp = session.store(uid, bytes);
    ASSERT_TRUE(rsp) << rsp.error().message() << "\n" << tail(server.log_text());
    EXPECT_TRUE(is_refusal(rsp->status))
        << "status 0x" << std::hex << rsp->status << " for " << uid;
  }

  const DataSetBytes valid = read_data_set(kCtSmall);
  ASSERT_EQ(valid.transfer_syntax_uid, data::kExplicitVrLittleEndian);
  const auto ok = session.store(valid.sop_instance_uid, valid.bytes);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->status, 0x0000) << ok->error_comment;
  EXPECT_TRUE(session.release());

  const nlohmann::json list = server.queue_list();
  EXPECT_EQ(list.size(), 1u) << list.dump(2);
  for (const auto& [uid, bytes] : garbage) {
    EXPECT_EQ(find_instance(list, uid), nullptr) << uid;
  }
  EXPECT_NE(find_instance(list, valid.sop_instance_uid), nullptr);
}

// Issue 12: a SOP Instance UID is data, never a path. One that is not a UID (PS3.5 §9.1) is
// answered 0x0117 (invalid SOP instance) with the reason in the Error Comment, nothing is stored,
// and the association goes on.
TEST(RequestorToAccessioner, ASopInstanceUidThatIsNotAUidIsRefused0117AndNothingIsStored) {
  AccessionerProcess server;
  server.start();
  RequestorSession session(server.port(), "BADUID_SCU");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"../../../../tmp/accessioner-escape", "an empty component"},
      {"/etc/passwd", "a character other than 0-9 and ."},
      {"1.2..3", "an empty component"},
      {"1.2.03", "a component with a leading zero"},
      {"1.2.840.10008.1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22",
       "over 64 characters"}};
  for (const auto& [uid, reason] : bad) {
    const DataSetBytes object = data_set_with_sop_instance_uid(kCtSmall, uid);
    const auto rsp = session.store(uid, object.bytes);
    ASSERT_TRUE(rsp) << rsp.error().message() << "\n" << tail(server.log_text());
    EXPECT_EQ(rsp->status, 0x0117) << std::hex << rsp->status << " for " << uid;
    EXPECT_EQ(rsp->error_comment, "SOP Instance UID has " + reason) << uid;
  }
  const DataSetBytes valid = read_data_set(kCtSmall);
  const auto ok = session.store(valid.sop_instance_uid, valid.bytes);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->status, 0x0000) << ok->error_comment;
  EXPECT_TRUE(session.release());

  const nlohmann::json list = server.queue_list();
  ASSERT_EQ(list.size(), 1u) << list.dump(2);
  EXPECT_NE(find_instance(list, valid.sop_instance_uid), nullptr);
  EXPECT_FALSE(std::filesystem::exists("/tmp/accessioner-escape.dcm"));
}

TEST(RequestorToAccessioner, ResendingASopInstanceUidReplacesTheStoredObject) {
  AccessionerProcess server;
  server.start();
  const DataSetBytes first = modified_data_set(kCtSmall, "FIRST", "first");
  const DataSetBytes second =
      modified_data_set(kCtSmall, "SECOND", "second, sent again with a longer comment");
  ASSERT_EQ(first.sop_instance_uid, second.sop_instance_uid);
  ASSERT_NE(first.bytes.size(), second.bytes.size());

  {
    RequestorSession session(server.port(), "FIRST_SCU");
    const auto rsp = session.store(first.sop_instance_uid, first.bytes);
    ASSERT_TRUE(rsp) << rsp.error().message();
    EXPECT_EQ(rsp->status, 0x0000);
    EXPECT_TRUE(session.release());
  }
  {
    RequestorSession session(server.port(), "SECOND_SCU");
    const auto rsp = session.store(second.sop_instance_uid, second.bytes);
    ASSERT_TRUE(rsp) << rsp.error().message();
    EXPECT_EQ(rsp->status, 0x0000);
    EXPECT_TRUE(session.release());
  }

  const nlohmann::json list = server.queue_list();
  ASSERT_EQ(list.size(), 1u) << list.dump(2);
  const nlohmann::json& entry = list[0];
  EXPECT_EQ(entry.value("sop_instance_uid", ""), second.sop_instance_uid);
  EXPECT_EQ(entry.value("patient_id", ""), "SECOND");
  EXPECT_EQ(entry.value("calling_ae", ""), "SECOND_SCU");

  TempDir scratch("acc-resend");
  const ToolResult exported = server.queue_export_all(scratch / "export");
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  const auto file = scratch / "export" / (second.sop_instance_uid + ".dcm");
  const DataSetBytes stored = read_data_set(file);
  EXPECT_EQ(stored.bytes, second.bytes);
  EXPECT_EQ(entry.value("size_bytes", uint64_t{0}), std::filesystem::file_size(file));
}

TEST(RequestorToAccessioner, DataSetAboveMaxInstanceBytesAbortsTheAssociationAndStoresNothing) {
  AccessionerProcess server({.storage_extra = "max_instance_bytes = 1024"});
  server.start();
  const DataSetBytes small = small_ct_data_set("SMALL");
  ASSERT_LT(small.bytes.size(), 1024u);
  const DataSetBytes large = read_data_set(kCtSmall);
  ASSERT_GT(large.bytes.size(), 1024u);

  RequestorSession session(server.port(), "LIMIT_SCU");
  const auto ok = session.store(small.sop_instance_uid, small.bytes);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->status, 0x0000);
  // docs/configuration.md: the excess is refused as it arrives, with an A-ABORT.
  const auto refused = session.store(large.sop_instance_uid, large.bytes);
  EXPECT_FALSE(refused) << "status 0x" << std::hex << refused->status;
  if (!refused) {
    EXPECT_EQ(refused.error().code, make_error_code(net::AssocErrc::peer_aborted))
        << refused.error().message();
  }

  const nlohmann::json list = server.queue_list();
  EXPECT_EQ(list.size(), 1u) << list.dump(2);
  EXPECT_NE(find_instance(list, small.sop_instance_uid), nullptr);
  EXPECT_EQ(find_instance(list, large.sop_instance_uid), nullptr);
  RequestorSession again(server.port(), "LIMIT_SCU");
  EXPECT_TRUE(again.established());
}

TEST(RequestorToAccessioner, StoreBelowTheFreeSpaceFloorIsAnsweredA700AndNotStored) {
  // A 1 TiB floor: no test machine has that much free, so the guard is always on.
  AccessionerProcess server({.storage_extra = "free_space_floor_mb = 1048576"});
  server.start();
  RequestorSession session(server.port(), "FULL_DISK_SCU");
  const DataSetBytes small = small_ct_data_set("FULL");
  const auto rsp = session.store(small.sop_instance_uid, small.bytes);
  ASSERT_TRUE(rsp) << rsp.error().message();
  EXPECT_EQ(rsp->status, 0xA700) << std::hex << rsp->status;
  EXPECT_TRUE(session.release());
  EXPECT_EQ(server.queue_list().size(), 0u);
}

}  // namespace
}  // namespace acc::test

namespace acc::test {
namespace {

// CT_small with (FFFC,FFFC) Data Set Trailing Padding, OB, of `padding` bytes of `fill`: a large
// data set whose bulk (group FFFC lies past 7FE0) is all padding.
DataSetBytes ct_with_trailing_padding(uint32_t padding, uint8_t fill) {
  DataSetBytes large = read_data_set(kCtSmall);
  const std::vector<uint8_t> header = {0xFC,
                                       0xFF,
                                       0xFC,
                                       0xFF,
                                       'O',
                                       'B',
                                       0,
                                       0,
                                       static_cast<uint8_t>(padding & 0xFF),
                                       static_cast<uint8_t>((padding >> 8) & 0xFF),
                                       static_cast<uint8_t>((padding >> 16) & 0xFF),
                                       static_cast<uint8_t>(padding >> 24)};
  large.bytes.insert(large.bytes.end(), header.begin(), header.end());
  large.bytes.resize(large.bytes.size() + padding, fill);
  return large;
}

// Issue 11: memory for data sets being received is one budget for the whole process
// ([server] receive_memory_budget_mb). A data set that would pass it is read to its end but not
// kept, answered 0xA700 with the reason, and the association goes on: the next instance is
// stored. /status and the metrics show the budget.
TEST(RequestorToAccessioner, ADataSetOverTheReceiveMemoryBudgetIsAnswered0xA700AndTheNextIsStored) {
  // Held whole (no spooling below 1 GiB), so the 50 MB data set meets the budget.
  AccessionerProcess server(
      {.server_extra = "receive_memory_budget_mb = 64\nspool_above_kb = 1048576"});
  server.start();
  const DataSetBytes small = small_ct_data_set("BUDGET");
  // 50 MB: growing a buffer to hold it passes 64 MiB.
  const DataSetBytes large = ct_with_trailing_padding(50'000'000, 0);

  RequestorSession session(server.port(), "BUDGET_SCU");
  const auto refused = session.store(large.sop_instance_uid, large.bytes);
  ASSERT_TRUE(refused) << refused.error().message();
  EXPECT_EQ(refused->status, 0xA700);
  EXPECT_NE(refused->error_comment.find("memory budget"), std::string::npos)
      << refused->error_comment;
  const auto ok = session.store(small.sop_instance_uid, small.bytes);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->status, 0x0000);

  const nlohmann::json list = server.queue_list();
  EXPECT_NE(find_instance(list, small.sop_instance_uid), nullptr);
  EXPECT_EQ(find_instance(list, large.sop_instance_uid), nullptr);
  EXPECT_NE(server.log_text().find("receive memory budget is full"), std::string::npos);
  const auto status = nlohmann::json::parse(http_get(server.metrics_port(), "/status"));
  EXPECT_EQ(status.at("memory").at("receive_budget_bytes"), uint64_t{64} << 20);
  EXPECT_GE(status.at("memory").at("receive_budget_refusals").get<uint64_t>(), 1u);
  EXPECT_LT(status.at("memory").at("receive_in_use_bytes").get<uint64_t>(), uint64_t{1} << 20);
}

// Issue 11, streaming receive: with the default settings the same 50 MB data set goes to a spool
// file as it arrives, memory stays a few MiB, and it is stored whole (size as sent).
TEST(RequestorToAccessioner, ALargeDataSetIsReceivedThroughASpoolNotHeldInMemory) {
  AccessionerProcess server({.server_extra = "receive_memory_budget_mb = 64"});
  server.start();
  const DataSetBytes large = ct_with_trailing_padding(50'000'000, 0x5A);

  RequestorSession session(server.port(), "SPOOL_SCU");
  const auto stored = session.store(large.sop_instance_uid, large.bytes);
  ASSERT_TRUE(stored) << stored.error().message();
  EXPECT_EQ(stored->status, 0x0000) << stored->error_comment;

  const nlohmann::json list = server.queue_list();
  const nlohmann::json* instance = find_instance(list, large.sop_instance_uid);
  ASSERT_NE(instance, nullptr);
  // The Part-10 object: meta header + the data set as sent.
  EXPECT_GT(instance->at("size_bytes").get<uint64_t>(), large.bytes.size());
  EXPECT_LT(instance->at("size_bytes").get<uint64_t>(), large.bytes.size() + 1024);
  const auto status = nlohmann::json::parse(http_get(server.metrics_port(), "/status"));
  EXPECT_EQ(status.at("memory").at("receive_spooled").get<uint64_t>(), 1u);
  EXPECT_EQ(status.at("memory").at("receive_budget_refusals").get<uint64_t>(), 0u);
  EXPECT_EQ(status.at("memory").at("spool_above_bytes").get<uint64_t>(), uint64_t{4} << 20);
  EXPECT_NE(http_get(server.metrics_port(), "/metrics").find("accessioner_receive_spooled_total 1"),
            std::string::npos);
  // Nothing of the spool is left once it is committed: its file had no name to begin with.
  EXPECT_TRUE(std::filesystem::is_empty(server.storage_path() / "spool"));
}

}  // namespace
}  // namespace acc::test
