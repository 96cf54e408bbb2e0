// Loading rule files from disk: globs, name order, every file's errors.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "rules/rule_set.hpp"
#include "tests/unit/rules/rule_test_support.hpp"

namespace acc::rules {
namespace {

namespace fs = std::filesystem;
using test::contains;
using test::describe;
using test::kDestinations;

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "acc-rules-XXXXXX").string();
    path_ = ::mkdtemp(templ.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }

  void write(const std::string& relative, const std::string& text) const {
    const fs::path p = path_ / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }

 private:
  fs::path path_;
};

std::string rule(const std::string& name) {
  return std::string("[[rule]]\nname = \"").append(name).append("\"\n");
}

RuleSet load_ok(const std::vector<std::string>& patterns, const fs::path& base) {
  auto result = RuleSet::load(patterns, base, kDestinations);
  if (auto* errors = std::get_if<std::vector<RuleError>>(&result)) {
    ADD_FAILURE() << describe(*errors);
    return {};
  }
  return std::get<RuleSet>(std::move(result));
}

std::vector<RuleError> load_errors(const std::vector<std::string>& patterns, const fs::path& base) {
  auto result = RuleSet::load(patterns, base, kDestinations);
  if (std::holds_alternative<RuleSet>(result)) {
    ADD_FAILURE() << "loaded without errors";
    return {};
  }
  return std::get<std::vector<RuleError>>(std::move(result));
}

std::vector<std::string> names(const RuleSet& set) {
  std::vector<std::string> out;
  for (const auto& r : set.rules()) {
    out.push_back(r.name);
  }
  return out;
}

TEST(RuleLoad, GlobLoadsFilesInNameOrderAndRulesInFileOrder) {
  const TempDir dir;
  dir.write("rules.d/20-mr.toml", rule("mr 1") + rule("mr 2"));
  dir.write("rules.d/10-ct.toml", rule("ct"));
  dir.write("rules.d/30-site.toml", rule("site"));
  dir.write("rules.d/README.txt", "not a rule file");
  dir.write("rules.d/.10-ct.toml.swp", "editor junk");
  dir.write("rules.d/99-old.toml.bak", "[[[ not even toml");
  fs::create_directories(dir.path() / "rules.d" / "40-dir.toml");  // a directory is no file

  const RuleSet set = load_ok({"rules.d/*.toml"}, dir.path());
  EXPECT_EQ(names(set), (std::vector<std::string>{"ct", "mr 1", "mr 2", "site"}));
  const std::string d = (dir.path() / "rules.d").string();
  EXPECT_EQ(set.files(),
            (std::vector<std::string>{d + "/10-ct.toml", d + "/20-mr.toml", d + "/30-site.toml"}));
  EXPECT_EQ(set.rules()[1].file, d + "/20-mr.toml");
  EXPECT_EQ(set.rules()[2].line, 3u);
}

TEST(RuleLoad, QuestionMarkAndClassesInTheFileName) {
  const TempDir dir;
  dir.write("r1.toml", rule("one"));
  dir.write("r2.toml", rule("two"));
  dir.write("r10.toml", rule("ten"));
  dir.write("rx.toml", rule("x"));
  EXPECT_EQ(names(load_ok({"r?.toml"}, dir.path())), (std::vector<std::string>{"one", "two", "x"}));
  EXPECT_EQ(names(load_ok({"r[0-9].toml"}, dir.path())), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(names(load_ok({"r[!0-9].toml"}, dir.path())), (std::vector<std::string>{"x"}));
}

TEST(RuleLoad, PatternsInTheirOrderEachFileOnce) {
  const TempDir dir;
  dir.write("site.toml", rule("site"));
  dir.write("rules.d/a.toml", rule("a"));
  dir.write("rules.d/b.toml", rule("b"));
  const RuleSet set = load_ok({"rules.d/b.toml", "site.toml", "rules.d/*.toml"}, dir.path());
  EXPECT_EQ(names(set), (std::vector<std::string>{"b", "site", "a"}));
  EXPECT_EQ(set.files().size(), 3u);
}

TEST(RuleLoad, AbsolutePatternsIgnoreTheBaseDirectory) {
  const TempDir dir;
  dir.write("abs.toml", rule("abs"));
  const RuleSet set = load_ok({(dir.path() / "*.toml").string()}, "/nonexistent");
  EXPECT_EQ(names(set), std::vector<std::string>{"abs"});
}

TEST(RuleLoad, AGlobThatMatchesNothingIsNoError) {
  const TempDir dir;
  fs::create_directories(dir.path() / "rules.d");
  const RuleSet set = load_ok({"rules.d/*.toml", "missing.d/*.toml"}, dir.path());
  EXPECT_TRUE(set.rules().empty());
  EXPECT_TRUE(set.files().empty());
}

TEST(RuleLoad, ALiteralPathThatDoesNotExistIsAnError) {
  const TempDir dir;
  dir.write("present.toml", rule("present"));
  const auto errors = load_errors({"present.toml", "absent.toml"}, dir.path());
  ASSERT_EQ(errors.size(), 1u) << describe(errors);
  EXPECT_EQ(errors[0].file, (dir.path() / "absent.toml").string());
  EXPECT_EQ(errors[0].line, 0u);
  EXPECT_EQ(errors[0].column, 0u);
  EXPECT_TRUE(contains(errors[0].message, "No such file")) << errors[0].to_string();
}

TEST(RuleLoad, WildcardsInDirectoriesAreRejected) {
  const TempDir dir;
  dir.write("a/r.toml", rule("r"));
  const auto errors = load_errors({"*/r.toml"}, dir.path());
  ASSERT_EQ(errors.size(), 1u) << describe(errors);
  EXPECT_EQ(errors[0].file, "*/r.toml");
  EXPECT_TRUE(contains(errors[0].message, "wildcards are allowed in the file name only"));
}

TEST(RuleLoad, ErrorsOfEveryFileAreReported) {
  const TempDir dir;
  dir.write("rules.d/10-a.toml", rule("a") + "when.modality = 3\n");
  dir.write("rules.d/15-fine.toml", rule("fine"));
  dir.write("rules.d/20-b.toml", rule("b") + "then.route = \"nowhere\"\n" + "then.stop = 1\n");
  dir.write("rules.d/30-c.toml", "[[rule]\nname = \"c\"\n");
  const auto errors = load_errors({"rules.d/*.toml"}, dir.path());
  ASSERT_EQ(errors.size(), 4u) << describe(errors);
  const std::string d = (dir.path() / "rules.d").string();
  EXPECT_EQ(errors[0].file, d + "/10-a.toml");
  EXPECT_EQ(errors[0].line, 3u);
  EXPECT_EQ(errors[0].column, 17u);
  EXPECT_EQ(errors[1].file, d + "/20-b.toml");
  EXPECT_EQ(errors[1].line, 3u);
  EXPECT_TRUE(contains(errors[1].message, "unknown destination 'nowhere'"));
  EXPECT_EQ(errors[2].file, d + "/20-b.toml");
  EXPECT_EQ(errors[2].line, 4u);
  EXPECT_EQ(errors[3].file, d + "/30-c.toml");
  EXPECT_EQ(errors[3].line, 1u);
  EXPECT_TRUE(errors[3].to_string().starts_with(d + "/30-c.toml:1:"));
}

TEST(RuleLoad, NamesAreUniqueAcrossFiles) {
  const TempDir dir;
  dir.write("a.toml", rule("shared"));
  dir.write("b.toml", "\n" + rule("other") + rule("shared"));
  const auto errors = load_errors({"*.toml"}, dir.path());
  ASSERT_EQ(errors.size(), 1u) << describe(errors);
  EXPECT_EQ(errors[0].file, (dir.path() / "b.toml").string());
  EXPECT_EQ(errors[0].line, 5u);
  EXPECT_EQ(errors[0].column, 8u);
  EXPECT_TRUE(
      contains(errors[0].message, "is already used at " + (dir.path() / "a.toml").string() + ":1"))
      << errors[0].to_string();
}

}  // namespace
}  // namespace acc::rules
