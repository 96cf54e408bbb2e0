// Worklist matching under issue 10's invariants: the right patient (demographics, issuers), one
// order one study, no guessing (evidence for and against), complete candidate sets (undecodable
// items, orders that left the worklist during a hold). Each test here failed on the matcher of
// issue 4, which stamped what it could not tell apart.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rules/worklist_match.hpp"
#include "tests/unit/rules/match_test_support.hpp"

namespace acc::rules {
namespace {

using namespace test;  // the shared builders (match_test_support.hpp)

constexpr const char* kImageUid = "1.2.826.0.1.3680043.2.1125.7.1";
constexpr const char* kOtherUid = "1.2.826.0.1.3680043.2.1125.7.2";

// John Doe's CT, with the demographics a modality copies from the worklist.
InstanceAttributes doe_instance() {
  auto i = ct_instance();
  i.patient_name = "DOE^JOHN";
  i.patient_birth_date = "19700101";
  i.patient_sex = "M";
  i.study_instance_uid = kImageUid;
  return i;
}

CachedEntry doe(CachedEntry e) {
  e.item.patient_name = "Doe^John";
  e.item.patient_birth_date = "19700101";
  e.item.patient_sex = "M";
  return e;
}

CachedEntry with_issuer(CachedEntry e, std::string issuer) {
  e.item.issuer_of_patient_id = std::move(issuer);
  return e;
}

CachedEntry with_uid(CachedEntry e, std::string uid) {
  e.item.study_instance_uid = std::move(uid);
  return e;
}

CachedEntry with_station(CachedEntry e, std::string ae) {
  e.item.scheduled_station_ae = std::move(ae);
  return e;
}

CachedEntry stale(CachedEntry e) {
  e.stale = true;
  return e;
}

// What the cache keeps of an item it could not decode: the patient, nothing else.
CachedEntry undecodable(std::string patient_id = "PAT1") {
  CachedEntry e;
  e.item.patient_id = std::move(patient_id);
  e.undecodable = true;
  return e;
}

Decision run(const InstanceAttributes& instance, const std::vector<CachedEntry>& entries,
             const MatchHistory& history = {}) {
  return match(instance, entries, {}, history);
}

const CandidateVerdict* verdict_for_accession(const Decision& d, const std::string& accession) {
  for (const auto& v : d.verdicts) {
    if (v.accession == accession) {
      return &v;
    }
  }
  return nullptr;
}

using Accessions = std::vector<std::string>;

// --- 1. Right patient: demographics -------------------------------------------------------------

TEST(RightPatient, TheOnlyOrderOfTheIdDisagreeingInDemographicsIsAConflict) {
  // A typo on the console hits another patient's ID, who has a same-day CT order.
  struct Case {
    const char* what;
    void (*bend)(CachedEntry&);
    const char* reason;
  };
  const Case cases[] = {
      {"birth date", [](CachedEntry& e) { e.item.patient_birth_date = "19811224"; },
       "Birth Date '19700101' ≠ the order's '19811224'"},
      {"sex", [](CachedEntry& e) { e.item.patient_sex = "F"; }, "Sex 'M' ≠ the order's 'F'"},
      {"family name", [](CachedEntry& e) { e.item.patient_name = "ROE^JOHN"; },
       "family name 'DOE' ≠ the order's 'ROE'"},
  };
  for (const auto& c : cases) {
    auto other = doe(order("ACC1"));
    c.bend(other);
    const auto d = run(doe_instance(), {other});
    EXPECT_EQ(d.outcome, Outcome::Conflict) << c.what << trail(d);
    EXPECT_FALSE(d.selected.has_value()) << c.what;
    EXPECT_TRUE(contains(verdict_for(d, 0)->reason, "another patient? ")) << c.what;
    EXPECT_TRUE(contains(verdict_for(d, 0)->reason, c.reason)) << c.what;
    EXPECT_EQ(d.competing, Accessions{"ACC1"}) << c.what;
    EXPECT_TRUE(contains(d.reasons.back(), "conflict: the Patient ID may be another patient's"));
  }
}

TEST(RightPatient, OneDisagreeingOrderIsAConflictEvenWhenAnotherAgrees) {
  // Same ID, two people: the CT order agrees, an MR order of the same day does not. Whose ID is
  // it? The MR order would not have matched anyway; it still makes the ID doubtful.
  auto mr = doe(order("MR1", "MR"));
  mr.item.patient_birth_date = "19811224";
  const auto d = run(doe_instance(), {doe(order("CT1")), mr});
  EXPECT_EQ(d.outcome, Outcome::Conflict) << trail(d);
  EXPECT_FALSE(d.selected.has_value());
  EXPECT_TRUE(contains(verdict_for(d, 1)->reason, "Birth Date")) << trail(d);
}

TEST(RightPatient, DemographicsAbsentOnOneSideOrWithinToleranceMatch) {
  // Orders without demographics (a RIS that does not return them) are no evidence either way.
  EXPECT_EQ(run(doe_instance(), {order("ACC1")}).outcome, Outcome::Matched);
  auto instance = ct_instance();  // no demographics on the image
  EXPECT_EQ(run(instance, {doe(order("ACC1"))}).outcome, Outcome::Matched);
  // Case, accents, a given name and sex O do not disagree.
  auto variant = doe(order("ACC1"));
  variant.item.patient_name = "doe^J";
  variant.item.patient_sex = "O";
  EXPECT_EQ(run(doe_instance(), {variant}).outcome, Outcome::Matched);
  // One typo in a long name with the same birth date is tolerated.
  auto schmidt = doe_instance();
  schmidt.patient_name = "SCHMIDT^HANS";
  auto schmitt = doe(order("ACC1"));
  schmitt.item.patient_name = "Schmitt^Hans";
  EXPECT_EQ(run(schmidt, {schmitt}).outcome, Outcome::Matched);
}

// --- 1. Right patient: Issuer of Patient ID -----------------------------------------------------

TEST(RightPatient, AnInstanceWithoutIssuerWhoseIdExistsUnderTwoIssuersIsAmbiguous) {
  // Only HOSP_A's order is a CT today; HOSP_B's PAT1 is someone else, but which PAT1 is this?
  const std::vector<CachedEntry> entries = {with_issuer(order("A1"), "HOSP_A"),
                                            with_issuer(order("B1", "MR"), "HOSP_B")};
  const auto d = run(ct_instance(), entries);
  EXPECT_EQ(d.outcome, Outcome::Ambiguous) << trail(d);
  EXPECT_FALSE(d.selected.has_value());
  EXPECT_TRUE(contains(d.reasons.back(), "exists under issuers 'HOSP_A', 'HOSP_B'")) << trail(d);
  for (const auto& v : d.verdicts) {
    EXPECT_FALSE(v.kept);
    EXPECT_TRUE(contains(v.reason, "the instance names no Issuer of Patient ID"));
  }
}

TEST(RightPatient, AnEntryWithoutIssuerIsExcludedWhenAnotherNamesADifferentIssuer) {
  auto instance = ct_instance();
  instance.issuer_of_patient_id = "HOSP_A";
  // The entry without an issuer may be HOSP_B's PAT1: the RIS knows PAT1 under HOSP_B.
  const std::vector<CachedEntry> entries = {order("N1"), with_issuer(order("B1", "MR"), "HOSP_B")};
  const auto d = run(instance, entries);
  EXPECT_EQ(d.outcome, Outcome::Unmatched) << trail(d);
  EXPECT_EQ(verdict_for(d, 0)->reason,
            "no Issuer of Patient ID, while this Patient ID exists under issuer 'HOSP_B' too");
  EXPECT_EQ(verdict_for(d, 1)->reason, "Issuer of Patient ID 'HOSP_B' ≠ 'HOSP_A'");
}

TEST(RightPatient, AnEntryWithoutIssuerStillMatchesWhenNoOtherIssuerIsKnown) {
  auto instance = ct_instance();
  instance.issuer_of_patient_id = "HOSP_A";
  EXPECT_EQ(run(instance, {order("N1")}).outcome, Outcome::Matched);
  EXPECT_EQ(run(instance, {order("N1"), with_issuer(order("A1", "MR"), "HOSP_A")}).outcome,
            Outcome::Matched);
}

// --- 5. Candidate sets stay complete
// --------------------------------------------------------------

TEST(CompleteCandidates, AnUndecodableItemOfThePatientIsNeverMatched) {
  const auto alone = run(ct_instance(), {undecodable()});
  EXPECT_EQ(alone.outcome, Outcome::Conflict) << trail(alone);
  EXPECT_FALSE(alone.selected.has_value());
  EXPECT_TRUE(contains(alone.reasons.back(), "could not be decoded")) << trail(alone);
  EXPECT_TRUE(contains(verdict_for(alone, 0)->reason, "could not be decoded")) << trail(alone);
  EXPECT_TRUE(alone.competing.empty());  // it has no accession to remember
}

TEST(CompleteCandidates, AnUndecodableItemOfThePatientCompetesWithItsOrders) {
  const auto d = run(ct_instance(), {order("ACC1"), undecodable()});
  EXPECT_EQ(d.outcome, Outcome::Ambiguous) << trail(d);
  EXPECT_FALSE(d.selected.has_value());
  EXPECT_EQ(d.competing, Accessions{"ACC1"});
  // Another patient's undecodable item is not a competitor.
  EXPECT_EQ(run(ct_instance(), {order("ACC1"), undecodable("PAT2")}).outcome, Outcome::Matched);
}

TEST(CompleteCandidates, EvidenceForALiveOrderDoesNotSilenceAnUndecodableOne) {
  // The undecodable item's station and Study UID are unknown: it may carry the same ones.
  auto instance = ct_instance();
  instance.study_instance_uid = kImageUid;
  const auto by_station = run(instance, {with_station(order("ACC1"), "CT01"), undecodable()});
  EXPECT_NE(by_station.outcome, Outcome::Matched) << trail(by_station);
  const auto by_uid = run(instance, {with_uid(order("ACC1"), kImageUid), undecodable()});
  EXPECT_NE(by_uid.outcome, Outcome::Matched) << trail(by_uid);
}

TEST(CompleteCandidates, AStaleOrderRememberedFromTheHoldKeepsCompeting) {
  MatchHistory history;
  history.earlier_candidates = {"A"};
  // Alone: it cannot be stamped (it left the worklist), and nothing else may take its place.
  const auto alone = run(ct_instance(), {stale(order("A"))}, history);
  EXPECT_EQ(alone.outcome, Outcome::Conflict) << trail(alone);
  EXPECT_TRUE(contains(alone.reasons.back(), "has left the worklist since")) << trail(alone);
  // With the other order of the hold: still two, not "B matches uniquely by attrition".
  const auto both = run(ct_instance(), {stale(order("A")), order("B")}, history);
  EXPECT_EQ(both.outcome, Outcome::Ambiguous) << trail(both);
  EXPECT_EQ(both.competing, (Accessions{"A", "B"}));
  EXPECT_EQ(verdict_for(both, 0)->reason,
            "left the worklist during the hold: competes, never stamped");
}

TEST(CompleteCandidates, AStaleOrderNotRememberedStillNeverMatches) {
  EXPECT_EQ(run(ct_instance(), {stale(order("A"))}).outcome, Outcome::Unmatched);
  EXPECT_EQ(run(ct_instance(), {stale(order("A")), order("B")}).outcome, Outcome::Matched);
}

TEST(CompleteCandidates, ARememberedOrderGoneFromTheCacheIsAPhantomCompetitor) {
  MatchHistory history;
  history.earlier_candidates = {"GONE"};
  const auto d = run(ct_instance(), {order("B")}, history);
  EXPECT_EQ(d.outcome, Outcome::Ambiguous) << trail(d);
  const auto* phantom = verdict_for_accession(d, "GONE");
  ASSERT_NE(phantom, nullptr) << trail(d);
  EXPECT_EQ(phantom->index, kNoEntry);
  EXPECT_TRUE(phantom->kept);
  EXPECT_EQ(d.competing, (Accessions{"B", "GONE"}));
  EXPECT_TRUE(contains(d.reasons.back(), "order GONE")) << trail(d);
  // Alone, the patient's orders all gone: a conflict, never "unmatched" (forwarded unstamped).
  const auto alone = run(ct_instance(), {}, history);
  EXPECT_EQ(alone.outcome, Outcome::Conflict) << trail(alone);
  ASSERT_EQ(alone.verdicts.size(), 1u);
  EXPECT_EQ(alone.verdicts[0].index, kNoEntry);
  EXPECT_TRUE(contains(alone.reasons.back(), "is no longer in the worklist"));
}

TEST(CompleteCandidates, EvidenceForALiveOrderDoesNotSilenceAPhantom) {
  // Held between A and B, both scheduled on the calling station; A left the cache. B's station
  // is no evidence against A, whose station is not known any more.
  MatchHistory history;
  history.earlier_candidates = {"A", "B"};
  auto instance = ct_instance();
  const auto by_station = run(instance, {with_station(order("B"), "CT01")}, history);
  EXPECT_EQ(by_station.outcome, Outcome::Ambiguous) << trail(by_station);
  instance.study_instance_uid = kImageUid;
  const auto by_uid = run(instance, {with_uid(order("B"), kImageUid)}, history);
  EXPECT_EQ(by_uid.outcome, Outcome::Ambiguous) << trail(by_uid);
}

// --- 3. One order, one study
// ------------------------------------------------------------------------

TEST(OneOrderOneStudy, AnOrderStampedOnAnotherStudyIsNotStampedAgain) {
  MatchHistory history;
  history.studies_of = [](std::string_view accession) {
    return accession == "ACC1" ? std::vector<std::string>{kOtherUid} : std::vector<std::string>{};
  };
  // A second, unordered scan of the patient the same day (or a COMPLETED order's repeat).
  auto completed = doe(order("ACC1"));
  completed.item.sps_status = "COMPLETED";
  const auto d = run(doe_instance(), {completed}, history);
  EXPECT_EQ(d.outcome, Outcome::Unmatched) << trail(d);
  EXPECT_TRUE(contains(verdict_for(d, 0)->reason, std::string("already stamped on study ") +
                                                      kOtherUid + " (one order, one study)"));
  // Another order of the patient is still free to match.
  const auto other = run(doe_instance(), {completed, doe(order("ACC2"))}, history);
  EXPECT_EQ(other.outcome, Outcome::Matched) << trail(other);
  EXPECT_EQ(other.selected, 1u);
}

TEST(OneOrderOneStudy, TheOrdersOwnStudyStillMatches) {
  MatchHistory history;
  history.studies_of = [](std::string_view) { return std::vector<std::string>{kImageUid}; };
  const auto d = run(doe_instance(), {doe(order("ACC1"))}, history);
  EXPECT_EQ(d.outcome, Outcome::Matched) << trail(d);
}

// --- 4. No guessing: evidence against
// ---------------------------------------------------------------

TEST(EvidenceAgainst, TheImagesStudyUidBeingAnotherOrdersIsAConflict) {
  // Same patient: the UID is that of the MR order (excluded by modality) ...
  const auto same_patient =
      run(doe_instance(), {doe(order("CT1")), with_uid(doe(order("MR1", "MR")), kImageUid)});
  EXPECT_EQ(same_patient.outcome, Outcome::Conflict) << trail(same_patient);
  EXPECT_TRUE(contains(same_patient.reasons.back(), "Study Instance UID is that of order 'MR1'"));
  // ... or of yesterday's order (excluded by date) ...
  const auto yesterday =
      run(doe_instance(),
          {doe(order("CT1")), with_uid(doe(order("CT0", "CT", "20240106")), kImageUid)});
  EXPECT_EQ(yesterday.outcome, Outcome::Conflict) << trail(yesterday);
  // ... or of another patient's order altogether.
  auto other_patient = with_uid(order("X9"), kImageUid);
  other_patient.item.patient_id = "PAT2";
  const auto other = run(doe_instance(), {doe(order("CT1")), other_patient});
  EXPECT_EQ(other.outcome, Outcome::Conflict) << trail(other);
  EXPECT_TRUE(contains(other.reasons.back(), "order 'X9' (entry #1, Patient ID 'PAT2')"));
  EXPECT_EQ(other.competing, Accessions{"CT1"});
}

TEST(EvidenceAgainst, TheOrderCarryingTheImagesStudyUidItselfMatches) {
  const auto d = run(doe_instance(), {with_uid(doe(order("CT1")), kImageUid)});
  EXPECT_EQ(d.outcome, Outcome::Matched) << trail(d);
}

TEST(EvidenceAgainst, TheOnlyOrderScheduledOnAnotherStationIsAConflict) {
  const auto d = run(doe_instance(), {with_station(doe(order("CT1")), "CT02")});
  EXPECT_EQ(d.outcome, Outcome::Conflict) << trail(d);
  EXPECT_TRUE(contains(d.reasons.back(), "scheduled on station 'CT02', sent by 'CT01'"));
  EXPECT_EQ(d.competing, Accessions{"CT1"});
  // No station on either side is no evidence.
  EXPECT_EQ(run(doe_instance(), {doe(order("CT1"))}).outcome, Outcome::Matched);
  auto no_ae = doe_instance();
  no_ae.calling_ae = "";
  EXPECT_EQ(run(no_ae, {with_station(doe(order("CT1")), "CT02")}).outcome, Outcome::Matched);
}

TEST(EvidenceFor, TheCallingStationSelectsAmongTwoOrders) {
  const auto d = run(doe_instance(), {with_station(doe(order("CT1")), "CT02"),
                                      with_station(doe(order("CT2")), "CT01")});
  EXPECT_EQ(d.outcome, Outcome::Matched) << trail(d);
  EXPECT_EQ(d.selected, 1u);
  EXPECT_TRUE(d.competing.empty());
}

// --- Orders, not entries ------------------------------------------------------------------------

TEST(Orders, TwoStepsOfOneAccessionAreOneOrder) {
  auto contrast = doe(order("ACC1"));
  contrast.item.sps_id = "SPS2";
  const auto d = run(doe_instance(), {doe(order("ACC1")), contrast});
  EXPECT_EQ(d.outcome, Outcome::Matched) << trail(d);
  EXPECT_EQ(d.selected, 0u);
  // The step scheduled on the calling station is the one stamped.
  const auto by_station = run(doe_instance(), {with_station(doe(order("ACC1")), "CT02"),
                                               with_station(doe(order("ACC1")), "CT01")});
  EXPECT_EQ(by_station.outcome, Outcome::Matched) << trail(by_station);
  EXPECT_EQ(by_station.selected, 1u);
}

TEST(Orders, CompetingListsTheAccessionsLeftOnceEach) {
  MatchHistory history;
  history.earlier_candidates = {"GONE"};
  const auto d =
      run(doe_instance(),
          {doe(order("A")), doe(order("A")), doe(order("B")), doe(order("M", "MR"))}, history);
  EXPECT_EQ(d.outcome, Outcome::Ambiguous) << trail(d);
  EXPECT_EQ(d.competing, (Accessions{"A", "B", "GONE"}));
  for (const auto& v : d.verdicts) {
    EXPECT_EQ(v.kept, v.accession != "M") << v.accession;
  }
  const auto matched = run(doe_instance(), {doe(order("A")), doe(order("M", "MR"))});
  EXPECT_EQ(matched.outcome, Outcome::Matched);
  EXPECT_TRUE(matched.competing.empty());
}

}  // namespace
}  // namespace acc::rules
