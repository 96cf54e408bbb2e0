// David Clunie's IOD validator on CT_small before and after stamping: the stamp must not add a
// single error (the sample's own pre-existing findings are not ours to fix).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <unistd.h>

#include "dicom/data/part10.hpp"
#include "dicom/data/stamp.hpp"
#include "tests/unit/data/dciodvfy.hpp"
#include "tests/unit/data/dcmtk_fixture.hpp"

namespace acc::dicom::data {
namespace {

using test::dciodvfy_errors;
using test::kDciodvfy;

TEST(StampDciodvfy, StampedCtSmallHasNoNewIodErrors) {
  if (!std::filesystem::exists(kDciodvfy)) {
    GTEST_SKIP() << "dciodvfy (Debian package dicom3tools) not installed";
  }
  const auto file = testing::read_file(testing::kSamples / "CT_small.dcm");
  auto view = split_part10(file);
  ASSERT_TRUE(view);
  StampRequest r;
  r.accession_number = "ACC42";
  r.issuer = {"RIS1", "1.2.3.99", "ISO"};
  r.requested_procedure_id = "RP1";
  r.requested_procedure_description = "CT HEAD";
  r.sps_id = "SPS7";
  r.sps_description = "HEAD W/O";
  r.study_instance_uid = "1.2.3.4.5.6";
  r.requested_procedure_codes = {{"RPID17", "99RIS", "1.0", "CT head without contrast"},
                                 {"A-VERY-LONG-CODE-VALUE-42", "99RIS", "", "CT head"}};
  r.correct_patient =
      StampRequest::PatientCorrection{"P-ORDER", "HOSP", "DOE^JANE", "19700101", "F"};
  r.reason = "CORRECT";
  r.modifying_system = "ACCESSIONER";
  r.source_of_previous_values = "CT01";
  r.modification_datetime = "20240105093000.000000+0100";
  auto stamped = stamp_accession(view->data_set, view->meta.transfer_syntax_uid, r);
  ASSERT_TRUE(stamped) << stamped.error().message();

  const auto dir =
      std::filesystem::temp_directory_path() / ("acc_dciodvfy_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  test::write_file(dir / "original.dcm", make_part10(view->meta, view->data_set));
  test::write_file(dir / "stamped.dcm", make_part10(view->meta, stamped->data_set));
  // Control: the same stamp without the 1C Universal Entity ID Type must be caught, so that an
  // empty "after" set means dciodvfy looked, not that it could not read the file.
  auto broken = testing::parse(stamped->data_set, view->meta.transfer_syntax_uid);
  ASSERT_NE(broken, nullptr);
  DcmItem* issuer = testing::item_of(*broken, DCM_IssuerOfAccessionNumberSequence, 0);
  ASSERT_NE(issuer, nullptr);
  issuer->findAndDeleteElement(DCM_UniversalEntityIDType);
  test::write_file(
      dir / "broken.dcm",
      make_part10(view->meta, testing::encode(*broken, view->meta.transfer_syntax_uid)));
  const auto before = dciodvfy_errors(dir / "original.dcm");
  const auto after = dciodvfy_errors(dir / "stamped.dcm");
  const auto control = dciodvfy_errors(dir / "broken.dcm");
  std::filesystem::remove_all(dir);

  EXPECT_GT(control.size(), before.size()) << "dciodvfy did not flag the control file";
  for (const std::string& line : after) {
    EXPECT_TRUE(before.contains(line)) << "new dciodvfy finding: " << line;
  }
}

}  // namespace
}  // namespace acc::dicom::data
