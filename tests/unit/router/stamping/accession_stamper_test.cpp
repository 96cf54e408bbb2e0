// AccessionStamper::decide: study consistency, existing-accession policies, unmatched/ambiguous
// policies and the accession checks, without a RIS or a socket.
#include <gtest/gtest.h>

#include <functional>
#include <string_view>

#include "router/stamping/accession_stamper.hpp"

namespace acc::router {
namespace {

using dicom::data::WorklistItem;

WorklistItem order(std::string accession, std::string study_uid = "1.2.3") {
  WorklistItem w;
  w.patient_id = "P1";
  w.accession_number = std::move(accession);
  w.modality = "CT";
  w.sps_start_date = "20240105";
  w.sps_start_time = "100000";
  w.sps_status = "SCHEDULED";
  w.study_instance_uid = std::move(study_uid);
  w.requested_procedure_id = "RP1";
  w.sps_id = "SPS1";
  return w;
}

rules::InstanceAttributes ct_instance() {
  rules::InstanceAttributes a;
  a.patient_id = "P1";
  a.modality = "CT";
  a.study_date = "20240105";
  a.study_instance_uid = "9.9.9";
  a.calling_ae = "CT01";
  return a;
}

struct Fixture : ::testing::Test {
  config::RouterConfig config;
  Fixture() {
    config.server.ae_title = "ACCESSIONER";
    config.accession.issuer_local_namespace = "RIS";
  }
  StampDecision decide(const std::vector<WorklistItem>& orders, const std::string& existing = "",
                       const std::optional<StampDecision>& study = std::nullopt,
                       bool rematch = false) {
    return decide_instance(ct_instance(), orders, existing, study, rematch);
  }
  StampDecision decide_instance(
      const rules::InstanceAttributes& instance, const std::vector<WorklistItem>& orders,
      const std::string& existing = "", const std::optional<StampDecision>& study = std::nullopt,
      bool rematch = false,
      const std::function<std::vector<std::string>(std::string_view)>& studies_of = {}) {
    std::vector<rules::CachedEntry> entries;
    for (const auto& o : orders) {
      entries.push_back({o, false, false});
    }
    AccessionStamper stamper(config);
    return stamper.decide(instance, existing, study, entries, 1000, rematch, {}, studies_of);
  }
};

TEST_F(Fixture, OneOrderIsStampedWithTheConfiguredIssuerWhenTheRisGivesNone) {
  const auto d = decide({order("ACC1")});
  EXPECT_EQ(d.action, StampAction::Stamp);
  EXPECT_EQ(d.outcome, rules::StampOutcome::matched);
  EXPECT_EQ(d.accession, "ACC1");
  EXPECT_EQ(d.issuer.local_namespace, "RIS");
  ASSERT_TRUE(d.entry.has_value());
  EXPECT_EQ(d.entry->requested_procedure_id, "RP1");
}

TEST_F(Fixture, TheRisIssuerWinsOverTheConfiguredOne) {
  auto o = order("ACC1");
  o.accession_issuer = dicom::data::AccessionIssuer{"HOSP", "1.2.3.4", "ISO"};
  const auto d = decide({o});
  EXPECT_EQ(d.issuer.local_namespace, "HOSP");
  EXPECT_EQ(d.issuer.universal_id_type, "ISO");
}

TEST_F(Fixture, TwoOrdersAreHeldNeverGuessed) {
  const auto d = decide({order("ACC1", "1"), order("ACC2", "2")});
  EXPECT_EQ(d.action, StampAction::Hold);
  EXPECT_EQ(d.outcome, rules::StampOutcome::ambiguous);
  EXPECT_EQ(d.held_since_ms, 1000);
  EXPECT_TRUE(d.accession.empty());
}

TEST_F(Fixture, UnmatchedFollowsItsPolicy) {
  config.matching.on_unmatched = config::UnmatchedPolicy::forward;
  EXPECT_EQ(decide({}).action, StampAction::Forward);
  config.matching.on_unmatched = config::UnmatchedPolicy::reject;
  EXPECT_EQ(decide({}).action, StampAction::Reject);
  config.matching.on_unmatched = config::UnmatchedPolicy::hold;
  EXPECT_EQ(decide({}).action, StampAction::Hold);
}

TEST_F(Fixture, AnAccessionTheRisShouldNotHaveSentIsHeld) {
  const auto d = decide({order("ACC*1")});
  EXPECT_EQ(d.action, StampAction::Hold);
  EXPECT_EQ(d.outcome, rules::StampOutcome::invalid_accession);
  EXPECT_EQ(decide({order("12345678901234567")}).outcome, rules::StampOutcome::invalid_accession);
}

TEST_F(Fixture, ExistingAccessionKeep) {
  const auto d = decide({order("ACC1")}, "MOD7");
  EXPECT_EQ(d.action, StampAction::Forward);
  EXPECT_EQ(d.outcome, rules::StampOutcome::kept);
  // Issue 10: a kept accession binds the study (its later instances carry it, never another).
  EXPECT_TRUE(AccessionStamper::binds_study(d));
  EXPECT_EQ(d.patient, rules::patient_of(ct_instance()));
}

TEST_F(Fixture, ExistingAccessionVerify) {
  config.matching.existing_accession = config::ExistingAccessionPolicy::verify;
  EXPECT_EQ(decide({order("ACC1")}, "ACC1").outcome, rules::StampOutcome::verified);
  const auto mismatch = decide({order("ACC1")}, "MOD7");
  EXPECT_EQ(mismatch.action, StampAction::Hold);
  EXPECT_EQ(mismatch.outcome, rules::StampOutcome::mismatch);
  const auto unverifiable = decide({}, "MOD7");
  EXPECT_EQ(unverifiable.action, StampAction::Forward);
  EXPECT_EQ(unverifiable.outcome, rules::StampOutcome::kept);
}

TEST_F(Fixture, ExistingAccessionOverwrite) {
  config.matching.existing_accession = config::ExistingAccessionPolicy::overwrite;
  const auto d = decide({order("ACC1")}, "MOD7");
  EXPECT_EQ(d.action, StampAction::Stamp);
  EXPECT_EQ(d.outcome, rules::StampOutcome::overwritten);
  EXPECT_EQ(d.accession, "ACC1");
}

TEST_F(Fixture, TheStudysDecisionWinsOverANewMatch) {
  StampDecision first;
  first.action = StampAction::Stamp;
  first.outcome = rules::StampOutcome::matched;
  first.accession = "ACC1";
  first.patient = rules::patient_of(ct_instance());
  // The worklist now has another order that would match: the study keeps its accession.
  const auto d = decide({order("ACC2")}, "", first);
  EXPECT_EQ(d.action, StampAction::Stamp);
  EXPECT_EQ(d.accession, "ACC1");
}

// A hold of matching does not bind: a later instance is matched on its own (it may carry what the
// first lacked, like the PT part of a PET/CT), and the hold clock runs from the first hold. A
// mismatch hold binds: a person decides it.
TEST_F(Fixture, AMatchingHoldIsRematchedByLaterInstancesAMismatchHoldsThem) {
  StampDecision held;
  held.action = StampAction::Hold;
  held.outcome = rules::StampOutcome::unmatched;
  held.held_since_ms = 500;
  held.patient = rules::patient_of(ct_instance());
  const auto later = decide({order("ACC1")}, "", held);
  EXPECT_EQ(later.action, StampAction::Stamp);
  EXPECT_EQ(later.accession, "ACC1");
  const auto still = decide({}, "", held, /*rematch=*/true);
  EXPECT_EQ(still.action, StampAction::Hold);
  EXPECT_EQ(still.held_since_ms, 500) << "the hold clock runs from the first hold";
  held.outcome = rules::StampOutcome::mismatch;
  EXPECT_EQ(decide({order("ACC1")}, "", held).action, StampAction::Hold);
}

TEST_F(Fixture, DecisionJsonRoundTrips) {
  auto o = order("ACC1");
  o.accession_issuer = dicom::data::AccessionIssuer{"HOSP", "", ""};
  const auto d = decide({o});
  const auto back = StampDecision::from_json(d.to_json());
  EXPECT_EQ(back.action, d.action);
  EXPECT_EQ(back.outcome, d.outcome);
  EXPECT_EQ(back.accession, d.accession);
  EXPECT_EQ(back.issuer, d.issuer);
  EXPECT_EQ(back.entry, d.entry);
  EXPECT_EQ(back.reasons, d.reasons);
}

TEST_F(Fixture, StampRequestCarriesTheAuditFields) {
  const auto d = decide({order("ACC1")});
  AccessionStamper stamper(config);
  const auto r = stamper.stamp_request(d, "CT01", 1700000000123);
  EXPECT_EQ(r.accession_number, "ACC1");
  EXPECT_EQ(r.modifying_system, "ACCESSIONER");
  EXPECT_EQ(r.source_of_previous_values, "CT01");
  EXPECT_EQ(r.reason, "COERCE");
  EXPECT_EQ(r.sps_id, "SPS1");
  EXPECT_EQ(r.modification_datetime.size(), 26u);  // YYYYMMDDHHMMSS.ffffff+ZZZZ
}

// --- Issue 10 ------------------------------------------------------------------------------------

rules::InstanceAttributes doe_ct() {
  auto a = ct_instance();
  a.patient_name = "DOE^JOHN";
  a.patient_birth_date = "19700101";
  a.patient_sex = "M";
  return a;
}

WorklistItem doe_order(std::string accession, std::string modality = "CT") {
  auto w = order(std::move(accession));
  w.modality = std::move(modality);
  w.patient_name = "DOE^JOHN";
  w.patient_birth_date = "19700101";
  w.patient_sex = "M";
  return w;
}

TEST_F(Fixture, AnotherPatientUnderTheStudysUidIsHeldAloneNeverFollows) {
  const auto study = decide_instance(doe_ct(), {doe_order("ACC1")});
  ASSERT_EQ(study.action, StampAction::Stamp);
  ASSERT_EQ(study.patient.patient_id, "P1");
  ASSERT_TRUE(AccessionStamper::binds_study(study));
  // A legacy modality reuses the Study Instance UID for the next patient, who has an order too.
  auto next = doe_ct();
  next.patient_id = "P2";
  next.patient_name = "ROE^JANE";
  next.patient_sex = "F";
  auto hers = order("ACC2");
  hers.patient_id = "P2";
  const auto d = decide_instance(next, {doe_order("ACC1"), hers}, "", study);
  EXPECT_EQ(d.action, StampAction::Hold);
  EXPECT_EQ(d.outcome, rules::StampOutcome::study_conflict);
  EXPECT_TRUE(d.accession.empty());
  EXPECT_EQ(d.held_since_ms, 1000);
  EXPECT_EQ(d.patient.patient_id, "P2");
  EXPECT_FALSE(AccessionStamper::binds_study(d));
  EXPECT_TRUE(AccessionStamper::held_alone(d));
  ASSERT_FALSE(d.reasons.empty());
  EXPECT_NE(d.reasons[0].find("Study Instance UID conflict"), std::string::npos) << d.reasons[0];
  EXPECT_NE(d.reasons[0].find("Patient ID 'P2' ≠ 'P1'"), std::string::npos) << d.reasons[0];
}

TEST_F(Fixture, TheSameIdWithOtherDemographicsUnderTheStudysUidIsAStudyConflictToo) {
  const auto study = decide_instance(doe_ct(), {doe_order("ACC1")});
  auto other = doe_ct();
  other.patient_birth_date = "19811224";
  const auto d = decide_instance(other, {doe_order("ACC1")}, "", study);
  EXPECT_EQ(d.action, StampAction::Hold);
  EXPECT_EQ(d.outcome, rules::StampOutcome::study_conflict);
  // Even with the accession the study's order carries (policy keep): the patient differs.
  EXPECT_EQ(decide_instance(other, {doe_order("ACC1")}, "ACC1", study).outcome,
            rules::StampOutcome::study_conflict);
  // The study's own patient still follows.
  const auto same = decide_instance(doe_ct(), {doe_order("ACC1"), doe_order("ACC2")}, "", study);
  EXPECT_EQ(same.action, StampAction::Stamp);
  EXPECT_EQ(same.accession, "ACC1");
}

TEST_F(Fixture, APetCtsPtPartDoesNotFollowTheCtOrderButItsReportsDo) {
  const auto study = decide_instance(doe_ct(), {doe_order("CT1")});
  ASSERT_EQ(study.action, StampAction::Stamp);
  ASSERT_EQ(study.accession, "CT1");
  auto pt = doe_ct();
  pt.modality = "PT";
  const auto d = decide_instance(pt, {doe_order("CT1"), doe_order("PT1", "PT")}, "", study);
  EXPECT_EQ(d.action, StampAction::Hold);
  EXPECT_EQ(d.outcome, rules::StampOutcome::modality_conflict);
  EXPECT_TRUE(d.accession.empty());
  EXPECT_TRUE(AccessionStamper::held_alone(d));
  EXPECT_FALSE(AccessionStamper::binds_study(d));
  ASSERT_FALSE(d.reasons.empty());
  EXPECT_NE(d.reasons.back().find("'PT' is not covered by the modality 'CT' of order CT1"),
            std::string::npos)
      << d.reasons.back();
  // Derived objects follow the study's decision whatever their modality.
  for (const std::string derived : {"SR", "KO", "PR"}) {
    auto report = doe_ct();
    report.modality = derived;
    const auto r = decide_instance(report, {doe_order("CT1")}, "", study);
    EXPECT_EQ(r.action, StampAction::Stamp) << derived;
    EXPECT_EQ(r.accession, "CT1") << derived;
    EXPECT_EQ(r.outcome, rules::StampOutcome::matched) << derived;
  }
}

TEST_F(Fixture, APtPartFollowsWhenTheOrderOrTheSitesAliasesCoverIt) {
  auto pt = doe_ct();
  pt.modality = "PT";
  // The order names both modalities.
  const auto both = decide_instance(doe_ct(), {doe_order("PETCT", "CT\\PT")});
  ASSERT_EQ(both.action, StampAction::Stamp);
  EXPECT_EQ(decide_instance(pt, {}, "", both).accession, "PETCT");
  // The site says CT orders cover PT (modality_aliases).
  config.matching.modality_aliases = {{"CT", "PT"}};
  const auto study = decide_instance(doe_ct(), {doe_order("CT1")});
  const auto d = decide_instance(pt, {}, "", study);
  EXPECT_EQ(d.action, StampAction::Stamp);
  EXPECT_EQ(d.accession, "CT1");
}

TEST_F(Fixture, AKeptAccessionBindsTheStudy) {
  // Policy keep: the first instance carries X; the worklist has another order for the patient.
  const auto study = decide_instance(doe_ct(), {doe_order("ACC2")}, "X");
  ASSERT_EQ(study.action, StampAction::Forward);
  ASSERT_EQ(study.outcome, rules::StampOutcome::kept);
  ASSERT_EQ(study.accession, "X");
  ASSERT_TRUE(AccessionStamper::binds_study(study));
  // A dose report without an accession: stamped X, never the worklist's ACC2.
  auto dose = doe_ct();
  dose.modality = "SR";
  const auto later = decide_instance(dose, {doe_order("ACC2", "SR")}, "", study);
  EXPECT_EQ(later.action, StampAction::Stamp);
  EXPECT_EQ(later.accession, "X");
  EXPECT_EQ(later.issuer.local_namespace, "RIS");
  // A CT instance without an accession too.
  EXPECT_EQ(decide_instance(doe_ct(), {doe_order("ACC2")}, "", study).accession, "X");
  // One carrying another accession is a mismatch, held.
  const auto other = decide_instance(doe_ct(), {doe_order("ACC2")}, "Y", study);
  EXPECT_EQ(other.action, StampAction::Hold);
  EXPECT_EQ(other.outcome, rules::StampOutcome::mismatch);
  // One carrying X is kept as received.
  const auto same = decide_instance(doe_ct(), {doe_order("ACC2")}, "X", study);
  EXPECT_EQ(same.action, StampAction::Forward);
  EXPECT_EQ(same.outcome, rules::StampOutcome::kept);
}

TEST_F(Fixture, AVerifiedAccessionBindsTheStudyToo) {
  config.matching.existing_accession = config::ExistingAccessionPolicy::verify;
  const auto study = decide_instance(doe_ct(), {doe_order("ACC1")}, "ACC1");
  ASSERT_EQ(study.outcome, rules::StampOutcome::verified);
  ASSERT_TRUE(AccessionStamper::binds_study(study));
  const auto later = decide_instance(doe_ct(), {doe_order("ACC2")}, "", study);
  EXPECT_EQ(later.action, StampAction::Stamp);
  EXPECT_EQ(later.accession, "ACC1");
}

TEST_F(Fixture, ADecisionOfAnEarlierVersionIsFollowedAndLearnsThePatient) {
  // Stored before issue 10: no "patient". Its accession is the study's: matching afresh could
  // pick another order once OLD1 left the worklist. The decision returned names the patient,
  // which becomes the study's.
  const auto earlier = StampDecision::from_json(
      nlohmann::json{{"action", "stamp"}, {"outcome", "matched"}, {"accession", "OLD1"}});
  ASSERT_TRUE(earlier.patient.patient_id.empty());
  const auto d = decide({order("ACC2")}, "", earlier);
  EXPECT_EQ(d.action, StampAction::Stamp);
  EXPECT_EQ(d.accession, "OLD1");
  EXPECT_EQ(d.patient.patient_id, "P1");
}

TEST_F(Fixture, AnOrderStampedOnAnotherStudyIsNotStampedAgain) {
  const auto studies_of = [](std::string_view accession) {
    return accession == "ACC1" ? std::vector<std::string>{"5.5.5"} : std::vector<std::string>{};
  };
  const auto d =
      decide_instance(ct_instance(), {order("ACC1")}, "", std::nullopt, false, studies_of);
  EXPECT_EQ(d.action, StampAction::Hold);
  EXPECT_EQ(d.outcome, rules::StampOutcome::unmatched);
  ASSERT_EQ(d.candidates.size(), 1u);
  EXPECT_NE(d.candidates[0].reason.find("one order, one study"), std::string::npos);
}

TEST_F(Fixture, AHeldStudysCompetitorsKeepCompetingAfterTheyLeaveTheWorklist) {
  auto held = decide({order("ACC1", "1"), order("ACC2", "2")});
  held.held_since_ms = 500;
  ASSERT_EQ(held.action, StampAction::Hold);
  ASSERT_EQ(held.competing, (std::vector<std::string>{"ACC1", "ACC2"}));
  // ACC2 leaves the worklist; re-matching must not give ACC1 by attrition.
  const auto rematched = decide({order("ACC1", "1")}, "", held, /*rematch=*/true);
  EXPECT_EQ(rematched.action, StampAction::Hold);
  EXPECT_EQ(rematched.outcome, rules::StampOutcome::ambiguous);
  EXPECT_EQ(rematched.competing, (std::vector<std::string>{"ACC1", "ACC2"}));
  EXPECT_EQ(rematched.held_since_ms, 500);
}

TEST_F(Fixture, AConflictIsHeldUnderTheAmbiguousPolicy) {
  auto other_station = order("ACC1");
  other_station.scheduled_station_ae = "CT02";
  const auto d = decide({other_station});
  EXPECT_EQ(d.action, StampAction::Hold);
  EXPECT_EQ(d.outcome, rules::StampOutcome::conflict);
  EXPECT_EQ(d.competing, std::vector<std::string>{"ACC1"});
  ASSERT_EQ(d.candidates.size(), 1u);
  EXPECT_EQ(d.candidates[0].station, "CT02");
  EXPECT_NE(d.candidates[0].reason.find("scheduled on station 'CT02', sent by 'CT01'"),
            std::string::npos)
      << d.candidates[0].reason;
}

TEST_F(Fixture, StampRequestReasonIsCorrectWhenAValueIsReplacedCoerceFromTheWorklist) {
  AccessionStamper stamper(config);
  const auto matched = decide({order("ACC1")});
  EXPECT_EQ(stamper.stamp_request(matched, "CT01", 0).reason, "COERCE");
  // A person choosing the order for an image without accession: still a value from the
  // worklist. Over the image's own accession, or with the patient corrected: CORRECT.
  auto manual = matched;
  manual.outcome = rules::StampOutcome::manual;
  EXPECT_EQ(stamper.stamp_request(manual, "CT01", 0).reason, "COERCE");
  manual.replaces_accession = true;
  EXPECT_EQ(stamper.stamp_request(manual, "CT01", 0).reason, "CORRECT");
  manual.replaces_accession = false;
  manual.correct_patient = true;
  EXPECT_EQ(stamper.stamp_request(manual, "CT01", 0).reason, "CORRECT");
  config.matching.existing_accession = config::ExistingAccessionPolicy::overwrite;
  const auto overwritten = decide({order("ACC1")}, "MOD7");
  ASSERT_EQ(overwritten.outcome, rules::StampOutcome::overwritten);
  EXPECT_EQ(AccessionStamper(config).stamp_request(overwritten, "CT01", 0).reason, "CORRECT");
}

TEST_F(Fixture, StampRequestCarriesTheProcedureCodesAndThePatientCorrection) {
  auto o = doe_order("ACC1");
  o.issuer_of_patient_id = "HOSP";
  o.requested_procedure_codes = {{"CTHEAD", "99RIS", "", "CT head without contrast"},
                                 {"CTNECK", "99RIS", "", "CT neck"}};
  auto d = decide_instance(doe_ct(), {o});
  ASSERT_EQ(d.action, StampAction::Stamp);
  AccessionStamper stamper(config);
  const auto plain = stamper.stamp_request(d, "CT01", 0);
  EXPECT_EQ(plain.requested_procedure_codes, o.requested_procedure_codes);
  EXPECT_EQ(plain.requested_procedure_id, "RP1");
  EXPECT_FALSE(plain.correct_patient.has_value());

  d.outcome = rules::StampOutcome::manual;
  d.correct_patient = true;
  const auto corrected = stamper.stamp_request(d, "CT01", 0);
  EXPECT_EQ(corrected.reason, "CORRECT");
  ASSERT_TRUE(corrected.correct_patient.has_value());
  EXPECT_EQ(corrected.correct_patient->patient_id, "P1");
  EXPECT_EQ(corrected.correct_patient->issuer_of_patient_id, "HOSP");
  EXPECT_EQ(corrected.correct_patient->patient_name, "DOE^JOHN");
  EXPECT_EQ(corrected.correct_patient->patient_birth_date, "19700101");
  EXPECT_EQ(corrected.correct_patient->patient_sex, "M");
}

TEST_F(Fixture, DecisionJsonRoundTripsTheNewFields) {
  StampDecision d;
  d.action = StampAction::Stamp;
  d.outcome = rules::StampOutcome::manual;
  d.accession = "ACC1";
  d.patient = {"P1", "HOSP", "DOE^JOHN", "19700101", "M"};
  d.competing = {"ACC1", "ACC2"};
  CandidateSummary c;
  c.accession = "ACC2";
  c.patient_id = "P1";
  c.patient_name = "DOE^JOHN";
  c.modality = "CT";
  c.scheduled = "20240105 100000";
  c.station = "CT02";
  c.status = "SCHEDULED";
  c.kept = true;
  c.reason = "candidate";
  d.candidates = {c, CandidateSummary{}};
  d.decided_by = "uid 1000 (alice)";
  d.why = "phoned the ward";
  d.correct_patient = true;
  for (const auto outcome :
       {rules::StampOutcome::manual, rules::StampOutcome::conflict,
        rules::StampOutcome::study_conflict, rules::StampOutcome::modality_conflict,
        rules::StampOutcome::stamp_failed}) {
    d.outcome = outcome;
    const auto back = StampDecision::from_json(d.to_json());
    EXPECT_EQ(back.outcome, d.outcome);
    EXPECT_EQ(back.patient, d.patient);
    EXPECT_EQ(back.competing, d.competing);
    ASSERT_EQ(back.candidates.size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
      const auto& a = back.candidates[i];
      const auto& b = d.candidates[i];
      EXPECT_EQ(a.accession, b.accession);
      EXPECT_EQ(a.patient_id, b.patient_id);
      EXPECT_EQ(a.patient_name, b.patient_name);
      EXPECT_EQ(a.modality, b.modality);
      EXPECT_EQ(a.scheduled, b.scheduled);
      EXPECT_EQ(a.station, b.station);
      EXPECT_EQ(a.status, b.status);
      EXPECT_EQ(a.kept, b.kept);
      EXPECT_EQ(a.reason, b.reason);
    }
    EXPECT_EQ(back.decided_by, d.decided_by);
    EXPECT_EQ(back.why, d.why);
    EXPECT_TRUE(back.correct_patient);
  }
  // Absent fields read as their defaults.
  const auto bare = StampDecision::from_json(nlohmann::json{{"action", "forward"}});
  EXPECT_EQ(bare.patient, rules::PatientIdentity{});
  EXPECT_TRUE(bare.competing.empty());
  EXPECT_TRUE(bare.candidates.empty());
  EXPECT_TRUE(bare.decided_by.empty());
  EXPECT_TRUE(bare.why.empty());
  EXPECT_FALSE(bare.correct_patient);
  // A hold made by matching reads back with what a person needs to resolve it.
  const auto held = decide({order("ACC1", "1"), order("ACC2", "2")});
  const auto held_back = StampDecision::from_json(held.to_json());
  EXPECT_EQ(held_back.competing, held.competing);
  EXPECT_EQ(held_back.candidates.size(), held.candidates.size());
  EXPECT_EQ(held_back.patient, held.patient);
}

}  // namespace
}  // namespace acc::router
