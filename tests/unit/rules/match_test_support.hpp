#pragma once
// Builders shared by the worklist matching tests: a CT instance of patient PAT1 on 2024-01-07
// at 10:00 and orders for it that individual tests then bend.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rules/worklist_match.hpp"

namespace acc::rules::test {

inline InstanceAttributes ct_instance() {
  InstanceAttributes i;
  i.patient_id = "PAT1";
  i.modality = "CT";
  i.study_date = "20240107";
  i.study_time = "100000";
  i.calling_ae = "CT01";
  return i;
}

inline CachedEntry order(std::string accession, std::string modality = "CT",
                         std::string date = "20240107", std::string time = "") {
  CachedEntry e;
  e.item.patient_id = "PAT1";
  e.item.accession_number = std::move(accession);
  e.item.modality = std::move(modality);
  e.item.sps_start_date = std::move(date);
  e.item.sps_start_time = std::move(time);
  e.item.sps_status = "SCHEDULED";
  return e;
}

inline const CandidateVerdict* verdict_for(const Decision& d, std::size_t index) {
  for (const auto& v : d.verdicts) {
    if (v.index == index) {
      return &v;
    }
  }
  return nullptr;
}

// gmock is not linked into unit tests, so a substring check of our own.
inline ::testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

// The decision's audit trail, for failure messages.
inline std::string trail(const Decision& d) {
  std::string out;
  for (const auto& r : d.reasons) {
    out += "\n  " + r;
  }
  for (const auto& v : d.verdicts) {
    // Appended piece by piece: "literal" + std::string trips g++ 12's false -Wrestrict (105651).
    out += "\n  ";
    out += v.index == kNoEntry ? "order " : "#";
    out += v.index == kNoEntry ? v.accession : std::to_string(v.index);
    out += v.kept ? " kept: " : " excluded: ";
    out += v.reason;
  }
  return out;
}

}  // namespace acc::rules::test
