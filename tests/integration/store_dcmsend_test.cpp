// dcmsend stores the pydicom sample set (every storage object, its own transfer syntax) on one
// association and on four at once; the queue lists each instance and exports it unchanged
// (issue 2, tests 2 and 3).
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <set>

#include "tests/integration/dcmtk_tools.hpp"
#include "tests/integration/export_checks.hpp"
#include "tests/support/accessioner_process.hpp"
#include "tests/support/dcmtk_senders.hpp"
#include "tests/support/dicom_files.hpp"
#include "tests/support/temp_dir.hpp"

namespace acc::test {
namespace {

const std::vector<SampleFile>& samples() {
  static const std::vector<SampleFile> selected = [] {
    auto s = select_storage_samples();
    std::set<std::string> uids;
    std::set<std::string> syntaxes;
    for (const auto& f : s) {
      uids.insert(f.sop_instance_uid);
      syntaxes.insert(f.transfer_syntax_uid);
    }
    std::cout << "pydicom sample set: " << s.size() << " files, " << syntaxes.size()
              << " transfer syntaxes, " << uids.size() << " unique SOP Instance UIDs\n";
    return s;
  }();
  return selected;
}

// Every file of the report was stored with success; returns what the queue must now hold,
// keyed by SOP Instance UID, the last transfer of a UID winning.
std::map<std::string, ExpectedInstance> check_report(const std::vector<DcmsendReportEntry>& report,
                                                     const std::vector<SampleFile>& sent) {
  std::map<std::string, const SampleFile*> by_path;
  for (const auto& s : sent) {
    by_path[s.path.string()] = &s;
  }
  EXPECT_EQ(report.size(), sent.size());
  std::map<std::string, ExpectedInstance> expected;
  for (const auto& e : report) {
    SCOPED_TRACE(e.filename);
    EXPECT_EQ(e.dimse_status, "0x0000 (Success)");
    const auto it = by_path.find(e.filename);
    if (it == by_path.end()) {
      ADD_FAILURE() << "report names a file not sent";
      continue;
    }
    // The report shows the meta header's UIDs; the C-STORE carries the data set's, and some
    // samples differ between the two.
    expected[it->second->sop_instance_uid] = {.original = it->second->path,
                                              .sop_class_uid = it->second->data_set_sop_class_uid,
                                              .original_xfer = it->second->transfer_syntax_uid,
                                              .network_xfer = e.network_xfer,
                                              .patient_id = it->second->patient_id};
  }
  return expected;
}

TEST(StoreDcmsend, WholeSampleSetOnOneAssociationIsListedAndExportedUnchanged) {
  const auto& files = samples();
  ASSERT_GE(files.size(), 40u) << "pydicom sample set too small: is python3-pydicom installed?";
  TempDir scratch("acc-dcmsend");
  AccessionerProcess server;
  server.start();

  std::vector<std::filesystem::path> paths;
  for (const auto& f : files) {
    paths.push_back(f.path);
  }
  const auto report_file = scratch / "report.txt";
  const ToolResult sent =
      run_tool(dcmsend_argv({.port = server.port(), .files = paths, .report = report_file}),
               scratch / "dcmsend.log", std::chrono::seconds(120));
  ASSERT_EQ(sent.exit_code, 0) << tail(sent.output) << "\n" << tail(server.log_text());
  const auto report = parse_dcmsend_report(read_text(report_file));
  std::set<std::string> associations;
  std::set<std::string> network_syntaxes;
  for (const auto& e : report) {
    associations.insert(e.association);
    network_syntaxes.insert(e.network_xfer);
  }
  EXPECT_EQ(associations, std::set<std::string>{"1"}) << "expected one association";
  const auto expected = check_report(report, files);

  const nlohmann::json list = server.queue_list();
  EXPECT_EQ(list.size(), expected.size());
  expect_listed(list, expected, "DCMSEND");
  expect_exported_identical(server, expected, scratch.path());
  std::cout << expected.size() << " instances stored in " << network_syntaxes.size()
            << " network transfer syntaxes\n";
  EXPECT_GE(network_syntaxes.size(), 8u);
}

TEST(StoreDcmsend, SampleSetSplitOverFourConcurrentAssociationsIsAllStored) {
  const auto& files = samples();
  ASSERT_GE(files.size(), 40u);
  TempDir scratch("acc-dcmsend4");
  AccessionerProcess server;
  server.start();

  // Files sharing a SOP Instance UID go to the same sender, so "sent last" stays well defined.
  constexpr std::size_t kSenders = 4;
  std::map<std::string, std::size_t> bucket_of_uid;
  std::vector<std::vector<SampleFile>> buckets(kSenders);
  for (const auto& f : files) {
    auto [it, fresh] = bucket_of_uid.emplace(f.sop_instance_uid, bucket_of_uid.size() % kSenders);
    buckets[it->second].push_back(f);
  }
  std::vector<ChildProcess> senders;
  for (std::size_t i = 0; i < kSenders; ++i) {
    std::vector<std::filesystem::path> paths;
    for (const auto& f : buckets[i]) {
      paths.push_back(f.path);
    }
    const auto report = scratch / ("report" + std::to_string(i) + ".txt");
    senders.push_back(ChildProcess::spawn(
        {.argv = dcmsend_argv({.port = server.port(), .files = paths, .report = report}),
         .log = scratch / ("dcmsend" + std::to_string(i) + ".log")}));
  }
  std::map<std::string, ExpectedInstance> expected;
  for (std::size_t i = 0; i < kSenders; ++i) {
    SCOPED_TRACE("sender " + std::to_string(i));
    const auto status = senders[i].wait_for(std::chrono::seconds(120));
    ASSERT_TRUE(status.has_value()) << "dcmsend did not finish";
    EXPECT_EQ(*status, 0) << tail(read_text(scratch / ("dcmsend" + std::to_string(i) + ".log")));
    const auto report =
        parse_dcmsend_report(read_text(scratch / ("report" + std::to_string(i) + ".txt")));
    expected.merge(check_report(report, buckets[i]));
  }
  const nlohmann::json list = server.queue_list();
  EXPECT_EQ(list.size(), expected.size());
  expect_listed(list, expected, "DCMSEND");
  std::set<uint64_t> association_ids;
  for (const auto& entry : list) {
    association_ids.insert(entry.value("association_id", uint64_t{0}));
  }
  EXPECT_EQ(association_ids.size(), kSenders);
}

// The comparison the tests above rely on: blind to re-encoding, not to a changed value.
TEST(CanonicalDump, IgnoresTheTransferSyntaxButNotAChangedValue) {
  TempDir scratch("acc-canonical");
  const auto original = kCtSmall;
  const auto implicit = scratch / "implicit.dcm";
  const auto big_endian = scratch / "big.dcm";
  const auto changed = scratch / "changed.dcm";
  ASSERT_EQ(run_tool({"dcmconv", "+ti", original.string(), implicit.string()}, scratch / "a.log")
                .exit_code,
            0);
  ASSERT_EQ(run_tool({"dcmconv", "+tb", original.string(), big_endian.string()}, scratch / "b.log")
                .exit_code,
            0);
  std::filesystem::copy_file(original, changed);
  ASSERT_EQ(
      run_tool({"dcmodify", "-nb", "-m", "PatientID=CHANGED", changed.string()}, scratch / "c.log")
          .exit_code,
      0);
  const std::string reference = canonical_dump(original);
  EXPECT_EQ(canonical_dump(implicit), reference);
  EXPECT_EQ(canonical_dump(big_endian), reference);
  EXPECT_NE(canonical_dump(changed), reference);
  EXPECT_NE(reference.find("(7fe0,0010)"), std::string::npos);
}

}  // namespace
}  // namespace acc::test
