// The example rule file shipped in packaging/ loads against the example's destinations and does
// what its comments say.
#include <gtest/gtest.h>

#include <variant>

#include "rules/rule_set.hpp"

namespace acc::rules {
namespace {

RuleSet packaged() {
  auto loaded =
      RuleSet::load({"rules.d/*.toml"}, std::filesystem::path(ACC_SOURCE_DIR) / "packaging",
                    {"pacs", "research-archive"});
  if (auto* errors = std::get_if<std::vector<RuleError>>(&loaded)) {
    for (const auto& e : *errors) {
      ADD_FAILURE() << e.to_string();
    }
    return RuleSet();
  }
  return std::get<RuleSet>(std::move(loaded));
}

RuleSubject subject(std::string calling_ae, std::string modality, std::string peer = "10.9.9.9") {
  RuleSubject s;
  s.calling_ae = std::move(calling_ae);
  s.peer_address = std::move(peer);
  s.modality = std::move(modality);
  s.attribute = [](dicom::data::Tag) { return std::optional<std::string>(); };
  return s;
}

TEST(PackagedRules, LoadAgainstTheExampleDestinations) {
  const RuleSet set = packaged();
  ASSERT_EQ(set.rules().size(), 4u);
  EXPECT_EQ(set.files().size(), 1u);
}

TEST(PackagedRules, DoWhatTheirNamesSay) {
  const RuleSet set = packaged();
  const RuleOutcome ct = set.evaluate(subject("CT01", "CT"));
  ASSERT_TRUE(ct.route.has_value());
  EXPECT_EQ(*ct.route, (std::vector<std::string>{"pacs", "research-archive"}));
  EXPECT_TRUE(ct.stamp);

  const RuleOutcome cr = set.evaluate(subject("CR_OLD2", "CR"));
  EXPECT_FALSE(cr.route.has_value());
  ASSERT_EQ(cr.changes.size(), 1u);  // OperatorsName is absent here: removing it changes nothing
  EXPECT_EQ(cr.changes[0].after, "General Hospital");

  EXPECT_EQ(set.evaluate(subject("US_CARD1", "US", "10.2.7.7")).matching.date_window_days, 1u);
  EXPECT_FALSE(set.evaluate(subject("US_CARD1", "US", "10.3.7.7")).matching.date_window_days);

  const RuleOutcome mr = set.evaluate(subject("MR3T", "MR"));
  EXPECT_FALSE(mr.stamp);
}

}  // namespace
}  // namespace acc::rules
