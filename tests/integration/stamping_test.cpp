// Accession stamping against a real RIS and PACS on loopback (issue 4): DCMTK wlmscpfs serves the
// worklist, storescp plays the PACS, dcmsend the modality. Each test starts its own processes on
// free ports with their own directories, and polls `decisions list` / `hold list` (bounded)
// instead of sleeping.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <thread>

#include "tests/integration/stamping_helpers.hpp"

namespace acc::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kArrival = 20s;
constexpr auto kDecision = 15s;

class WorklistStamping : public StampingFixture {};

bool any_reason_contains(const nlohmann::json& decision, const std::string& needle) {
  for (const auto& r : decision.value("reasons", nlohmann::json::array())) {
    if (r.is_string() && r.get<std::string>().find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// The stamped object as the issue describes it, with the issuer from [accession].
void expect_stamped(const StampFields& f, const std::string& accession,
                    const std::string& previous_accession, const std::string& reason = "COERCE") {
  EXPECT_EQ(f.accession, accession);
  ASSERT_EQ(f.originals.size(), 1u) << "one Original Attributes item per stamping";
  const OriginalAttributes& o = f.originals.front();
  EXPECT_TRUE(o.records_accession) << "Modified Attributes Sequence lacks (0008,0050)";
  EXPECT_EQ(o.previous_accession, previous_accession);
  EXPECT_EQ(o.modifying_system, "ACCESSIONER");
  EXPECT_EQ(o.source, "DCMSEND");
  EXPECT_EQ(o.reason, reason);
  EXPECT_FALSE(o.modification_datetime.empty());
}

// Test 1: one order, one instance without accession.
TEST_F(WorklistStamping, OneOrderStampsAccessionConfiguredIssuerAndOriginalAttributes) {
  worklist_.add("o1", {});
  ASSERT_NO_FATAL_FAILURE(start("", 1,
                                "issuer_local_namespace = \"RADIOLOGY\"\n"
                                "issuer_universal_id = \"1.2.826.0.1.3680043.10.99\"\n"
                                "issuer_universal_id_type = \"ISO\"\n"));
  const auto instance = ct("one", "1.2.826.0.1.3680043.10.1.1");
  ASSERT_NO_FATAL_FAILURE(send({instance}, "one"));

  const auto received = wait_for_arrival(pacs_, *server_, instance.sop_instance_uid, kArrival);
  ASSERT_TRUE(received) << logs();
  const StampFields f = read_stamp_fields(*received);
  expect_stamped(f, "ACC123", "");
  // wlmscpfs returns no Issuer of Accession Number Sequence: the configured issuer is used.
  EXPECT_TRUE(f.has_issuer);
  EXPECT_EQ(f.issuer_local_namespace, "RADIOLOGY");
  EXPECT_EQ(f.issuer_universal_id, "1.2.826.0.1.3680043.10.99");
  EXPECT_EQ(f.issuer_universal_id_type, "ISO");
  // The order's data goes into Request Attributes; the instance keeps its own Study UID.
  EXPECT_TRUE(f.has_request_attributes);
  EXPECT_EQ(f.request_accession, "ACC123");
  EXPECT_EQ(f.request_study_instance_uid, "1.2.3.4.5.6.7");
  EXPECT_EQ(f.request_procedure_id, "RP1");
  EXPECT_EQ(f.request_sps_id, "SPS1");
  EXPECT_EQ(f.study_instance_uid, "1.2.826.0.1.3680043.10.1.1");

  const auto decision = latest_decision(server_->decisions(), instance.sop_instance_uid);
  EXPECT_EQ(decision.value("outcome", ""), "matched") << decision.dump(2);
  EXPECT_EQ(decision.value("action", ""), "stamp");
  EXPECT_EQ(decision.value("accession", ""), "ACC123");
  EXPECT_EQ(decision.value("study_instance_uid", ""), "1.2.826.0.1.3680043.10.1.1");
}

// Test 1, second half: the stamped object is no less valid than the original.
TEST_F(WorklistStamping, StampedObjectAddsNoDciodvfyErrors) {
  if (!have_dciodvfy()) {
    GTEST_SKIP() << "dciodvfy (package dicom3tools) not installed";
  }
  worklist_.add("o1", {});
  ASSERT_NO_FATAL_FAILURE(start());
  const auto instance = ct("valid", "1.2.826.0.1.3680043.10.1.2");
  ASSERT_NO_FATAL_FAILURE(send({instance}, "valid"));
  const auto received = wait_for_arrival(pacs_, *server_, instance.sop_instance_uid, kArrival);
  ASSERT_TRUE(received) << logs();
  ASSERT_EQ(read_stamp_fields(*received).accession, "ACC123");

  const auto before = dciodvfy_errors(instance.path, scratch_.path());
  const auto after = dciodvfy_errors(*received, scratch_.path());
  std::string added;
  for (const auto& e : after) {
    if (!before.contains(e)) {
      added += e + "\n";
    }
  }
  EXPECT_TRUE(added.empty()) << "dciodvfy errors added by stamping:\n" << added;
}

// Test 3: two orders fit equally well. Never guessed: held until a person assigns one.
TEST_F(WorklistStamping, TwoEqualOrdersAreHeldUntilAPersonAssignsAnAccession) {
  worklist_.add("o1", {.accession = "ACC1", .requested_procedure_id = "RP1", .sps_id = "SPS1"});
  worklist_.add("o2", {.accession = "ACC2",
                       .requested_procedure_id = "RP2",
                       .requested_procedure_description = "CT abdomen",
                       .sps_id = "SPS2"});
  ASSERT_NO_FATAL_FAILURE(start("", 2));
  const std::string study = "1.2.826.0.1.3680043.10.3.1";
  const auto instance = ct("ambiguous", study);
  ASSERT_NO_FATAL_FAILURE(send({instance}, "ambiguous"));

  const auto held = wait_for_held(*server_, study, kDecision);
  ASSERT_FALSE(held.is_null()) << logs();
  EXPECT_EQ(held.value("outcome", ""), "ambiguous") << held.dump(2);
  EXPECT_EQ(held.value("instances", 0), 1);
  const auto decision = latest_decision(server_->decisions(), instance.sop_instance_uid);
  EXPECT_EQ(decision.value("outcome", ""), "ambiguous") << decision.dump(2);
  EXPECT_EQ(decision.value("action", ""), "hold");
  EXPECT_EQ(decision.value("accession", ""), "");
  EXPECT_FALSE(pacs_.received_uids().contains(instance.sop_instance_uid));

  // More of the study on another association joins the held study.
  const auto second = ct("ambiguous-2", study);
  ASSERT_NO_FATAL_FAILURE(send({second}, "ambiguous-2"));
  ASSERT_TRUE(wait_until([&] { return held_study(*server_, study).value("instances", 0) == 2; },
                         kDecision, 200ms))
      << held_study(*server_, study).dump(2) << logs();
  EXPECT_TRUE(pacs_.received_uids().empty());

  const ToolResult assigned = server_->command({"hold", "assign", study, "ACC1"});
  ASSERT_EQ(assigned.exit_code, 0) << assigned.output;
  const auto received = wait_for_arrival(pacs_, *server_, instance.sop_instance_uid, kArrival);
  ASSERT_TRUE(received) << logs();
  const StampFields f = read_stamp_fields(*received);
  expect_stamped(f, "ACC1", "");
  const auto second_received = wait_for_arrival(pacs_, *server_, second.sop_instance_uid, kArrival);
  ASSERT_TRUE(second_received) << logs();
  EXPECT_EQ(read_stamp_fields(*second_received).accession, "ACC1");
  EXPECT_EQ(f.issuer_local_namespace, "RIS");  // the [accession] default
  const auto manual = latest_decision(server_->decisions(), instance.sop_instance_uid);
  EXPECT_EQ(manual.value("outcome", ""), "manual") << manual.dump(2);
  EXPECT_EQ(manual.value("accession", ""), "ACC1");
  EXPECT_TRUE(held_study(*server_, study).is_null());

  // A late instance of the study follows the person's decision, not the still ambiguous worklist.
  const auto late = ct("ambiguous-late", study);
  ASSERT_NO_FATAL_FAILURE(send({late}, "ambiguous-late"));
  const auto late_received = wait_for_arrival(pacs_, *server_, late.sop_instance_uid, kArrival);
  ASSERT_TRUE(late_received) << logs();
  EXPECT_EQ(read_stamp_fields(*late_received).accession, "ACC1");
}

// Regression test for a race, fixed in router/stamping/stamping_service.cpp.
// StampingService::process() decides "hold" for a new instance of a held study from the study
// decision in memory, but the instance is committed later (StorageScp::handle_store: commit_durably
// after process()). A concurrent release
// (`hold assign`, `hold release`, or the re-match after a refresh: release_study in
// router/stamping/stamping_service.cpp) lists the held instances from the store before that commit,
// then sets the study decision to the new one and erases the study from held_. The late instance is
// committed in state "held" afterwards and nothing re-examines it: reevaluate_held() only visits
// studies in held_, and later instances of the study follow the new decision. It stays held (not
// forwarded) until a restart (load_held) or another manual assign, and `hold list` shows it with
// the released study's outcome ("manual"). Here instances of a held study keep arriving on a
// second association while a person assigns the accession; every instance must reach the PACS
// stamped. Fails in most runs with some instances left held.
TEST_F(WorklistStamping, InstancesArrivingDuringAHoldAssignAreAllReleased) {
  worklist_.add("o1", {.accession = "ACC1", .requested_procedure_id = "RP1", .sps_id = "SPS1"});
  worklist_.add("o2", {.accession = "ACC2", .requested_procedure_id = "RP2", .sps_id = "SPS2"});
  ASSERT_NO_FATAL_FAILURE(start("", 2));
  const std::string study = "1.2.826.0.1.3680043.10.3.9";
  const auto first = ct("race-0", study);
  ASSERT_NO_FATAL_FAILURE(send({first}, "race-0"));
  ASSERT_FALSE(wait_for_held(*server_, study, kDecision).is_null()) << logs();

  std::vector<TestInstance> stream;
  DcmsendCall call{.port = server_->port()};
  for (int i = 1; i <= 60; ++i) {
    stream.push_back(ct("race-" + std::to_string(i), study));
    call.files.push_back(stream.back().path);
  }
  ChildProcess sender =
      ChildProcess::spawn({.argv = dcmsend_argv(call), .log = scratch_ / "race.dcmsend.log"});
  // Assign while the second association is delivering.
  ASSERT_TRUE(wait_until([&] { return held_study(*server_, study).value("instances", 0) >= 5; },
                         kDecision, 20ms))
      << logs();
  const ToolResult assigned = server_->command({"hold", "assign", study, "ACC1"});
  ASSERT_EQ(assigned.exit_code, 0) << assigned.output;
  ASSERT_EQ(sender.wait_for(60s).value_or(-1), 0) << read_text(scratch_ / "race.dcmsend.log");

  stream.push_back(first);
  const auto all_arrived = [&] {
    const auto at_pacs = pacs_.received_uids();
    return std::all_of(stream.begin(), stream.end(),
                       [&](const TestInstance& i) { return at_pacs.contains(i.sop_instance_uid); });
  };
  wait_until(all_arrived, 20s, 200ms);
  ASSERT_TRUE(wait_until([&] { return server_->queue_list_all().at("jobs").empty(); }, 10s));
  const auto at_pacs = pacs_.received_files();
  std::size_t missing = 0;
  for (const auto& instance : stream) {
    const auto it = at_pacs.find(instance.sop_instance_uid);
    if (it == at_pacs.end()) {
      ++missing;
      continue;
    }
    EXPECT_EQ(read_stamp_fields(it->second.path).accession, "ACC1");
  }
  EXPECT_EQ(missing, 0u) << "instances never forwarded; hold list:\n"
                         << server_->held_studies().dump(2);
}

// Test 4: the patient's only order today is for MR; a CT image does not match it.
TEST_F(WorklistStamping, OrderForAnotherModalityIsUnmatchedAndHeldByDefault) {
  worklist_.add("mr", {.accession = "ACCMR", .modality = "MR"});
  ASSERT_NO_FATAL_FAILURE(start());
  const std::string study = "1.2.826.0.1.3680043.10.4.1";
  const auto instance = ct("other-modality", study);
  ASSERT_NO_FATAL_FAILURE(send({instance}, "other-modality"));

  const auto held = wait_for_held(*server_, study, kDecision);
  ASSERT_FALSE(held.is_null()) << logs();
  EXPECT_EQ(held.value("outcome", ""), "unmatched") << held.dump(2);
  const auto decision = latest_decision(server_->decisions(), instance.sop_instance_uid);
  EXPECT_EQ(decision.value("outcome", ""), "unmatched") << decision.dump(2);
  EXPECT_EQ(decision.value("action", ""), "hold");
  EXPECT_FALSE(pacs_.received_uids().contains(instance.sop_instance_uid));
}

// Regression test (fixed in router/stamping/accession_stamper.cpp). docs/matching.md promises a
// trail that says "why each entry was dropped" (its table of reasons: `modality MR ≠ CT`,
// `scheduled ... (window 0)`), and rules::match() records exactly that in
// Decision::verdicts[].reason. AccessionStamper::from_match (router/stamping/accession_stamper.cpp)
// copies only Decision::reasons (the step summaries) into the StampDecision, so `decisions list`
// and `hold list` never show why an order was excluded: here the reasons are "step 2: 0 of 1
// candidates pass ... filters (modality CT, window 0)" and "unmatched: every entry for this patient
// was excluded", without the entry's "modality MR ≠ CT" or the date verdict. An operator cannot
// tell a wrong modality from a wrong date.
TEST_F(WorklistStamping, UnmatchedDecisionSaysWhyEachOrderWasExcluded) {
  worklist_.add("mr", {.accession = "ACCMR", .modality = "MR"});
  worklist_.add("old", {.accession = "ACCOLD",
                        .requested_procedure_id = "RP2",
                        .date = local_date(-1),
                        .sps_id = "SPS2"});
  ASSERT_NO_FATAL_FAILURE(start("", 2));
  const std::string study = "1.2.826.0.1.3680043.10.4.3";
  const auto instance = ct("why", study);
  ASSERT_NO_FATAL_FAILURE(send({instance}, "why"));
  ASSERT_FALSE(wait_for_held(*server_, study, kDecision).is_null()) << logs();
  const auto decision = latest_decision(server_->decisions(), instance.sop_instance_uid);
  EXPECT_EQ(decision.value("outcome", ""), "unmatched") << decision.dump(2);
  EXPECT_TRUE(any_reason_contains(decision, "modality MR")) << decision.dump(2);
  EXPECT_TRUE(any_reason_contains(decision, "scheduled " + local_date(-1))) << decision.dump(2);
}

TEST_F(WorklistStamping, OrderForAnotherModalityWithOnUnmatchedForwardArrivesUnstamped) {
  worklist_.add("mr", {.accession = "ACCMR", .modality = "MR"});
  ASSERT_NO_FATAL_FAILURE(start("on_unmatched = \"forward\"\n"));
  const auto instance = ct("forwarded", "1.2.826.0.1.3680043.10.4.2");
  ASSERT_NO_FATAL_FAILURE(send({instance}, "forwarded"));

  const auto received = wait_for_arrival(pacs_, *server_, instance.sop_instance_uid, kArrival);
  ASSERT_TRUE(received) << logs();
  const StampFields f = read_stamp_fields(*received);
  EXPECT_EQ(f.accession, "");
  EXPECT_FALSE(f.has_issuer);
  EXPECT_FALSE(f.has_request_attributes);
  EXPECT_TRUE(f.originals.empty());
  EXPECT_EQ(canonical_dump(*received), canonical_dump(instance.path));
  const auto decision = latest_decision(server_->decisions(), instance.sop_instance_uid);
  EXPECT_EQ(decision.value("outcome", ""), "unmatched") << decision.dump(2);
  EXPECT_EQ(decision.value("action", ""), "forward");
}

// Test 5: an order booked for yesterday, images taken today.
TEST_F(WorklistStamping, OrderScheduledYesterdayMatchesWithADateWindowOfOneDay) {
  worklist_.add("yesterday", {.accession = "ACCY", .date = local_date(-1)});
  ASSERT_NO_FATAL_FAILURE(start("date_window_days = 1\n"));
  const auto instance = ct("window1", "1.2.826.0.1.3680043.10.5.1");
  ASSERT_NO_FATAL_FAILURE(send({instance}, "window1"));
  const auto received = wait_for_arrival(pacs_, *server_, instance.sop_instance_uid, kArrival);
  ASSERT_TRUE(received) << logs();
  EXPECT_EQ(read_stamp_fields(*received).accession, "ACCY");
  EXPECT_EQ(latest_decision(server_->decisions(), instance.sop_instance_uid).value("outcome", ""),
            "matched");
}

TEST_F(WorklistStamping, OrderScheduledYesterdayDoesNotMatchWithADateWindowOfZero) {
  worklist_.add("yesterday", {.accession = "ACCY", .date = local_date(-1)});
  ASSERT_NO_FATAL_FAILURE(start("date_window_days = 0\n"));
  const std::string study = "1.2.826.0.1.3680043.10.5.2";
  const auto instance = ct("window0", study);
  ASSERT_NO_FATAL_FAILURE(send({instance}, "window0"));
  const auto held = wait_for_held(*server_, study, kDecision);
  ASSERT_FALSE(held.is_null()) << logs();
  EXPECT_EQ(held.value("outcome", ""), "unmatched") << held.dump(2);
  const auto decision = latest_decision(server_->decisions(), instance.sop_instance_uid);
  EXPECT_TRUE(any_reason_contains(decision, "window 0")) << decision.dump(2);
  EXPECT_FALSE(pacs_.received_uids().contains(instance.sop_instance_uid));
}

// Test 6: two orders fit; the one whose Study Instance UID the instance carries wins.
TEST_F(WorklistStamping, StudyInstanceUidBreaksATieBetweenTwoOrders) {
  const std::string study = "1.2.826.0.1.3680043.10.6.2";
  worklist_.add("o1", {.accession = "ACCA",
                       .study_instance_uid = "1.2.826.0.1.3680043.10.6.1",
                       .requested_procedure_id = "RPA",
                       .sps_id = "SPSA"});
  worklist_.add("o2", {.accession = "ACCB",
                       .study_instance_uid = study,
                       .requested_procedure_id = "RPB",
                       .sps_id = "SPSB"});
  ASSERT_NO_FATAL_FAILURE(start("", 2));
  const auto instance = ct("tie", study);
  ASSERT_NO_FATAL_FAILURE(send({instance}, "tie"));
  const auto received = wait_for_arrival(pacs_, *server_, instance.sop_instance_uid, kArrival);
  ASSERT_TRUE(received) << logs();
  const StampFields f = read_stamp_fields(*received);
  EXPECT_EQ(f.accession, "ACCB");
  EXPECT_EQ(f.request_procedure_id, "RPB");
  const auto decision = latest_decision(server_->decisions(), instance.sop_instance_uid);
  EXPECT_EQ(decision.value("outcome", ""), "matched") << decision.dump(2);
  EXPECT_TRUE(any_reason_contains(decision, "Study Instance UID")) << decision.dump(2);
}

// Test 7: an instance that already carries an Accession Number, under each policy.
TEST_F(WorklistStamping, ExistingAccessionKeptArrivesUnchanged) {
  worklist_.add("o1", {});
  ASSERT_NO_FATAL_FAILURE(start("existing_accession = \"keep\"\n"));
  const auto instance = ct("keep", "1.2.826.0.1.3680043.10.7.1", {.accession = "MOD42"});
  ASSERT_NO_FATAL_FAILURE(send({instance}, "keep"));
  const auto received = wait_for_arrival(pacs_, *server_, instance.sop_instance_uid, kArrival);
  ASSERT_TRUE(received) << logs();
  EXPECT_EQ(read_stamp_fields(*received).accession, "MOD42");
  EXPECT_EQ(canonical_dump(*received), canonical_dump(instance.path));
  const auto decision = latest_decision(server_->decisions(), instance.sop_instance_uid);
  EXPECT_EQ(decision.value("outcome", ""), "kept") << decision.dump(2);
}

TEST_F(WorklistStamping, ExistingAccessionVerifiedAgainstADifferentOrderIsHeldAsMismatch) {
  worklist_.add("o1", {});
  ASSERT_NO_FATAL_FAILURE(start("existing_accession = \"verify\"\n"));
  const std::string study = "1.2.826.0.1.3680043.10.7.2";
  const auto instance = ct("verify", study, {.accession = "MOD42"});
  ASSERT_NO_FATAL_FAILURE(send({instance}, "verify"));
  const auto held = wait_for_held(*server_, study, kDecision);
  ASSERT_FALSE(held.is_null()) << logs();
  EXPECT_EQ(held.value("outcome", ""), "mismatch") << held.dump(2);
  const auto decision = latest_decision(server_->decisions(), instance.sop_instance_uid);
  EXPECT_EQ(decision.value("action", ""), "hold") << decision.dump(2);
  EXPECT_TRUE(any_reason_contains(decision, "MOD42")) << decision.dump(2);
  EXPECT_FALSE(pacs_.received_uids().contains(instance.sop_instance_uid));

  // The same order's accession on another study verifies and is forwarded as received.
  const auto agreeing = ct("verified", "1.2.826.0.1.3680043.10.7.4", {.accession = "ACC123"});
  ASSERT_NO_FATAL_FAILURE(send({agreeing}, "verified"));
  const auto received = wait_for_arrival(pacs_, *server_, agreeing.sop_instance_uid, kArrival);
  ASSERT_TRUE(received) << logs();
  EXPECT_EQ(canonical_dump(*received), canonical_dump(agreeing.path));
  EXPECT_EQ(latest_decision(server_->decisions(), agreeing.sop_instance_uid).value("outcome", ""),
            "verified");
}

TEST_F(WorklistStamping, ExistingAccessionOverwrittenRecordsTheOldValue) {
  worklist_.add("o1", {});
  ASSERT_NO_FATAL_FAILURE(start("existing_accession = \"overwrite\"\n"));
  const auto instance = ct("overwrite", "1.2.826.0.1.3680043.10.7.3", {.accession = "MOD42"});
  ASSERT_NO_FATAL_FAILURE(send({instance}, "overwrite"));
  const auto received = wait_for_arrival(pacs_, *server_, instance.sop_instance_uid, kArrival);
  ASSERT_TRUE(received) << logs();
  // PS3.3 C.12.1.1.9: replacing the modality's value is a correction, not a coercion.
  expect_stamped(read_stamp_fields(*received), "ACC123", "MOD42", "CORRECT");
  const auto decision = latest_decision(server_->decisions(), instance.sop_instance_uid);
  EXPECT_EQ(decision.value("outcome", ""), "overwritten") << decision.dump(2);
}

// Test 11: on_ambiguous = reject answers the C-STORE with 0xC100 and stores nothing.
TEST_F(WorklistStamping, AmbiguousWithRejectPolicyFailsTheStoreAndKeepsNothing) {
  worklist_.add("o1", {.accession = "ACC1", .requested_procedure_id = "RP1", .sps_id = "SPS1"});
  worklist_.add("o2", {.accession = "ACC2", .requested_procedure_id = "RP2", .sps_id = "SPS2"});
  ASSERT_NO_FATAL_FAILURE(start("on_ambiguous = \"reject\"\n", 2));
  const auto instance = ct("reject", "1.2.826.0.1.3680043.10.11.1");
  const SendResult sent = send_files(server_->port(), {instance}, scratch_.path(), "reject");
  ASSERT_EQ(sent.report.size(), 1u) << tail(sent.output);
  std::string status = sent.report.front().dimse_status;
  std::transform(status.begin(), status.end(), status.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // dcmsend exits 0 when the association worked; the refusal is in its per-file report.
  EXPECT_TRUE(status.starts_with("0xc100")) << sent.report.front().dimse_status;
  EXPECT_EQ(sent.report.front().sop_instance_uid, instance.sop_instance_uid);

  EXPECT_EQ(find_instance(server_->queue_list(), instance.sop_instance_uid), nullptr);
  EXPECT_TRUE(server_->held_studies().empty());
  // Give a (wrong) forward the time it would need before checking the PACS.
  std::this_thread::sleep_for(1s);
  EXPECT_TRUE(pacs_.received_uids().empty());
  EXPECT_TRUE(server_->queue_list().empty());
}

}  // namespace
}  // namespace acc::test
