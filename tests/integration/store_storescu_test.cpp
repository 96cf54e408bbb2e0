// storescu stores the uncompressed samples with implicit-only and explicit-first proposals and
// with the smallest PDU both ways (fragmented P-DATA); the exported data sets equal the originals
// (issue 2, test 4).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "dicom/data/sop_classes.hpp"
#include "tests/integration/dcmtk_tools.hpp"
#include "tests/integration/export_checks.hpp"
#include "tests/support/accessioner_process.hpp"
#include "tests/support/dcmtk_senders.hpp"
#include "tests/support/dicom_files.hpp"
#include "tests/support/temp_dir.hpp"

namespace acc::test {
namespace {

namespace data = acc::dicom::data;

struct StorescuCase {
  std::string name;
  std::vector<std::string> args;
  std::string server_extra;
  std::string network_xfer;  // expected for every instance, "" = the sender's choice
};

std::ostream& operator<<(std::ostream& os, const StorescuCase& c) {
  return os << c.name;
}

class StoreStorescu : public testing::TestWithParam<StorescuCase> {};

TEST_P(StoreStorescu, UncompressedSamplesAreStoredAndExportedWithTheSameValues) {
  const StorescuCase& param = GetParam();
  std::vector<SampleFile> files;
  std::set<std::string> syntaxes;
  for (auto& f : select_storage_samples()) {
    if (f.transfer_syntax_uid == data::kImplicitVrLittleEndian ||
        f.transfer_syntax_uid == data::kExplicitVrLittleEndian ||
        f.transfer_syntax_uid == data::kExplicitVrBigEndian) {
      syntaxes.insert(f.transfer_syntax_uid);
      files.push_back(std::move(f));
    }
  }
  ASSERT_GE(files.size(), 15u);
  ASSERT_EQ(syntaxes.size(), 3u);

  TempDir scratch("acc-storescu");
  AccessionerProcess server({.server_extra = param.server_extra});
  server.start();
  // -R: only the SOP classes of the files (the default list lacks some of them).
  std::vector<std::string> options = {"-R"};
  options.insert(options.end(), param.args.begin(), param.args.end());
  std::vector<std::filesystem::path> paths;
  std::map<std::string, ExpectedInstance> expected;
  for (const auto& f : files) {
    paths.push_back(f.path);
    expected[f.sop_instance_uid] = {.original = f.path,
                                    .sop_class_uid = f.data_set_sop_class_uid,
                                    .original_xfer = f.transfer_syntax_uid,
                                    .network_xfer = param.network_xfer,
                                    .patient_id = f.patient_id};
  }
  const ToolResult sent = run_tool(storescu_argv(server.port(), paths, options),
                                   scratch / "storescu.log", std::chrono::seconds(120));
  ASSERT_EQ(sent.exit_code, 0) << tail(sent.output) << "\n" << tail(server.log_text());
  EXPECT_EQ(count_occurrences(sent.output, "Received Store Response (Success)"), files.size())
      << tail(sent.output);

  const nlohmann::json list = server.queue_list();
  EXPECT_EQ(list.size(), expected.size());
  expect_listed(list, expected, "STORESCU");
  for (const auto& entry : list) {
    const std::string ts = entry.value("transfer_syntax_uid", "");
    EXPECT_TRUE(ts == data::kImplicitVrLittleEndian || ts == data::kExplicitVrLittleEndian ||
                ts == data::kExplicitVrBigEndian)
        << ts;
  }
  expect_exported_identical(server, expected, scratch.path());
}

INSTANTIATE_TEST_SUITE_P(
    Proposals, StoreStorescu,
    testing::Values(StorescuCase{"ImplicitOnly", {"-xi"}, "", data::kImplicitVrLittleEndian},
                    StorescuCase{"ExplicitLittleFirst", {"-xe"}, "", ""},
                    // 4096 both ways: every data set crosses many P-DATA-TF PDUs.
                    StorescuCase{
                        "SmallestPdu", {"--max-pdu", "4096"}, "max_pdu_length = 4096", ""}),
    [](const testing::TestParamInfo<StorescuCase>& info) { return info.param.name; });

}  // namespace
}  // namespace acc::test
