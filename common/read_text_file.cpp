#include "common/read_text_file.hpp"

#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>

namespace acc {

[[nodiscard]] Result<std::string> read_text_file(const std::string& path, std::size_t max_bytes) {
  auto os_error = [](int err) {
    const std::errc code = static_cast<std::errc>(err == 0 ? EIO : err);
    return fail(code, "cannot read file: " + std::make_error_code(code).message());
  };
  std::unique_ptr<std::FILE, decltype(&std::fclose)> f(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!f) {
    return os_error(errno);
  }
  std::string text;
  char buf[16384];
  while (true) {
    errno = 0;
    const std::size_t n = std::fread(buf, 1, sizeof buf, f.get());
    text.append(buf, n);
    if (text.size() > max_bytes) {
      return fail(std::errc::file_too_large,
                  "cannot read file: larger than " + std::to_string(max_bytes >> 20) + " MiB");
    }
    if (n < sizeof buf) {
      if (std::ferror(f.get())) {
        return os_error(errno);
      }
      return text;
    }
  }
}

}  // namespace acc
