// apply_rules: what the site rules (issue 5) do to a prepared instance, on real sample files:
// destinations, attribute changes in the Part-10 bytes, the record and matching attributes
// following the corrected instance, and refusal of a change that cannot be made.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <variant>

#include "dicom/data/data_set.hpp"
#include "dicom/data/part10.hpp"
#include "dicom/dimse/status.hpp"
#include "router/receive/prepare_instance.hpp"
#include "rules/rule_set.hpp"

namespace acc::router {
namespace {

using namespace acc::dicom;
namespace st = dimse::status;

const std::filesystem::path kSamples = "/usr/lib/python3/dist-packages/pydicom/data/test_files";
constexpr int64_t kNow = 1717243200000;  // 2024-06-01T12:00:00Z

std::vector<uint8_t> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A sample file as the Storage SCP prepares it from a C-STORE of `calling_ae`.
PreparedInstance prepared(const char* name, const std::string& calling_ae = "CT01") {
  const std::vector<uint8_t> file = read_file(kSamples / name);
  auto view = data::split_part10(file);
  EXPECT_TRUE(view) << name;
  const net::AcceptedContext ctx{1, view->meta.media_storage_sop_class_uid,
                                 view->meta.transfer_syntax_uid};
  PreparedInstance p =
      prepare_instance(dimse::make_c_store_rq(1, view->meta.media_storage_sop_class_uid,
                                              view->meta.media_storage_sop_instance_uid),
                       ctx, view->data_set);
  EXPECT_EQ(p.status, st::kSuccess) << p.error_comment;
  p.record.calling_ae = calling_ae;
  p.record.peer_address = "10.1.2.3";
  return p;
}

RuleBook book(const std::string& toml) {
  auto parsed = rules::RuleSet::parse(toml, "test.toml", {"pacs", "research"});
  if (auto* errors = std::get_if<std::vector<rules::RuleError>>(&parsed)) {
    std::string text;
    for (const auto& e : *errors) {
      text += e.to_string() + "\n";
    }
    ADD_FAILURE() << text;
    return RuleBook(std::make_shared<const rules::RuleSet>(), {"pacs", "research"});
  }
  return RuleBook(
      std::make_shared<const rules::RuleSet>(std::move(std::get<rules::RuleSet>(parsed))),
      {"pacs", "research"});
}

data::DataSet parse_part10(const std::vector<uint8_t>& part10) {
  auto view = data::split_part10(part10);
  EXPECT_TRUE(view);
  auto ds = data::DataSet::parse(view->data_set, view->meta.transfer_syntax_uid);
  EXPECT_TRUE(ds);
  return std::move(*ds);
}

TEST(ApplyRules, NoRulesMeansEveryDestinationAndTheBytesUnchanged) {
  PreparedInstance p = prepared("CT_small.dcm");
  const std::vector<uint8_t> before = p.part10;
  apply_rules(p, book(""), "ACCESSIONER", kNow);
  EXPECT_EQ(p.status, st::kSuccess);
  EXPECT_EQ(p.record.destinations, (std::vector<std::string>{"pacs", "research"}));
  EXPECT_TRUE(p.rules.matched.empty());
  EXPECT_TRUE(p.rules.stamp);
  EXPECT_EQ(p.part10, before);
  EXPECT_FALSE(p.data_set.has_value()) << "the parsed data set is dropped once the rules ran";
}

TEST(ApplyRules, RouteOfTheMatchingRuleSetsTheDestinations) {
  const RuleBook rules = book(R"toml([[rule]]
name = "ct-research"
when.calling_ae = "CT*"
when.modality = "CT"
then.route = ["research"]

[[rule]]
name = "mr-pacs"
when.modality = "MR"
then.route = ["pacs"]
then.stamp = false
)toml");
  PreparedInstance ct = prepared("CT_small.dcm", "CT01");
  const std::vector<uint8_t> ct_bytes = ct.part10;
  apply_rules(ct, rules, "ACCESSIONER", kNow);
  EXPECT_EQ(ct.status, st::kSuccess);
  EXPECT_EQ(ct.record.destinations, std::vector<std::string>{"research"});
  EXPECT_EQ(ct.rules.matched, std::vector<std::string>{"ct-research"});
  EXPECT_TRUE(ct.rules.stamp);
  EXPECT_EQ(ct.part10, ct_bytes) << "a route alone changes nothing in the instance";

  PreparedInstance mr = prepared("MR_small.dcm", "MR01");
  apply_rules(mr, rules, "ACCESSIONER", kNow);
  EXPECT_EQ(mr.record.destinations, std::vector<std::string>{"pacs"});
  EXPECT_FALSE(mr.rules.stamp);

  // A CT from another calling AE matches nothing: every destination.
  PreparedInstance other = prepared("CT_small.dcm", "WS01");
  apply_rules(other, rules, "ACCESSIONER", kNow);
  EXPECT_EQ(other.record.destinations, (std::vector<std::string>{"pacs", "research"}));
  EXPECT_TRUE(other.rules.matched.empty());
}

TEST(ApplyRules, ChangesAreWrittenIntoThePart10AndTheRecordFollowsThem) {
  PreparedInstance p = prepared("CT_small.dcm");
  ASSERT_EQ(p.record.patient_id, "1CT1");
  ASSERT_EQ(p.attributes.patient_id, "1CT1");
  ASSERT_EQ(p.existing_accession, "");
  const std::string pixels = parse_part10(p.part10).pixel_data_hash();
  ASSERT_FALSE(pixels.empty());

  apply_rules(p, book(R"toml([[rule]]
name = "fix-ids"
when.calling_ae = "CT01"
then.set = { PatientID = "ED-${PatientID}", StudyDate = "20240601", AccessionNumber = "A77", InstitutionName = "General Hospital" }
then.remove = ["StationName"]
)toml"),
              "ACCESSIONER", kNow);
  ASSERT_EQ(p.status, st::kSuccess) << p.error_comment;
  EXPECT_EQ(p.record.destinations, (std::vector<std::string>{"pacs", "research"}));
  ASSERT_EQ(p.rules.changes.size(), 5u);

  const data::DataSet ds = parse_part10(p.part10);
  EXPECT_EQ(ds.get_string(0x0010, 0x0020), "ED-1CT1");
  EXPECT_EQ(ds.find_text(0x0008, 0x0020), "20240601");
  EXPECT_EQ(ds.find_text(0x0008, 0x0050), "A77");
  EXPECT_EQ(ds.find_text(0x0008, 0x0080), "General Hospital");
  EXPECT_EQ(ds.find_text(0x0008, 0x1010), std::nullopt);
  EXPECT_TRUE(ds.find_text(0x0400, 0x0561).has_value()) << "Original Attributes Sequence";
  EXPECT_EQ(ds.pixel_data_hash(), pixels);
  // Identity and framing are kept.
  EXPECT_EQ(ds.summary().sop_instance_uid, p.record.sop_instance_uid);
  const auto view = data::split_part10(p.part10);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->meta.media_storage_sop_instance_uid, p.record.sop_instance_uid);
  EXPECT_EQ(view->meta.transfer_syntax_uid, p.record.transfer_syntax_uid);

  // Storage and matching read the corrected instance.
  EXPECT_EQ(p.record.patient_id, "ED-1CT1");
  EXPECT_EQ(p.record.size_bytes, p.part10.size());
  EXPECT_EQ(p.attributes.patient_id, "ED-1CT1");
  EXPECT_EQ(p.attributes.study_date, "20240601");
  EXPECT_EQ(p.attributes.modality, "CT");
  EXPECT_EQ(p.existing_accession, "A77");
  EXPECT_FALSE(p.data_set.has_value());
}

TEST(ApplyRules, AChangeInvalidForItsVrRefusesTheInstance) {
  PreparedInstance p = prepared("CT_small.dcm");
  const std::vector<uint8_t> before = p.part10;
  // "CompressedSamples^CT1" is no date.
  apply_rules(p, book(R"toml([[rule]]
name = "bad-date"
then.set.StudyDate = "${PatientName}"
)toml"),
              "ACCESSIONER", kNow);
  EXPECT_EQ(p.status, kRuleFailedStatus);
  EXPECT_EQ(p.status & 0xF000, 0xC000) << "a failure status";
  EXPECT_FALSE(p.error_comment.empty());
  EXPECT_LE(p.error_comment.size(), 64u);
  EXPECT_EQ(p.part10, before) << "nothing was changed";
  EXPECT_EQ(p.record.patient_id, "1CT1");
  EXPECT_FALSE(p.data_set.has_value());
}

TEST(ApplyRules, ChangesThatChangeNothingLeaveTheBytesAlone) {
  PreparedInstance p = prepared("CT_small.dcm");
  const std::vector<uint8_t> before = p.part10;
  // Writing the value it has and removing what is absent are no changes.
  apply_rules(p, book(R"toml([[rule]]
name = "no-op"
then.set.PatientID = "1CT1"
then.remove = ["AdmittingDiagnosesDescription"]
)toml"),
              "ACCESSIONER", kNow);
  EXPECT_EQ(p.status, st::kSuccess);
  EXPECT_EQ(p.rules.matched, std::vector<std::string>{"no-op"});
  EXPECT_TRUE(p.rules.changes.empty());
  EXPECT_EQ(p.part10, before);
}

}  // namespace
}  // namespace acc::router
