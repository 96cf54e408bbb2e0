// Accession stamping from Orthanc's ModalityWorklists plugin (issue 4, test 2). Unlike wlmscpfs it
// returns Issuer of Accession Number Sequence, and the RIS's issuer must win over [accession].
#include <gtest/gtest.h>

#include <chrono>

#include "tests/integration/stamping_helpers.hpp"

namespace acc::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kWorklistPlugin = "/usr/share/orthanc/plugins/libModalityWorklists.so";

TEST(WorklistFromOrthanc, StampedInstanceCarriesTheIssuerTheRisReturned) {
  if (!std::filesystem::exists("/usr/sbin/Orthanc") || !std::filesystem::exists(kWorklistPlugin)) {
    GTEST_SKIP() << "Orthanc or its ModalityWorklists plugin is not installed";
  }
  TempDir scratch("acc-stamp-orthanc");
  WorklistDb worklist("");  // the plugin serves the folder itself
  worklist.add("o1", {.accession = "ACCH1",
                      .issuer = AccessionIssuerValues{"HOSP", "1.2.826.0.1.3680043.10.77", "ISO"}});
  OrthancProcess ris({.worklist_database = worklist.root()});
  ris.start();
  StorescpProcess pacs;
  pacs.start();
  AccessionerProcess server(
      {.extra_tables = stamping_toml({.ris_ae = OrthancProcess::ae_title(),
                                      .ris_port = ris.dicom_port(),
                                      .accession = "issuer_local_namespace = \"CONFIGURED\"\n"}),
       .destinations = {{.ae_title = pacs.ae_title(), .port = pacs.port()}}});
  server.start();
  ASSERT_TRUE(wait_for_worklist(server, 1)) << tail(server.log_text()) << "\nOrthanc:\n"
                                            << tail(ris.log_text());

  const auto instance = make_instance(kCtSmall, scratch / "instances", "orthanc",
                                      {.patient_id = kPatient,
                                       .study_instance_uid = "1.2.826.0.1.3680043.10.2.1",
                                       .study_date = local_date(0),
                                       .accession = ""});
  ASSERT_NO_FATAL_FAILURE(send_ok(server.port(), {instance}, scratch.path(), "orthanc"));
  const auto received = wait_for_arrival(pacs, server, instance.sop_instance_uid, 20s);
  ASSERT_TRUE(received) << tail(server.log_text());
  const StampFields f = read_stamp_fields(*received);
  EXPECT_EQ(f.accession, "ACCH1");
  ASSERT_TRUE(f.has_issuer);
  EXPECT_EQ(f.issuer_local_namespace, "HOSP");
  EXPECT_EQ(f.issuer_universal_id, "1.2.826.0.1.3680043.10.77");
  EXPECT_EQ(f.issuer_universal_id_type, "ISO");
  ASSERT_EQ(f.originals.size(), 1u);
  EXPECT_EQ(f.originals.front().previous_accession, "");

  const auto decision = latest_decision(server.decisions(), instance.sop_instance_uid);
  EXPECT_EQ(decision.value("outcome", ""), "matched") << decision.dump(2);
  EXPECT_EQ(decision["issuer"].value("local_namespace", ""), "HOSP") << decision.dump(2);
}

}  // namespace
}  // namespace acc::test
