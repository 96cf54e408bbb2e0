// `queue export` names (issue 12: a UID is data, never a path).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "router/cli/export_name.hpp"

namespace acc::router {
namespace {

TEST(ExportName, AUidIsItsOwnName) {
  EXPECT_EQ(export_file_name("1.2.840.113619.2.55.3", 1), "1.2.840.113619.2.55.3.dcm");
}

TEST(ExportName, AnythingElseGetsANumberedNameThatStaysInTheDirectory) {
  const std::filesystem::path dir = "/srv/export";
  std::size_t ordinal = 0;
  for (const char* uid :
       {"../../../../etc/cron.d/x", "/etc/passwd", "..", ".", "", "1.2/../3", "1.02", "a\nb"}) {
    const std::string name = export_file_name(uid, ++ordinal);
    EXPECT_EQ(name, "nonconforming-" + std::to_string(ordinal) + ".dcm") << uid;
    const auto file = (dir / name).lexically_normal();
    EXPECT_EQ(file.parent_path(), dir) << uid;
  }
}

TEST(ExportName, UidsAreEscapedForTheTerminal) {
  EXPECT_EQ(escape_for_terminal("1.2.3"), "1.2.3");
  EXPECT_EQ(escape_for_terminal("a\x1b[2Jb\\"), "a\\x1b[2Jb\\x5c");
  EXPECT_EQ(escape_for_terminal(std::string("\0\xff", 2)), "\\x00\\xff");
}

}  // namespace
}  // namespace acc::router
