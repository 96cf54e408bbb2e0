// David Clunie's IOD validator on CT_small before and after coercion: setting, overwriting and
// removing attributes (with the Original Attributes audit item) must not add a single error.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <unistd.h>

#include "dicom/data/coerce.hpp"
#include "dicom/data/part10.hpp"
#include "tests/unit/data/dciodvfy.hpp"
#include "tests/unit/data/dcmtk_fixture.hpp"

namespace acc::dicom::data {
namespace {

using test::dciodvfy_errors;
using test::kDciodvfy;

CoerceRequest request(std::vector<AttributeEdit> edits) {
  CoerceRequest r;
  r.edits = std::move(edits);
  r.modifying_system = "ACCESSIONER";
  r.source_of_previous_values = "CT01";
  r.modification_datetime = "20240105093000.000000+0100";
  return r;
}

TEST(CoerceDciodvfy, CoercedCtSmallHasNoNewIodErrors) {
  if (!std::filesystem::exists(kDciodvfy)) {
    GTEST_SKIP() << "dciodvfy (Debian package dicom3tools) not installed";
  }
  const auto file = testing::read_file(testing::kSamples / "CT_small.dcm");
  auto view = split_part10(file);
  ASSERT_TRUE(view);
  const std::string& ts = view->meta.transfer_syntax_uid;
  auto coerced = coerce_attributes(
      view->data_set, ts,
      request({{{0x0008, 0x0080}, "COERCED INSTITUTE"},          // Institution Name, overwrite
               {{0x0008, 0x1010}, "ROUTER1"},                    // Station Name, overwrite
               {{0x0008, 0x1030}, "CT HEAD"},                    // Study Description
               {{0x0008, 0x1040}, "RADIOLOGY"},                  // Institutional Department, new
               {{0x0010, 0x0010}, "DOE^JOHN"},                   // Patient's Name
               {{0x0018, 0x1030}, "HEAD ROUTINE"},               // Protocol Name, new
               {{0x0008, 0x0008}, "DERIVED\\SECONDARY\\AXIAL"},  // Image Type, three values
               {{0x0018, 0x1160}, std::nullopt}}));              // Filter Type (type 3), removed
  ASSERT_TRUE(coerced) << coerced.error().message();
  ASSERT_EQ(coerced->changed, 8u);
  // Control: removing the type 2 Study ID must be caught, so that an empty "after" set means
  // dciodvfy looked, not that it could not read the file.
  auto broken = coerce_attributes(view->data_set, ts, request({{{0x0020, 0x0010}, std::nullopt}}));
  ASSERT_TRUE(broken) << broken.error().message();

  const auto dir = std::filesystem::temp_directory_path() /
                   ("acc_coerce_dciodvfy_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  test::write_file(dir / "original.dcm", make_part10(view->meta, view->data_set));
  test::write_file(dir / "coerced.dcm", make_part10(view->meta, coerced->data_set));
  test::write_file(dir / "broken.dcm", make_part10(view->meta, broken->data_set));
  const auto before = dciodvfy_errors(dir / "original.dcm");
  const auto after = dciodvfy_errors(dir / "coerced.dcm");
  const auto control = dciodvfy_errors(dir / "broken.dcm");
  std::filesystem::remove_all(dir);

  EXPECT_GT(control.size(), before.size()) << "dciodvfy did not flag the control file";
  for (const std::string& line : after) {
    EXPECT_TRUE(before.contains(line)) << "new dciodvfy finding: " << line;
  }
}

}  // namespace
}  // namespace acc::dicom::data
