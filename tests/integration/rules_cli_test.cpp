// The rules CLI (issue 5): `check-config` reports every mistake of every rule file at its
// file:line:column, and `rules test` shows what the rules do to a file without sending anything.
// No server runs: only the configuration and the rule files are written.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "tests/integration/rules_helpers.hpp"

namespace acc::test {
namespace {

// A configuration with destinations "pacs" and "research" (nothing listens: nothing is sent) and
// rules.d/*.toml; with `worklist`, a [worklist] table too (never queried by these commands).
std::unique_ptr<AccessionerProcess> configured(bool worklist) {
  std::string tables = kRulesTable;
  if (worklist) {
    tables += stamping_toml({.ris_port = 11114});
  }
  auto server = std::make_unique<AccessionerProcess>(AccessionerOptions{
      .extra_tables = tables,
      .destinations = {{.name = "pacs", .ae_title = "PACS", .port = 11112},
                       {.name = "research", .ae_title = "RESEARCH", .port = 11113}}});
  server->write_config();
  return server;
}

TEST(RulesCli, CheckConfigReportsEveryRuleErrorAtItsFileLineAndColumn) {
  const auto config = configured(false);
  write_rules(*config, "10-conditions.toml", R"toml([[rule]]
name = "bad-conditions"
when.source = ["10.0.0.0/8", "10.1.0.0/33"]
when.calling_ae = "re:CT(0[1-9]"
then.route = ["pacs"]
)toml");
  write_rules(*config, "20-actions.toml", R"toml([[rule]]
name = "bad-actions"
when.modality = "CT"
then.route = ["pacs", "nowhere"]
then.set.InstitutionNam = "General Hospital"
then.set.SOPInstanceUID = "1.2.3"
then.remove = ["PixelData"]
)toml");
  write_rules(*config, "30-fine.toml", R"toml([[rule]]
name = "fine"
when.calling_ae = "CT*"
then.route = "research"
)toml");
  const ToolResult checked = config->command({"check-config"});
  EXPECT_EQ(checked.exit_code, 1) << checked.output;
  const std::string conditions = rules_file(*config, "10-conditions.toml").string();
  const std::string actions = rules_file(*config, "20-actions.toml").string();
  const std::vector<std::string> expected = {
      conditions + ":3:30: rule[0].when.source[1]: '10.1.0.0/33': prefix length must be 0..32",
      conditions +
          ":4:19: rule[0].when.calling_ae: invalid regular expression: Mismatched '(' "
          "and ')' in regular expression",
      actions +
          ":4:23: rule[0].then.route[1]: unknown destination 'nowhere' (configured: pacs, "
          "research)",
      actions +
          ":5:10: rule[0].then.set.InstitutionNam: unknown attribute keyword "
          "'InstitutionNam' (not in the DICOM dictionary; keywords are case-sensitive)",
      actions +
          ":6:10: rule[0].then.set.SOPInstanceUID: cannot set SOPInstanceUID: SOP Instance "
          "UID identifies the instance",
      actions +
          ":7:16: rule[0].then.remove[0]: cannot remove PixelData: pixel data (group 7FE0) "
          "is never changed",
  };
  EXPECT_EQ(lines_of(checked.output), expected) << checked.output;

  // Fixed, the same configuration passes.
  std::filesystem::remove(rules_file(*config, "10-conditions.toml"));
  std::filesystem::remove(rules_file(*config, "20-actions.toml"));
  const ToolResult fine = config->command({"check-config"});
  EXPECT_EQ(fine.exit_code, 0) << fine.output;
  EXPECT_EQ(fine.output, config->config_path().string() + ": OK\n");
}

constexpr const char* kSiteRules = R"toml([[rule]]
name = "ct-ed"
when.calling_ae = "CT*"
when.modality = "CT"
then.route = ["pacs", "research"]
then.set = { InstitutionName = "General Hospital", StudyDescription = "${StudyDescription} (ED)" }
then.remove = ["StationName"]

[[rule]]
name = "mr-pacs"
when.modality = "MR"
then.route = ["pacs"]
then.stamp = false
then.matching = { on_unmatched = "forward", date_window_days = 2 }
)toml";

TEST(RulesCli, RulesTestPrintsMatchesChangesStampingMatchingAndDestinations) {
  const auto config = configured(true);
  write_rules(*config, "10-site.toml", kSiteRules);
  const std::string ct = kCtSmall.string();
  const std::string rules = rules_file(*config, "10-site.toml").string();
  const ToolResult shown =
      config->command({"rules", "test", ct, "--calling-ae", "CT01", "--source", "10.1.2.3"});
  ASSERT_EQ(shown.exit_code, 0) << shown.output;
  const std::vector<std::string> expected = {
      ct + ": CTImageStorage, calling AE 'CT01', source 10.1.2.3",
      "2 rule(s) loaded from 1 file(s)",
      "matching rules:",
      "  'ct-ed' (" + rules + ":1)",
      "attribute changes:",
      "  (0008,0080) InstitutionName: \"JFK IMAGING CENTER\" -> \"General Hospital\"  (rule "
      "'ct-ed')",
      "  (0008,1010) StationName: \"CT01_OC0\" -> (removed)  (rule 'ct-ed')",
      "  (0008,1030) StudyDescription: \"e+1\" -> \"e+1 (ED)\"  (rule 'ct-ed')",
      "stamping: on",
      "matching: date_window_days = 0 existing_accession = keep on_unmatched = hold on_ambiguous "
      "= hold",
      "destinations: pacs, research",
      "nothing was sent or stored",
  };
  EXPECT_EQ(lines_of(shown.output), expected) << shown.output;

  // No rule matches a CT from a workstation: the defaults.
  const ToolResult defaults = config->command({"rules", "test", ct, "--calling-ae", "WS01"});
  ASSERT_EQ(defaults.exit_code, 0) << defaults.output;
  const auto lines = lines_of(defaults.output);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "matching rules: none (defaults apply)"),
            lines.end())
      << defaults.output;
  EXPECT_NE(std::find(lines.begin(), lines.end(), "attribute changes: none"), lines.end())
      << defaults.output;
  EXPECT_NE(std::find(lines.begin(), lines.end(), "destinations: pacs, research"), lines.end())
      << defaults.output;

  // The MR rule switches stamping off and tunes matching: marked as coming from a rule.
  const ToolResult mr =
      config->command({"rules", "test", kMrSmall.string(), "--calling-ae", "MR01"});
  ASSERT_EQ(mr.exit_code, 0) << mr.output;
  const auto mr_lines = lines_of(mr.output);
  for (const std::string line :
       {"stamping: off (stamp = false)",
        "matching: date_window_days = 2 (rule) existing_accession = keep on_unmatched = forward "
        "(rule) on_ambiguous = hold",
        "destinations: pacs"}) {
    EXPECT_NE(std::find(mr_lines.begin(), mr_lines.end(), line), mr_lines.end()) << line << "\n"
                                                                                 << mr.output;
  }
}

TEST(RulesCli, RulesTestJsonShowsTheRuleOverridesAndRoute) {
  const auto config = configured(true);
  write_rules(*config, "10-site.toml", kSiteRules);
  const std::string mr = kMrSmall.string();
  const nlohmann::json j =
      config->command_json({"rules", "test", mr, "--calling-ae", "MR01", "--source", "10.1.2.3"});
  EXPECT_EQ(j.value("file", ""), mr);
  EXPECT_EQ(j.value("sop_class", ""), "MRImageStorage");
  EXPECT_EQ(j.value("calling_ae", ""), "MR01");
  EXPECT_EQ(j.value("source", ""), "10.1.2.3");
  EXPECT_EQ(j.value("rules_loaded", 0), 2);
  ASSERT_EQ(j.at("matched").size(), 1u) << j.dump(2);
  EXPECT_EQ(j.at("matched")[0].value("name", ""), "mr-pacs");
  EXPECT_EQ(j.at("matched")[0].value("file", ""), rules_file(*config, "10-site.toml").string());
  EXPECT_EQ(j.at("matched")[0].value("line", 0), 9);
  EXPECT_TRUE(j.at("changes").empty()) << j.dump(2);
  EXPECT_EQ(j.value("stamp", true), false);
  const auto& m = j.at("matching");
  EXPECT_EQ(m.at("on_unmatched"), (nlohmann::json{{"value", "forward"}, {"from_rule", true}}));
  EXPECT_EQ(m.at("date_window_days"), (nlohmann::json{{"value", "2"}, {"from_rule", true}}));
  EXPECT_EQ(m.at("existing_accession"), (nlohmann::json{{"value", "keep"}, {"from_rule", false}}));
  EXPECT_EQ(m.at("on_ambiguous"), (nlohmann::json{{"value", "hold"}, {"from_rule", false}}));
  EXPECT_EQ(j.at("destinations"), nlohmann::json::array({"pacs"}));

  // The CT's changes in JSON: before and after, null for a removed attribute.
  const nlohmann::json c =
      config->command_json({"rules", "test", kCtSmall.string(), "--calling-ae", "CT01"});
  ASSERT_EQ(c.at("changes").size(), 3u) << c.dump(2);
  EXPECT_EQ(c.at("changes")[0], (nlohmann::json{{"tag", "(0008,0080)"},
                                                {"keyword", "InstitutionName"},
                                                {"before", "JFK IMAGING CENTER"},
                                                {"after", "General Hospital"},
                                                {"rule", "ct-ed"}}));
  EXPECT_EQ(c.at("changes")[1].value("keyword", ""), "StationName");
  EXPECT_TRUE(c.at("changes")[1].at("after").is_null());
  EXPECT_EQ(c.at("changes")[2].value("after", ""), "e+1 (ED)");
  EXPECT_EQ(c.value("stamp", false), true);
  EXPECT_EQ(c.at("destinations"), nlohmann::json::array({"pacs", "research"}));
}

}  // namespace
}  // namespace acc::test
