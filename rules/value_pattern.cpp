// ValuePattern and the wildcard matcher behind it.
#include <exception>

#include "rules/rule_detail.hpp"
#include "rules/rule_set.hpp"

namespace acc::rules {
namespace {

constexpr std::string_view kRegexPrefix = "re:";
// libstdc++'s std::regex backtracks recursively, one frame per character at worst: a long value
// from a peer must not be able to exhaust a worker's stack. Attribute values a site matches on
// (codes, names, descriptions) are far shorter.
constexpr size_t kMaxRegexSubject = 4096;

}  // namespace

namespace detail {

bool wildcard_match(std::string_view pattern, std::string_view value) noexcept {
  size_t p = 0;
  size_t v = 0;
  // Where the last `*` was and where in the value it started matching: on a mismatch the star
  // takes one more character. Enough for `*`/`?` patterns, O(pattern x value) at worst.
  size_t star = std::string_view::npos;
  size_t star_v = 0;
  while (v < value.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == value[v])) {
      ++p;
      ++v;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_v = v;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      v = ++star_v;
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

std::optional<ValuePattern> ValuePattern::parse(std::string text, std::string& why) {
  ValuePattern pattern;
  if (std::string_view(text).starts_with(kRegexPrefix)) {
    try {
      pattern.regex_.emplace(text.substr(kRegexPrefix.size()), std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      why = std::string("invalid regular expression: ").append(e.what());
      return std::nullopt;
    }
  }
  pattern.text_ = std::move(text);
  return pattern;
}

bool ValuePattern::matches(std::string_view value) const {
  if (!regex_) {
    return detail::wildcard_match(text_, value);
  }
  if (value.size() > kMaxRegexSubject) {
    return false;
  }
  try {
    return std::regex_search(value.begin(), value.end(), *regex_);
  } catch (const std::exception&) {
    // error_complexity / error_stack, or no memory: evaluation never fails, it does not match.
    return false;
  }
}

}  // namespace acc::rules
