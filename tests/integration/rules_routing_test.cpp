// Site rules (issue 5) end to end: DCMTK storescp plays three PACS destinations ("pacs",
// "research", "archive"), dcmsend and our requestor library the modalities, wlmscpfs the RIS.
// Each test starts its own processes on free loopback ports with their own directories. A
// delivery is known to be finished when the instance has left `queue list` (every job done), so
// a destination without the file at that point never had a job for it: no sleeping, no grace.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <memory>
#include <set>

#include "dicom/data/sop_classes.hpp"
#include "tests/integration/forward_helpers.hpp"
#include "tests/integration/rules_helpers.hpp"
#include "tests/support/requestor_session.hpp"

namespace acc::test {
namespace {

using namespace std::chrono_literals;
namespace data = acc::dicom::data;

constexpr auto kWait = 20s;

// A canonical dump without the top-level attributes `tags` (each "(gggg,eeee)") and whatever is
// nested in them.
std::string without(const std::string& dump, const std::set<std::string>& tags) {
  std::string out;
  bool skipping = false;
  for (const auto& line : lines_of(dump)) {
    if (line.starts_with("(")) {
      skipping = tags.contains(line.substr(0, 11));
    }
    if (!skipping) {
      out += line;
      out += '\n';
    }
  }
  return out;
}

// The lines of one dump missing from the other ("-" sent, "+" received): empty when equal, short
// enough for a failure message (a whole dump holds the pixel data as text).
std::string dump_difference(const std::string& sent, const std::string& received) {
  const auto a = lines_of(sent);
  const auto b = lines_of(received);
  const std::multiset<std::string> in_a(a.begin(), a.end());
  const std::multiset<std::string> in_b(b.begin(), b.end());
  std::string out;
  const auto add = [&out](char sign, const std::string& line) {
    out += sign;
    out += line.substr(0, 200);
    out += '\n';
  };
  for (const auto& line : a) {
    if (!in_b.contains(line)) {
      add('-', line);
    }
  }
  for (const auto& line : b) {
    if (!in_a.contains(line)) {
      add('+', line);
    }
  }
  return out;
}

class SiteRules : public ::testing::Test {
 protected:
  SiteRules()
      : ris_(worklist_), research_({.ae_title = "RESEARCH"}), archive_({.ae_title = "ARCHIVE"}) {}

  // Starts the three PACS (and the RIS with `with_worklist`) and an Accessioner whose rules.d
  // holds 10-site.toml = `rules`. `matching`: lines of its [matching] table.
  void start(const std::string& rules, bool with_worklist = false,
             const std::string& matching = "") {
    pacs_.start();
    research_.start();
    archive_.start();
    std::string tables = kRulesTable;
    if (with_worklist) {
      ris_.start();
      tables += stamping_toml({.ris_port = ris_.port(), .matching = matching});
    }
    server_ = std::make_unique<AccessionerProcess>(AccessionerOptions{
        .extra_tables = tables,
        .destinations = {destination_to(pacs_), destination_to(research_, "research"),
                         destination_to(archive_, "archive")}});
    write_rules(*server_, "10-site.toml", rules);
    server_->start();
    if (with_worklist) {
      ASSERT_TRUE(wait_for_worklist(*server_, 1)) << "worklist cache stayed empty\n" << logs();
    }
  }

  // A copy of `source` with a fresh SOP Instance UID and `spec` applied.
  TestInstance instance(const std::filesystem::path& source, const std::string& name,
                        const InstanceSpec& spec = {}) const {
    return make_instance(source, scratch_ / "instances", name, spec);
  }

  // A CT for the worklist's patient, taken today, without accession, in study `study_uid`.
  TestInstance ct_for_patient(const std::string& name, const std::string& study_uid) const {
    return instance(kCtSmall, name,
                    {.patient_id = kPatient,
                     .study_instance_uid = study_uid,
                     .study_date = local_date(0),
                     .accession = ""});
  }

  void send(const std::string& calling_ae, const std::vector<TestInstance>& files,
            const std::string& name) {
    send_ok(server_->port(), files, scratch_.path(), name, calling_ae);
  }

  // Waits until the instance reached every expected destination and left the queue (all its jobs
  // done), then checks that no other destination got it.
  void expect_routed(const std::string& uid, const std::set<std::string>& expected) {
    const auto at = [&](const std::string& destination) {
      return peer(destination).received_uids().contains(uid);
    };
    const auto delivered = [&] {
      for (const auto& d : expected) {
        if (!at(d)) {
          return false;
        }
      }
      return find_instance(server_->queue_list(), uid) == nullptr;
    };
    ASSERT_TRUE(wait_until(delivered, kWait, 100ms))
        << uid << " not delivered to every expected destination\n"
        << logs();
    for (const char* d : {"pacs", "research", "archive"}) {
      EXPECT_EQ(at(d), expected.contains(d)) << uid << " at " << d;
    }
  }

  [[nodiscard]] const StorescpProcess& peer(const std::string& destination) const {
    if (destination == "research") {
      return research_;
    }
    if (destination == "archive") {
      return archive_;
    }
    return pacs_;
  }

  [[nodiscard]] std::filesystem::path received_at_pacs(const std::string& uid) const {
    return pacs_.received_files().at(uid).path;
  }

  [[nodiscard]] std::string logs() const {
    std::string out = "accessioner:\n" + tail(server_ ? server_->log_text() : "");
    out += "\nstorescp pacs:\n";
    out += tail(pacs_.log_text(), 1000);
    return out;
  }

  TempDir scratch_{"acc-rules"};
  WorklistDb worklist_;
  WlmscpfsProcess ris_;
  StorescpProcess pacs_;
  StorescpProcess research_;
  StorescpProcess archive_;
  std::unique_ptr<AccessionerProcess> server_;
};

constexpr const char* kRoutingRules = R"toml([[rule]]
name = "ct-to-pacs-and-research"
when.calling_ae = "CT*"
when.modality = "CT"
then.route = ["pacs", "research"]

[[rule]]
name = "mr-to-pacs"
when.modality = "MR"
then.route = ["pacs"]
)toml";

TEST_F(SiteRules, CtFromACtModalityGoesToPacsAndResearchMrToPacsOnlyTheRestEverywhere) {
  ASSERT_NO_FATAL_FAILURE(start(kRoutingRules));
  const auto ct = instance(kCtSmall, "ct");
  const auto mr = instance(kMrSmall, "mr");
  ASSERT_NO_FATAL_FAILURE(send("CT01", {ct, mr}, "ct01"));
  ASSERT_NO_FATAL_FAILURE(expect_routed(ct.sop_instance_uid, {"pacs", "research"}));
  ASSERT_NO_FATAL_FAILURE(expect_routed(mr.sop_instance_uid, {"pacs"}));

  // A CT from a workstation matches no rule: the defaults, every destination.
  const auto other = instance(kCtSmall, "workstation-ct");
  ASSERT_NO_FATAL_FAILURE(send("WS01", {other}, "ws01"));
  ASSERT_NO_FATAL_FAILURE(expect_routed(other.sop_instance_uid, {"pacs", "research", "archive"}));

  // The instances arrived as they were sent: routing changes nothing in them.
  EXPECT_EQ(dump_difference(canonical_dump(ct.path),
                            canonical_dump(received_at_pacs(ct.sop_instance_uid))),
            "");
  EXPECT_EQ(dump_difference(canonical_dump(mr.path),
                            canonical_dump(received_at_pacs(mr.sop_instance_uid))),
            "");
}

TEST_F(SiteRules, SetAndRemoveChangeTheForwardedInstanceWithOriginalAttributes) {
  ASSERT_NO_FATAL_FAILURE(start(R"toml([[rule]]
name = "ed-fixes"
when.calling_ae = "CT*"
then.set = { InstitutionName = "General Hospital", StudyDescription = "${StudyDescription} (ED)" }
then.remove = ["ReferringPhysicianName", "StationName"]
)toml"));
  const auto ct = instance(kCtSmall, "coerced");
  {
    // What CT_small brings, so the audit trail below has something to record.
    const auto sent = parse_file(ct.path);
    ASSERT_EQ(sent.find_text(0x0008, 0x0080), "JFK IMAGING CENTER");
    ASSERT_EQ(sent.find_text(0x0008, 0x1030), "e+1");
    ASSERT_EQ(sent.find_text(0x0008, 0x0090), "");
    ASSERT_EQ(sent.find_text(0x0008, 0x1010), "CT01_OC0");
  }
  ASSERT_NO_FATAL_FAILURE(send("CT01", {ct}, "coerced"));
  ASSERT_NO_FATAL_FAILURE(expect_routed(ct.sop_instance_uid, {"pacs", "research", "archive"}));

  const auto received = received_at_pacs(ct.sop_instance_uid);
  const auto arrived = parse_file(received);
  EXPECT_EQ(arrived.find_text(0x0008, 0x0080), "General Hospital");
  EXPECT_EQ(arrived.find_text(0x0008, 0x1030), "e+1 (ED)");
  EXPECT_EQ(arrived.find_text(0x0008, 0x0090), std::nullopt);
  EXPECT_EQ(arrived.find_text(0x0008, 0x1010), std::nullopt);
  EXPECT_EQ(arrived.find_text(0x0008, 0x0018), ct.sop_instance_uid);
  EXPECT_EQ(arrived.find_text(0x0010, 0x0020), "1CT1");

  const StampFields f = read_stamp_fields(received);
  ASSERT_EQ(f.originals.size(), 1u) << "one Original Attributes item per coercion";
  const OriginalAttributes& o = f.originals.front();
  EXPECT_EQ(o.reason, "COERCE");
  EXPECT_EQ(o.modifying_system, "ACCESSIONER");
  EXPECT_EQ(o.source, "CT01");
  EXPECT_FALSE(o.modification_datetime.empty());
  const auto previous = [&o](const char* tag) -> std::optional<std::string> {
    const auto it = o.modified.find(tag);
    return it == o.modified.end() ? std::nullopt : std::optional(it->second);
  };
  EXPECT_EQ(previous("(0008,0080)"), "JFK IMAGING CENTER");
  EXPECT_EQ(previous("(0008,1030)"), "e+1");
  EXPECT_EQ(previous("(0008,0090)"), "");
  EXPECT_EQ(previous("(0008,1010)"), "CT01_OC0");

  // The pixels are untouched, and so is every attribute no rule named.
  const auto sent = parse_file(ct.path);
  ASSERT_FALSE(sent.pixel_data_hash().empty());
  EXPECT_EQ(arrived.pixel_data_hash(), sent.pixel_data_hash());
  const std::set<std::string> touched = {"(0008,0015)", "(0008,0080)", "(0008,0090)",
                                         "(0008,1010)", "(0008,1030)", "(0400,0561)"};
  EXPECT_EQ(dump_difference(without(canonical_dump(ct.path), touched),
                            without(canonical_dump(received), touched)),
            "");
  // ...and the dumps compared are real ones.
  EXPECT_NE(without(canonical_dump(received), touched).find("(7fe0,0010)"), std::string::npos);
}

constexpr const char* kCtToResearch = R"toml([[rule]]
name = "ct-to-research"
when.calling_ae = "CT*"
then.route = ["research"]
)toml";

constexpr const char* kCtToPacs = R"toml([[rule]]
name = "ct-to-pacs"
when.calling_ae = "CT*"
then.route = ["pacs"]
)toml";

TEST_F(SiteRules, ReloadRefusesABrokenRuleFileAndSighupLoadsTheFixedOne) {
  ASSERT_NO_FATAL_FAILURE(start(kCtToResearch));
  const auto first = instance(kCtSmall, "rules-a");
  ASSERT_NO_FATAL_FAILURE(send("CT01", {first}, "rules-a"));
  ASSERT_NO_FATAL_FAILURE(expect_routed(first.sop_instance_uid, {"research"}));

  // An unknown destination on line 4: refused, the rules in force stay.
  write_rules(*server_, "10-site.toml", R"toml([[rule]]
name = "ct-to-pacs"
when.calling_ae = "CT*"
then.route = ["pacs", "nowhere"]
)toml");
  const ToolResult refused = server_->command({"reload"});
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  const std::string where = rules_file(*server_, "10-site.toml").string() + ":4:23: ";
  EXPECT_NE(refused.output.find(where + "rule[0].then.route[1]: unknown destination 'nowhere'"),
            std::string::npos)
      << refused.output;
  EXPECT_NE(refused.output.find("reload refused"), std::string::npos) << refused.output;
  EXPECT_TRUE(wait_until(
      [&] { return server_->log_text().find("reload refused: " + where) != std::string::npos; },
      kWait))
      << logs();
  EXPECT_EQ(server_->log_text().find("rules reloaded"), std::string::npos) << logs();

  const auto still_a = instance(kCtSmall, "still-a");
  ASSERT_NO_FATAL_FAILURE(send("CT01", {still_a}, "still-a"));
  ASSERT_NO_FATAL_FAILURE(expect_routed(still_a.sop_instance_uid, {"research"}));

  // Fixed, and loaded on SIGHUP.
  write_rules(*server_, "10-site.toml", kCtToPacs);
  server_->send_signal(SIGHUP);
  ASSERT_TRUE(wait_until(
      [&] { return server_->log_text().find("rules reloaded") != std::string::npos; }, kWait))
      << logs();
  EXPECT_NE(server_->log_text().find("rules reloaded: 1 rule(s) from 1 file(s)"), std::string::npos)
      << logs();
  EXPECT_TRUE(server_->running());

  const auto rules_b = instance(kCtSmall, "rules-b");
  ASSERT_NO_FATAL_FAILURE(send("CT01", {rules_b}, "rules-b"));
  ASSERT_NO_FATAL_FAILURE(expect_routed(rules_b.sop_instance_uid, {"pacs"}));
}

TEST_F(SiteRules, ReloadDuringAnAssociationKeepsItAndAppliesToItsNextInstance) {
  ASSERT_NO_FATAL_FAILURE(start(kCtToResearch));
  const DataSetBytes before = read_data_set(instance(kCtSmall, "in-flight-1").path);
  const DataSetBytes after = read_data_set(instance(kCtSmall, "in-flight-2").path);
  ASSERT_EQ(before.transfer_syntax_uid, data::kExplicitVrLittleEndian);

  RequestorSession session(server_->port(), "CT01");
  const auto first = session.store(before);
  ASSERT_TRUE(first) << first.error().message() << "\n" << logs();
  EXPECT_EQ(first->status, 0x0000) << first->error_comment;
  ASSERT_NO_FATAL_FAILURE(expect_routed(before.sop_instance_uid, {"research"}));

  write_rules(*server_, "10-site.toml", kCtToPacs);
  const ToolResult reloaded = server_->command({"reload"});
  ASSERT_EQ(reloaded.exit_code, 0) << reloaded.output << logs();
  EXPECT_NE(reloaded.output.find("rules reloaded: 1 rule(s) from 1 file(s)"), std::string::npos)
      << reloaded.output;

  // Same association: still up, and its next instance follows the new rules.
  ASSERT_TRUE(session.established());
  const auto second = session.store(after);
  ASSERT_TRUE(second) << second.error().message() << "\n" << logs();
  EXPECT_EQ(second->status, 0x0000) << second->error_comment;
  EXPECT_TRUE(session.release());
  ASSERT_NO_FATAL_FAILURE(expect_routed(after.sop_instance_uid, {"pacs"}));
}

TEST_F(SiteRules, StampFalseForwardsAnInstanceWithAMatchingOrderUnstamped) {
  // Scheduled on CT02: CT01 has its own RIS and is not stamped whatever the order says.
  worklist_.add("o1", {.station_ae = "CT02"});
  ASSERT_NO_FATAL_FAILURE(start(R"toml([[rule]]
name = "ct01-has-its-own-ris"
when.calling_ae = "CT01"
then.stamp = false
)toml",
                                /*with_worklist=*/true));
  const auto own = ct_for_patient("own-ris", "1.2.826.0.1.3680043.10.55.1");
  ASSERT_NO_FATAL_FAILURE(send("CT01", {own}, "own-ris"));
  ASSERT_NO_FATAL_FAILURE(expect_routed(own.sop_instance_uid, {"pacs", "research", "archive"}));
  const auto received = received_at_pacs(own.sop_instance_uid);
  const StampFields f = read_stamp_fields(received);
  EXPECT_EQ(f.accession, "");
  EXPECT_FALSE(f.has_issuer);
  EXPECT_FALSE(f.has_request_attributes);
  EXPECT_TRUE(f.originals.empty());
  EXPECT_EQ(dump_difference(canonical_dump(own.path), canonical_dump(received)), "");
  const auto decision = latest_decision(server_->decisions(), own.sop_instance_uid);
  EXPECT_EQ(decision.value("outcome", ""), "not_stamped") << decision.dump(2);
  EXPECT_EQ(decision.value("action", ""), "forward") << decision.dump(2);

  // The same kind of instance from another modality is stamped from the same order.
  const auto stamped = ct_for_patient("stamped", "1.2.826.0.1.3680043.10.55.2");
  ASSERT_NO_FATAL_FAILURE(send("CT02", {stamped}, "stamped"));
  ASSERT_NO_FATAL_FAILURE(expect_routed(stamped.sop_instance_uid, {"pacs", "research", "archive"}));
  EXPECT_EQ(read_stamp_fields(received_at_pacs(stamped.sop_instance_uid)).accession, "ACC123");
  EXPECT_EQ(latest_decision(server_->decisions(), stamped.sop_instance_uid).value("outcome", ""),
            "matched");
}

TEST_F(SiteRules, MatchingOverrideForwardsUnmatchedFromOneModalityWhileAnotherIsHeld) {
  // The patient's only order is for MR: a CT is unmatched.
  worklist_.add("mr", {.accession = "ACCMR", .modality = "MR"});
  ASSERT_NO_FATAL_FAILURE(start(R"toml([[rule]]
name = "ct01-forwards-unmatched"
when.calling_ae = "CT01"
then.matching.on_unmatched = "forward"
)toml",
                                /*with_worklist=*/true, "on_unmatched = \"hold\"\n"));
  const auto forwarded = ct_for_patient("forwarded", "1.2.826.0.1.3680043.10.56.1");
  ASSERT_NO_FATAL_FAILURE(send("CT01", {forwarded}, "forwarded"));
  ASSERT_NO_FATAL_FAILURE(
      expect_routed(forwarded.sop_instance_uid, {"pacs", "research", "archive"}));
  const StampFields f = read_stamp_fields(received_at_pacs(forwarded.sop_instance_uid));
  EXPECT_EQ(f.accession, "");
  EXPECT_TRUE(f.originals.empty());
  const auto decision = latest_decision(server_->decisions(), forwarded.sop_instance_uid);
  EXPECT_EQ(decision.value("outcome", ""), "unmatched") << decision.dump(2);
  EXPECT_EQ(decision.value("action", ""), "forward") << decision.dump(2);

  const std::string held_study_uid = "1.2.826.0.1.3680043.10.56.2";
  const auto held = ct_for_patient("held", held_study_uid);
  ASSERT_NO_FATAL_FAILURE(send("CT02", {held}, "held"));
  const auto entry = wait_for_held(*server_, held_study_uid, kWait);
  ASSERT_FALSE(entry.is_null()) << server_->held_studies().dump(2) << logs();
  EXPECT_EQ(entry.value("outcome", ""), "unmatched") << entry.dump(2);
  EXPECT_EQ(entry.value("calling_ae", ""), "CT02") << entry.dump(2);
  const auto held_decision = latest_decision(server_->decisions(), held.sop_instance_uid);
  EXPECT_EQ(held_decision.value("action", ""), "hold") << held_decision.dump(2);
  // Held: stored without delivery jobs, so no destination can have it.
  const nlohmann::json listed = server_->queue_list();
  const auto* record = find_instance(listed, held.sop_instance_uid);
  ASSERT_NE(record, nullptr);
  EXPECT_EQ(record->value("state", ""), "held") << record->dump(2);
  EXPECT_TRUE(jobs_in(server_->queue_list_all()).empty()) << server_->queue_list_all().dump(2);
  EXPECT_FALSE(pacs_.received_uids().contains(held.sop_instance_uid));
}

}  // namespace
}  // namespace acc::test
