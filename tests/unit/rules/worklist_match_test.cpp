// Worklist matching, steps 1 and 2: who is a candidate and which filters exclude it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rules/worklist_match.hpp"
#include "tests/unit/rules/match_test_support.hpp"

namespace acc::rules {
namespace {

using namespace test;  // the shared builders (match_test_support.hpp)

Decision run(const InstanceAttributes& instance, const std::vector<CachedEntry>& entries,
             const MatchingPolicy& policy = {}) {
  return match(instance, entries, policy);
}

TEST(WorklistMatch, OneOrderForThePatientDayAndModalityMatches) {
  const auto d = run(ct_instance(), {order("ACC1")});
  EXPECT_EQ(d.outcome, Outcome::Matched) << trail(d);
  EXPECT_EQ(d.selected, 0u);
  EXPECT_EQ(d.instance_date_source, "StudyDate");
  ASSERT_EQ(d.verdicts.size(), 1u);
  EXPECT_TRUE(d.verdicts[0].kept);
  EXPECT_TRUE(contains(d.verdicts[0].reason, "selected by the filters"));
  EXPECT_TRUE(contains(d.reasons.back(), "matched: entry #0"));
}

TEST(WorklistMatch, TwoOrdersForTheSamePatientDayAndModalityAreAmbiguous) {
  auto instance = ct_instance();
  instance.calling_ae = "";
  instance.study_time = "";
  const auto d = run(instance, {order("ACC1"), order("ACC2")});
  EXPECT_EQ(d.outcome, Outcome::Ambiguous) << trail(d);
  EXPECT_FALSE(d.selected.has_value());
  ASSERT_EQ(d.verdicts.size(), 2u);
  for (const auto& v : d.verdicts) {
    EXPECT_TRUE(v.kept);
    EXPECT_EQ(v.reason, "candidate");
  }
  EXPECT_TRUE(contains(d.reasons.back(), "ambiguous: #0, #1"));
}

TEST(WorklistMatch, AnOrderForAnotherModalitySameDayDoesNotMatch) {
  const auto d = run(ct_instance(), {order("ACC1", "MR")});
  EXPECT_EQ(d.outcome, Outcome::Unmatched) << trail(d);
  EXPECT_FALSE(d.selected.has_value());
  ASSERT_EQ(d.verdicts.size(), 1u);
  EXPECT_FALSE(d.verdicts[0].kept);
  EXPECT_EQ(d.verdicts[0].reason, "modality MR ≠ CT");
}

TEST(WorklistMatch, OrdersOfOtherPatientsAreNotCandidatesAtAll) {
  auto other = order("ACC9");
  other.item.patient_id = "PAT2";
  const auto d = run(ct_instance(), {other});
  EXPECT_EQ(d.outcome, Outcome::Unmatched);
  EXPECT_TRUE(d.verdicts.empty());
  EXPECT_TRUE(contains(d.reasons.back(), "no worklist entry for this patient"));
  EXPECT_EQ(d.instance_date_source, "StudyDate");  // known even when nothing can match
}

TEST(WorklistMatch, AnInstanceWithoutPatientIdMatchesNothingNotEvenEntriesWithoutOne) {
  auto instance = ct_instance();
  instance.patient_id = "   ";
  auto anonymous = order("ACC1");
  anonymous.item.patient_id = "";
  const auto d = run(instance, {anonymous});
  EXPECT_EQ(d.outcome, Outcome::Unmatched);
  EXPECT_TRUE(d.verdicts.empty());
  EXPECT_TRUE(contains(d.reasons.back(), "no Patient ID"));
}

TEST(WorklistMatch, PatientIdsDifferingOnlyByCaseDoNotMatch) {
  auto lower = order("ACC1");
  lower.item.patient_id = "pat1";
  const auto d = run(ct_instance(), {lower});
  EXPECT_EQ(d.outcome, Outcome::Unmatched) << trail(d);
  EXPECT_TRUE(d.verdicts.empty());
  bool noted = false;
  for (const auto& r : d.reasons) {
    noted = noted || contains(r, "up to letter case");
  }
  EXPECT_TRUE(noted) << trail(d);
}

TEST(WorklistMatch, PatientIdsDifferingOnlyByPaddingSpacesMatch) {
  auto padded = order("ACC1");
  padded.item.patient_id = "  PAT1 ";
  auto instance = ct_instance();
  instance.patient_id = "PAT1   ";
  const auto d = run(instance, {padded});
  EXPECT_EQ(d.outcome, Outcome::Matched) << trail(d);
}

TEST(WorklistMatch, InnerSpacesInPatientIdsAreSignificant) {
  auto spaced = order("ACC1");
  spaced.item.patient_id = "PAT 1";
  auto instance = ct_instance();
  instance.patient_id = "PAT1";
  EXPECT_EQ(run(instance, {spaced}).outcome, Outcome::Unmatched);
}

TEST(WorklistMatch, DifferentIssuersOfPatientIdExcludeWhenBothSidesNameOne) {
  auto instance = ct_instance();
  instance.issuer_of_patient_id = "HOSP_A";
  auto other_issuer = order("ACC1");
  other_issuer.item.issuer_of_patient_id = "HOSP_B";
  const auto d = run(instance, {other_issuer});
  EXPECT_EQ(d.outcome, Outcome::Unmatched) << trail(d);
  ASSERT_EQ(d.verdicts.size(), 1u);
  EXPECT_EQ(d.verdicts[0].reason, "Issuer of Patient ID 'HOSP_B' ≠ 'HOSP_A'");
  EXPECT_TRUE(contains(d.reasons[1], "1 of them not under the instance's issuer")) << trail(d);
}

TEST(WorklistMatch, IssuerOfPatientIdIsComparedOnlyWhenBothSidesHaveOne) {
  auto same_issuer = order("ACC1");
  same_issuer.item.issuer_of_patient_id = " HOSP_A ";
  auto instance = ct_instance();
  instance.issuer_of_patient_id = "HOSP_A";
  EXPECT_EQ(run(instance, {same_issuer}).outcome, Outcome::Matched);

  auto no_issuer = order("ACC1");
  EXPECT_EQ(run(instance, {no_issuer}).outcome, Outcome::Matched);

  instance.issuer_of_patient_id = "";
  auto entry_issuer_only = order("ACC1");
  entry_issuer_only.item.issuer_of_patient_id = "HOSP_B";
  EXPECT_EQ(run(instance, {entry_issuer_only}).outcome, Outcome::Matched);
}

struct WindowCase {
  std::string scheduled;
  int window;
  Outcome outcome;
  std::string reason;  // excluded entry's reason, empty when it matches
};

class DateWindow : public ::testing::TestWithParam<WindowCase> {};

TEST_P(DateWindow, ComparesCalendarDaysAgainstTheWindow) {
  const auto& c = GetParam();
  MatchingPolicy policy;
  policy.date_window_days = c.window;
  const auto d = run(ct_instance(), {order("ACC1", "CT", c.scheduled)}, policy);
  EXPECT_EQ(d.outcome, c.outcome) << trail(d);
  if (!c.reason.empty()) {
    ASSERT_EQ(d.verdicts.size(), 1u);
    EXPECT_EQ(d.verdicts[0].reason, c.reason);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DateWindow,
    ::testing::Values(
        WindowCase{"20240107", 0, Outcome::Matched, ""},
        WindowCase{"20240106", 1, Outcome::Matched, ""},
        WindowCase{"20240106", 0, Outcome::Unmatched,
                   "scheduled 20240106 is 1 day from study date 20240107 (window 0)"},
        WindowCase{"20240108", 1, Outcome::Matched, ""},
        WindowCase{"20240105", 0, Outcome::Unmatched,
                   "scheduled 20240105 is 2 days from study date 20240107 (window 0)"},
        WindowCase{"20240105", 1, Outcome::Unmatched,
                   "scheduled 20240105 is 2 days from study date 20240107 (window 1)"},
        WindowCase{"20240105", 2, Outcome::Matched, ""},
        WindowCase{"20231231", 7, Outcome::Matched, ""},
        WindowCase{"20231231", 6, Outcome::Unmatched,
                   "scheduled 20231231 is 7 days from study date 20240107 (window 6)"},
        WindowCase{"20240106", -1, Outcome::Unmatched,
                   "scheduled 20240106 is 1 day from study date 20240107 (window 0)"}));

TEST(WorklistMatch, WindowCountsLeapDaysAndYearBoundaries) {
  MatchingPolicy policy;
  policy.date_window_days = 1;
  auto instance = ct_instance();
  instance.study_date = "20240301";
  EXPECT_EQ(run(instance, {order("A", "CT", "20240229")}, policy).outcome, Outcome::Matched);
  EXPECT_EQ(run(instance, {order("A", "CT", "20240228")}, policy).outcome, Outcome::Unmatched);
  instance.study_date = "20240101";
  EXPECT_EQ(run(instance, {order("A", "CT", "20231231")}, policy).outcome, Outcome::Matched);
}

struct DateSourceCase {
  std::string study, series, acquisition, content;
  std::string source;
  Outcome outcome;
};

class InstanceDateFallback : public ::testing::TestWithParam<DateSourceCase> {};

TEST_P(InstanceDateFallback, UsesTheFirstValidDateInOrder) {
  const auto& c = GetParam();
  auto instance = ct_instance();
  instance.study_date = c.study;
  instance.series_date = c.series;
  instance.acquisition_date = c.acquisition;
  instance.content_date = c.content;
  const auto d = run(instance, {order("ACC1", "CT", "20240107")});
  EXPECT_EQ(d.instance_date_source, c.source) << trail(d);
  EXPECT_EQ(d.outcome, c.outcome) << trail(d);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, InstanceDateFallback,
    ::testing::Values(
        DateSourceCase{"20240107", "20240101", "20240101", "20240101", "StudyDate",
                       Outcome::Matched},
        DateSourceCase{"", "20240107", "20240101", "20240101", "SeriesDate", Outcome::Matched},
        DateSourceCase{"", "", "20240107", "20240101", "AcquisitionDate", Outcome::Matched},
        DateSourceCase{"", "", "", "20240107", "ContentDate", Outcome::Matched},
        DateSourceCase{"", "", "", "20240106", "ContentDate", Outcome::Unmatched},
        DateSourceCase{"2024-01-07", "20240107", "", "", "SeriesDate", Outcome::Matched},
        DateSourceCase{"20240230", "", "2024.01.07", "20240107", "ContentDate", Outcome::Matched},
        DateSourceCase{"", "", "", "", "", Outcome::Unmatched},
        DateSourceCase{"20241301", "0", "", "x", "", Outcome::Unmatched}));

TEST(WorklistMatch, WithoutAnyInstanceDateEveryCandidateIsExcluded) {
  auto instance = ct_instance();
  instance.study_date = "";
  const auto d = run(instance, {order("ACC1"), order("ACC2")});
  EXPECT_EQ(d.outcome, Outcome::Unmatched);
  ASSERT_EQ(d.verdicts.size(), 2u);
  for (const auto& v : d.verdicts) {
    EXPECT_EQ(v.reason, "no date to match on");
  }
  bool explained = false;
  for (const auto& r : d.reasons) {
    explained = explained || contains(r, "no instance date to match on");
  }
  EXPECT_TRUE(explained) << trail(d);
}

TEST(WorklistMatch, SkippedInvalidInstanceDatesAreNamedInTheTrail) {
  auto instance = ct_instance();
  instance.study_date = "2024-01-07";
  instance.series_date = "20240107";
  const auto d = run(instance, {order("ACC1")});
  bool named = false;
  for (const auto& r : d.reasons) {
    named = named || contains(r, "StudyDate '2024-01-07' is not a valid YYYYMMDD date");
  }
  EXPECT_TRUE(named) << trail(d);
}

TEST(WorklistMatch, AnEntryWithoutOrWithAnInvalidScheduledDateNeverMatches) {
  const auto d = run(ct_instance(), {order("A", "CT", ""), order("B", "CT", "2024017"),
                                     order("C", "CT", "20240231")});
  EXPECT_EQ(d.outcome, Outcome::Unmatched);
  EXPECT_EQ(verdict_for(d, 0)->reason, "no scheduled date");
  EXPECT_EQ(verdict_for(d, 1)->reason, "scheduled date '2024017' is not a valid YYYYMMDD date");
  EXPECT_EQ(verdict_for(d, 2)->reason, "scheduled date '20240231' is not a valid YYYYMMDD date");
}

TEST(WorklistMatch, AnEntryWithoutModalityNeverMatches) {
  const auto d = run(ct_instance(), {order("A", "")});
  EXPECT_EQ(d.outcome, Outcome::Unmatched);
  EXPECT_EQ(verdict_for(d, 0)->reason, "no scheduled modality");
}

TEST(WorklistMatch, AnInstanceWithoutModalityMatchesNothing) {
  auto instance = ct_instance();
  instance.modality = " ";
  const auto d = run(instance, {order("A")});
  EXPECT_EQ(d.outcome, Outcome::Unmatched);
  EXPECT_EQ(verdict_for(d, 0)->reason, "the instance has no modality");
}

TEST(WorklistMatch, MultiValuedInstanceModalityMatchesIfAnyValueMatches) {
  auto instance = ct_instance();
  instance.modality = "PT\\CT";
  EXPECT_EQ(run(instance, {order("A", "CT")}).outcome, Outcome::Matched);
  EXPECT_EQ(run(instance, {order("A", "PT")}).outcome, Outcome::Matched);
  const auto d = run(instance, {order("A", "MR")});
  EXPECT_EQ(d.outcome, Outcome::Unmatched);
  EXPECT_EQ(verdict_for(d, 0)->reason, "modality MR ≠ PT\\CT");
}

TEST(WorklistMatch, ModalityCodesAreCaseSensitive) {
  auto instance = ct_instance();
  instance.modality = "ct";
  EXPECT_EQ(run(instance, {order("A", "CT")}).outcome, Outcome::Unmatched);
}

struct AliasCase {
  std::string instance_modality;
  std::string entry_modality;
  bool with_aliases;
  Outcome outcome;
};

class ModalityAliases : public ::testing::TestWithParam<AliasCase> {};

TEST_P(ModalityAliases, TreatCodesOfOneGroupAsEqual) {
  const auto& c = GetParam();
  MatchingPolicy policy;
  if (c.with_aliases) {
    policy.modality_aliases = {{"PT", "PET"}, {"CR", "DX"}, {"DX", "DR"}};
  }
  auto instance = ct_instance();
  instance.modality = c.instance_modality;
  const auto d = run(instance, {order("A", c.entry_modality)}, policy);
  EXPECT_EQ(d.outcome, c.outcome) << c.instance_modality << " vs " << c.entry_modality << trail(d);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ModalityAliases,
    ::testing::Values(
        AliasCase{"PET", "PT", true, Outcome::Matched},
        AliasCase{"PT", "PET", true, Outcome::Matched},
        AliasCase{"PET", "PT", false, Outcome::Unmatched},
        AliasCase{"CR", "DX", true, Outcome::Matched},
        AliasCase{"DX", "CR", true, Outcome::Matched},
        AliasCase{"CR", "DX", false, Outcome::Unmatched},
        AliasCase{"DR", "DX", true, Outcome::Matched},
        // Groups are not chained: CR~DX and DX~DR do not make CR~DR.
        AliasCase{"CR", "DR", true, Outcome::Unmatched},
        // A CT with a PT order: maybe the CT part of a PET/CT, so it competes (issue 10).
        AliasCase{"CT", "PT", true, Outcome::Conflict},
        AliasCase{"MR\\PET", "PT", true, Outcome::Matched}));

struct StatusCase {
  std::string status;
  Outcome outcome;
};

class SpsStatus : public ::testing::TestWithParam<StatusCase> {};

TEST_P(SpsStatus, CanceledNeverMatchesDiscontinuedIsHeldOthersMatch) {
  auto entry = order("A");
  entry.item.sps_status = GetParam().status;
  const auto d = run(ct_instance(), {entry});
  EXPECT_EQ(d.outcome, GetParam().outcome) << GetParam().status << trail(d);
  if (GetParam().outcome == Outcome::Unmatched) {
    EXPECT_EQ(d.verdicts[0].reason, "status " + std::string(GetParam().status));
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, SpsStatus,
                         ::testing::Values(StatusCase{"DISCONTINUED", Outcome::Conflict},
                                           StatusCase{"CANCELED", Outcome::Unmatched},
                                           StatusCase{"CANCELLED", Outcome::Unmatched},
                                           StatusCase{"canceled", Outcome::Unmatched},
                                           StatusCase{"COMPLETED", Outcome::Matched},
                                           StatusCase{"SCHEDULED", Outcome::Matched},
                                           StatusCase{"STARTED", Outcome::Matched},
                                           StatusCase{"ARRIVED", Outcome::Matched},
                                           StatusCase{"", Outcome::Matched}));

// The step of the true order was discontinued while its images were on their way: the other
// order of the patient (replaced, but still within grace_s) must not win by its absence.
TEST(WorklistMatch, ADiscontinuedOrderCompetesAndIsNeverStamped) {
  auto discontinued = order("A");
  discontinued.item.sps_status = "DISCONTINUED";
  const auto alone = run(ct_instance(), {discontinued});
  EXPECT_EQ(alone.outcome, Outcome::Conflict) << trail(alone);
  EXPECT_EQ(alone.verdicts[0].reason,
            "evidence against: order 'A' was discontinued: images "
            "taken before the stop are its own")
      << trail(alone);
  const auto with_other = run(ct_instance(), {discontinued, order("B")});
  EXPECT_EQ(with_other.outcome, Outcome::Ambiguous) << trail(with_other);
  EXPECT_FALSE(with_other.selected.has_value());
}

TEST(WorklistMatch, StaleEntriesNeverMatch) {
  auto entry = order("A");
  entry.stale = true;
  const auto d = run(ct_instance(), {entry});
  EXPECT_EQ(d.outcome, Outcome::Unmatched);
  EXPECT_EQ(d.verdicts[0].reason, "stale: gone from the RIS");
}

TEST(WorklistMatch, AStaleOrCanceledTwinDoesNotMakeALiveOrderAmbiguous) {
  auto stale = order("A");
  stale.stale = true;
  auto canceled = order("B");
  canceled.item.sps_status = "CANCELED";
  const auto d = run(ct_instance(), {stale, canceled, order("C")});
  EXPECT_EQ(d.outcome, Outcome::Matched) << trail(d);
  EXPECT_EQ(d.selected, 2u);
}

TEST(WorklistMatch, VerdictsCoverEverySamePatientEntryWithEveryReason) {
  auto instance = ct_instance();
  instance.issuer_of_patient_id = "HOSP_A";
  const auto under_a = [](CachedEntry e) {
    e.item.issuer_of_patient_id = "HOSP_A";
    return e;
  };
  auto other_patient = order("X");
  other_patient.item.patient_id = "PAT2";
  auto wrong_issuer = order("I");
  wrong_issuer.item.issuer_of_patient_id = "HOSP_B";
  auto everything_wrong = under_a(order("W", "MR", "20240101"));
  everything_wrong.stale = true;
  everything_wrong.item.sps_status = "CANCELED";
  // Without an issuer while the Patient ID also exists under HOSP_B: whose is it?
  const auto no_issuer = order("N");
  const std::vector<CachedEntry> entries = {
      other_patient,    under_a(order("OK")), under_a(order("M", "MR")),
      everything_wrong, wrong_issuer,         no_issuer};
  const auto d = run(instance, entries);
  EXPECT_EQ(d.outcome, Outcome::Matched) << trail(d);
  EXPECT_EQ(d.selected, 1u);
  ASSERT_EQ(d.verdicts.size(), 5u) << trail(d);
  EXPECT_EQ(verdict_for(d, 0), nullptr);
  EXPECT_TRUE(verdict_for(d, 1)->kept);
  EXPECT_EQ(verdict_for(d, 2)->reason, "modality MR ≠ CT");
  EXPECT_EQ(verdict_for(d, 3)->reason,
            "status CANCELED; modality MR ≠ CT; scheduled 20240101 is 6 days from study date "
            "20240107 (window 0); stale: gone from the RIS");
  EXPECT_EQ(verdict_for(d, 4)->reason, "Issuer of Patient ID 'HOSP_B' ≠ 'HOSP_A'");
  EXPECT_EQ(verdict_for(d, 5)->reason,
            "no Issuer of Patient ID, while this Patient ID exists under issuer 'HOSP_B' too");
  for (const auto& v : d.verdicts) {
    EXPECT_FALSE(v.reason.empty());
    EXPECT_EQ(v.kept, v.index == 1u);
    EXPECT_EQ(v.accession, entries[v.index].item.accession_number);
  }
}

TEST(WorklistMatch, TheTrailReadsStepByStepAndEndsWithTheOutcome) {
  const auto d = run(ct_instance(), {order("A"), order("B", "MR")});
  ASSERT_GE(d.reasons.size(), 5u) << trail(d);
  EXPECT_TRUE(contains(d.reasons[0], "instance date: StudyDate 20240107"));
  EXPECT_TRUE(contains(d.reasons[1], "step 1: 2 of 2 entries have the Patient ID"));
  EXPECT_TRUE(contains(d.reasons[2], "step 2: demographics agree"));
  EXPECT_TRUE(contains(d.reasons[3], "step 3: 1 of 2 orders pass"));
  EXPECT_EQ(d.reasons.back(), "matched: entry #0, selected by the filters (the only order left)");
}

}  // namespace
}  // namespace acc::rules
