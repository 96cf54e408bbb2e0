#pragma once
// A private directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
// Set ACC_KEEP_TEST_DIRS=1 to keep it for a post-mortem.
#include <filesystem>
#include <string_view>

namespace acc::test {

class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "acc-it");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] std::filesystem::path operator/(std::string_view name) const {
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace acc::test
