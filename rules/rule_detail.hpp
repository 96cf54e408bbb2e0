#pragma once
// Private to acc_rules: the pieces of the rule language that the public header does not need to
// show (wildcards, globs, value templates, the TOML walk).
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "rules/rule_set.hpp"

namespace acc::rules::detail {

// DICOM wildcards over the whole value: `*` any run (also empty), `?` exactly one character,
// everything else literal and case-sensitive. No recursion, no allocation.
[[nodiscard]] bool wildcard_match(std::string_view pattern, std::string_view value) noexcept;

// True when `text` contains `*`, `?` or `[`: it is a glob, not a literal file name.
[[nodiscard]] bool has_glob_chars(std::string_view text) noexcept;
// Shell-style match of one file name: `*`, `?`, `[abc]`, `[a-z]`, `[!a]` / `[^a]`; an unclosed
// `[` is a literal. Case-sensitive.
[[nodiscard]] bool glob_match(std::string_view pattern, std::string_view name) noexcept;

// "${Keyword}" / "${gggg,eeee}" split into parts; std::nullopt with `why` for an unterminated
// `${`, an empty `${}` or a name the dictionary does not know.
[[nodiscard]] std::optional<std::vector<TemplatePart>> compile_template(std::string_view text,
                                                                        std::string& why);

// Rule names already taken, with where ("file:line"), shared by every file of one load.
using NameIndex = std::map<std::string, std::string, std::less<>>;

// Parses and validates one rule file, appending its valid rules to `rules` and its problems to
// `errors` (in source order). A rule with any problem is left out.
void parse_rule_file(std::string_view toml, const std::string& file,
                     const std::set<std::string>& destinations, NameIndex& names,
                     std::vector<Rule>& rules, std::vector<RuleError>& errors);

}  // namespace acc::rules::detail
