#pragma once
// Shared by the rule language tests: parse helpers that fail the test with every error shown, and
// a subject whose attributes come from a map (counting how often evaluation asks).
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rules/rule_set.hpp"

namespace acc::rules::test {

using dicom::data::Tag;

inline const std::set<std::string> kDestinations = {"pacs", "research", "archive"};

inline std::string describe(const std::vector<RuleError>& errors) {
  std::string out;
  for (const auto& e : errors) {
    out += e.to_string();
    out += '\n';
  }
  return out;
}

inline RuleSet parse_ok(std::string_view toml) {
  auto result = RuleSet::parse(toml, "rules.toml", kDestinations);
  if (auto* errors = std::get_if<std::vector<RuleError>>(&result)) {
    ADD_FAILURE() << "unexpected errors:\n" << describe(*errors);
    return {};
  }
  return std::get<RuleSet>(std::move(result));
}

inline std::vector<RuleError> parse_errors(std::string_view toml) {
  auto result = RuleSet::parse(toml, "rules.toml", kDestinations);
  if (std::holds_alternative<RuleSet>(result)) {
    ADD_FAILURE() << "parsed without errors:\n" << toml;
    return {};
  }
  return std::get<std::vector<RuleError>>(std::move(result));
}

// The one error a text must produce; an empty error (and a test failure) otherwise.
inline RuleError only_error(std::string_view toml) {
  auto errors = parse_errors(toml);
  if (errors.size() != 1) {
    ADD_FAILURE() << "expected exactly one error, got " << errors.size() << ":\n"
                  << describe(errors);
    return {};
  }
  return errors.front();
}

inline bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

constexpr Tag kStationName{0x0008, 0x1010};
constexpr Tag kStudyDescription{0x0008, 0x1030};
constexpr Tag kInstitutionName{0x0008, 0x0080};
constexpr Tag kOperatorsName{0x0008, 0x1070};
constexpr Tag kPatientId{0x0010, 0x0020};
constexpr Tag kBodyPart{0x0018, 0x0015};

inline constexpr const char* kCtImageStorage = "1.2.840.10008.5.1.4.1.1.2";
inline constexpr const char* kMrImageStorage = "1.2.840.10008.5.1.4.1.1.4";

// A CT from CT_ED1 at 10.2.3.4 with a few attributes; tests bend what they need.
struct Subject {
  std::string calling_ae = "CT_ED1";
  std::string peer = "10.2.3.4";
  std::string modality = "CT";
  std::string sop_class = kCtImageStorage;
  std::map<Tag, std::string> attributes = {{kStationName, "ED_CT_1"},
                                           {kStudyDescription, "CHEST PA"},
                                           {kInstitutionName, "St. Elsewhere"},
                                           {kPatientId, "PAT1"}};
  std::shared_ptr<int> lookups = std::make_shared<int>(0);

  [[nodiscard]] RuleSubject get() const {
    RuleSubject s;
    s.calling_ae = calling_ae;
    s.peer_address = peer;
    s.modality = modality;
    s.sop_class_uid = sop_class;
    s.attribute = [attributes = attributes,
                   lookups = lookups](Tag tag) -> std::optional<std::string> {
      ++*lookups;
      const auto it = attributes.find(tag);
      if (it == attributes.end()) {
        return std::nullopt;
      }
      return it->second;
    };
    return s;
  }
};

inline RuleOutcome evaluate(const RuleSet& rules, const Subject& subject = {}) {
  return rules.evaluate(subject.get());
}

}  // namespace acc::rules::test
