#pragma once
// What an integration test expects to find in the queue after sending files, and the check that
// the exported objects carry the original data sets.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "tests/support/accessioner_process.hpp"
#include "tests/support/dicom_files.hpp"

namespace acc::test {

struct ExpectedInstance {
  std::filesystem::path original{};  // the file sent last with this SOP Instance UID
  std::string sop_class_uid{};
  std::string original_xfer{};
  std::string network_xfer{};  // empty: not checked
  std::string patient_id{};
};

// Every expected instance is listed once with the right attributes.
inline void expect_listed(const nlohmann::json& list,
                          const std::map<std::string, ExpectedInstance>& expected,
                          const std::string& calling_ae) {
  std::set<std::string> listed;
  for (const auto& entry : list) {
    listed.insert(entry.value("sop_instance_uid", ""));
  }
  EXPECT_EQ(listed.size(), list.size()) << "a SOP Instance UID is listed twice";
  for (const auto& [uid, want] : expected) {
    const nlohmann::json* got = find_instance(list, uid);
    if (got == nullptr) {
      ADD_FAILURE() << "not listed: " << uid << " (" << want.original << ")";
      continue;
    }
    SCOPED_TRACE(want.original.string());
    EXPECT_EQ(got->value("sop_class_uid", ""), want.sop_class_uid);
    if (!want.network_xfer.empty()) {
      EXPECT_EQ(got->value("transfer_syntax_uid", ""), want.network_xfer);
    }
    EXPECT_EQ(got->value("patient_id", ""), want.patient_id);
    EXPECT_EQ(got->value("calling_ae", ""), calling_ae);
    EXPECT_EQ(got->value("called_ae", ""), "ACCESSIONER");
    EXPECT_GT(got->value("size_bytes", 0), 0);
  }
}

// Exports everything and compares each expected instance with its original, element by element
// (file meta dropped). DCMTK senders re-encode what they read (sequence and group lengths, value
// padding, trailing padding, and the transfer syntax when the peer prefers another), so the
// comparison is on tags, structure and values: canonical_dump(). The server stores the received
// bytes unchanged; that byte-exact check is in requestor_to_accessioner_test.
inline void expect_exported_identical(const AccessionerProcess& server,
                                      const std::map<std::string, ExpectedInstance>& expected,
                                      const std::filesystem::path& scratch) {
  const auto out_dir = scratch / "export";
  const ToolResult exported = server.queue_export_all(out_dir);
  EXPECT_EQ(exported.exit_code, 0) << exported.output;
  for (const auto& [uid, want] : expected) {
    SCOPED_TRACE(want.original.string());
    const auto file = out_dir / (uid + ".dcm");
    if (!std::filesystem::exists(file)) {
      ADD_FAILURE() << "not exported: " << uid;
      continue;
    }
    if (!want.network_xfer.empty()) {
      EXPECT_EQ(read_data_set(file).transfer_syntax_uid, want.network_xfer);
    }
    EXPECT_EQ(canonical_dump(file), canonical_dump(want.original));
  }
}

}  // namespace acc::test
