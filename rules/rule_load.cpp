// Finding and reading rule files: globs in the last path component, name order, every error of
// every file collected.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>

#include "common/read_text_file.hpp"
#include "rules/rule_detail.hpp"

namespace acc::rules {
namespace {

namespace fs = std::filesystem;

// A rule file is a few kB; the cap keeps a mistaken pattern (a disk image, /dev/zero) from
// eating the memory.
constexpr size_t kMaxFileBytes = size_t{16} << 20;

RuleError file_error(const std::string& file, std::string message) {
  return RuleError{file, 0, 0, std::move(message)};
}

std::optional<std::string> read_file(const std::string& name, std::vector<RuleError>& errors) {
  auto text = read_text_file(name, kMaxFileBytes);
  if (!text) {
    errors.push_back(file_error(name, text.error().detail));
    return std::nullopt;
  }
  return std::move(*text);
}

// The files one pattern names, in file name order. A glob that matches nothing (an empty
// rules.d, or none yet) is normal; a literal name that does not exist is a mistake.
void expand_pattern(const std::string& pattern, const fs::path& base_dir,
                    std::vector<std::string>& files, std::vector<RuleError>& errors) {
  fs::path path(pattern);
  if (path.is_relative()) {
    path = base_dir / path;
  }
  const std::string last = path.filename().string();
  if (detail::has_glob_chars(path.parent_path().string())) {
    errors.push_back(file_error(pattern, "wildcards are allowed in the file name only"));
    return;
  }
  if (last.empty()) {
    errors.push_back(file_error(pattern, "names a directory; add a file name or pattern"));
    return;
  }
  if (!detail::has_glob_chars(last)) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      errors.push_back(file_error(path.string(), ec ? "cannot read file: " + ec.message()
                                                    : std::string("not a regular file")));
      return;
    }
    files.push_back(path.string());
    return;
  }
  std::error_code ec;
  fs::directory_iterator it(path.parent_path(), ec);
  if (ec) {
    if (ec != std::errc::no_such_file_or_directory) {
      errors.push_back(file_error(path.parent_path().string(),
                                  std::string("cannot read directory: ").append(ec.message())));
    }
    return;
  }
  std::vector<fs::path> matched;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // Like a shell: hidden files (editor swap files, .#locks) only when the pattern asks.
    if (name.starts_with('.') && !last.starts_with('.')) {
      continue;
    }
    std::error_code type_ec;
    if (detail::glob_match(last, name) && it->is_regular_file(type_ec)) {
      matched.push_back(it->path());
    }
  }
  if (ec) {
    errors.push_back(file_error(path.parent_path().string(),
                                std::string("cannot read directory: ").append(ec.message())));
  }
  std::sort(matched.begin(), matched.end(), [](const fs::path& a, const fs::path& b) {
    return a.filename().string() < b.filename().string();
  });
  for (const auto& m : matched) {
    files.push_back(m.string());
  }
}

}  // namespace

namespace detail {

bool has_glob_chars(std::string_view text) noexcept {
  return text.find_first_of("*?[") != std::string_view::npos;
}

namespace {

// At name[n] against the class starting at pattern[p] == '['. Sets `end` past the `]`; false
// with end == p when the class is not closed (then '[' is literal).
bool class_match(std::string_view pattern, size_t p, char c, size_t& end) noexcept {
  size_t i = p + 1;
  bool negate = false;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) {
    negate = true;
    ++i;
  }
  bool found = false;
  bool first = true;
  while (i < pattern.size() && (first || pattern[i] != ']')) {
    first = false;
    const char lo = pattern[i];
    char hi = lo;
    if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      hi = pattern[i + 2];
      i += 3;
    } else {
      ++i;
    }
    found = found || (lo <= c && c <= hi);
  }
  if (i >= pattern.size()) {
    end = p;
    return false;
  }
  end = i + 1;
  return found != negate;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view name) noexcept {
  size_t p = 0;
  size_t n = 0;
  size_t star = std::string_view::npos;
  size_t star_n = 0;
  while (n < name.size()) {
    bool step = false;
    size_t next = p + 1;
    if (p < pattern.size()) {
      const char c = pattern[p];
      if (c == '*') {
        star = p++;
        star_n = n;
        continue;
      }
      if (c == '?') {
        step = true;
      } else if (c == '[') {
        size_t end = p;
        const bool in_class = class_match(pattern, p, name[n], end);
        step = end == p ? name[n] == '[' : in_class;
        next = end == p ? p + 1 : end;
      } else {
        step = c == name[n];
      }
    }
    if (step) {
      p = next;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++star_n;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') {
    ++p;
  }
  return p == pattern.size();
}

}  // namespace detail

std::string RuleError::to_string() const {
  return std::string(file)
      .append(":")
      .append(std::to_string(line))
      .append(":")
      .append(std::to_string(column))
      .append(": ")
      .append(message);
}

std::variant<RuleSet, std::vector<RuleError>> RuleSet::load(
    const std::vector<std::string>& patterns, const std::filesystem::path& base_dir,
    const std::set<std::string>& destinations) {
  std::vector<RuleError> errors;
  std::vector<std::string> files;
  for (const auto& pattern : patterns) {
    std::vector<std::string> found;
    expand_pattern(pattern, base_dir, found, errors);
    // Two patterns naming one file load it once, where it was first named.
    for (auto& f : found) {
      if (std::find(files.begin(), files.end(), f) == files.end()) {
        files.push_back(std::move(f));
      }
    }
  }
  RuleSet set;
  detail::NameIndex names;
  for (const auto& file : files) {
    if (const auto text = read_file(file, errors)) {
      detail::parse_rule_file(*text, file, destinations, names, set.rules_, errors);
    }
  }
  if (!errors.empty()) {
    return errors;
  }
  set.files_ = std::move(files);
  return set;
}

}  // namespace acc::rules
