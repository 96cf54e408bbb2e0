// AccessionStamper::decide: study consistency, existing-accession policies, unmatched/ambiguous
// policies and the accession checks, without a RIS or a socket.
#include <gtest/gtest.h>

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
    std::vector<rules::CachedEntry> entries;
    for (const auto& o : orders) {
      entries.push_back({o, false});
    }
    AccessionStamper stamper(config);
    return stamper.decide(ct_instance(), existing, study, entries, 1000, rematch);
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
  EXPECT_FALSE(AccessionStamper::binds_study(d));
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
  // The worklist now has another order that would match: the study keeps its accession.
  const auto d = decide({order("ACC2")}, "", first);
  EXPECT_EQ(d.action, StampAction::Stamp);
  EXPECT_EQ(d.accession, "ACC1");
}

TEST_F(Fixture, AHeldStudyHoldsItsLaterInstancesUnlessRematched) {
  StampDecision held;
  held.action = StampAction::Hold;
  held.outcome = rules::StampOutcome::unmatched;
  held.held_since_ms = 500;
  EXPECT_EQ(decide({order("ACC1")}, "", held).action, StampAction::Hold);
  const auto rematched = decide({order("ACC1")}, "", held, /*rematch=*/true);
  EXPECT_EQ(rematched.action, StampAction::Stamp);
  EXPECT_EQ(rematched.accession, "ACC1");
  const auto still = decide({}, "", held, /*rematch=*/true);
  EXPECT_EQ(still.action, StampAction::Hold);
  EXPECT_EQ(still.held_since_ms, 500) << "the hold clock runs from the first hold";
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

}  // namespace
}  // namespace acc::router
