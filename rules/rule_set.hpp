#pragma once
// Site rules in TOML files (issue 5): which instances go where, which attributes a router fixes on
// the way, and per-source matching policy. Loading validates everything up front (file:line:col,
// one-line reason); evaluation is pure and never fails, so it runs on every instance.
#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.hpp"
#include "config/policies.hpp"
#include "dicom/data/dictionary.hpp"

namespace acc::rules {

// A value pattern from a rule: DICOM-style wildcards (`*` any run, `?` one character; everything
// else literal, case-sensitive) or, with the prefix "re:", an ECMAScript regex that must match
// somewhere in the value (std::regex_search; anchor with ^ and $ for the whole value).
class ValuePattern {
 public:
  // std::nullopt with `why` set for an invalid regex.
  static std::optional<ValuePattern> parse(std::string text, std::string& why);
  [[nodiscard]] bool matches(std::string_view value) const;
  [[nodiscard]] const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::optional<std::regex> regex_;
};

// An IPv4 or IPv6 network ("10.2.0.0/16", "::1/128"; a bare address is a /32 or /128).
class Cidr {
 public:
  static std::optional<Cidr> parse(std::string_view text, std::string& why);
  // False for an unparsable address or another address family.
  [[nodiscard]] bool contains(std::string_view address) const;

  // A peer address parsed once, so evaluation does not parse it again for every network.
  struct Address {
    bool v6 = false;
    std::array<uint8_t, 16> bytes{};  // network order; IPv4 in the first 4 bytes
  };
  // IPv4 dotted or IPv6 text (a "%zone" suffix is ignored); std::nullopt when unparsable.
  [[nodiscard]] static std::optional<Address> parse_address(std::string_view text) noexcept;
  // An IPv4 network also contains IPv4-mapped IPv6 addresses (::ffff:10.2.3.4).
  [[nodiscard]] bool contains(const Address& address) const noexcept;
  [[nodiscard]] const std::string& text() const { return text_; }

 private:
  std::string text_;
  bool v6_ = false;
  std::array<uint8_t, 16> network_{};
  unsigned prefix_ = 0;
};

// Conditions: all given ones must hold; within one, a list means any of. Absent = no condition.
struct RuleWhen {
  std::vector<ValuePattern> calling_ae;
  std::vector<Cidr> source;
  std::vector<ValuePattern> modality;  // against (0008,0060)
  std::vector<std::string> sop_class;  // UIDs (keywords such as "CTImageStorage" resolved at load)
  std::vector<std::pair<dicom::data::Tag, ValuePattern>> tags;  // top-level attributes as text
};

// Matching policy a rule may override (issue 4 keys, same value ranges).
struct MatchingOverrides {
  std::optional<uint32_t> date_window_days;
  std::optional<config::ExistingAccessionPolicy> existing_accession;
  std::optional<config::UnmatchedPolicy> on_unmatched;
  std::optional<config::UnmatchedPolicy> on_ambiguous;
  bool operator==(const MatchingOverrides&) const = default;
};

// A piece of a value template: literal text, then optionally an incoming attribute's value.
// Split at load so that evaluation neither parses templates nor looks names up.
struct TemplatePart {
  std::string literal;
  std::optional<dicom::data::Tag> attribute;
  bool operator==(const TemplatePart&) const = default;
};

struct Coercion {
  dicom::data::Tag tag;
  std::string value_template;            // "${Keyword}" / "${gggg,eeee}" expand to incoming values
  std::vector<TemplatePart> parts = {};  // value_template, compiled at load
};

struct RuleThen {
  std::optional<std::vector<std::string>> route;  // destination names; absent = unchanged
  std::vector<Coercion> set;
  std::vector<dicom::data::Tag> remove;
  std::optional<bool> stamp;
  MatchingOverrides matching;
  bool stop = false;
};

struct Rule {
  std::string name;
  std::string file;   // where it was written, for people
  uint32_t line = 0;  // of its [[rule]] header
  RuleWhen when;
  RuleThen then;
};

// One problem in a rule file, located like config errors.
struct RuleError {
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;
  std::string message;
  [[nodiscard]] std::string to_string() const;  // "file:line:column: message"
};

// What evaluation reads from an instance: the incoming values, before any change.
struct RuleSubject {
  std::string calling_ae;
  std::string peer_address;  // IPv4 dotted or IPv6 text
  std::string modality;
  std::string sop_class_uid;
  // Top-level attribute as text (multi-values joined with '\'), std::nullopt when absent.
  std::function<std::optional<std::string>(dicom::data::Tag)> attribute;
};

// One attribute change the instance is to receive. `after` std::nullopt = remove.
struct AttributeChange {
  dicom::data::Tag tag;
  std::optional<std::string> before;  // incoming value, std::nullopt when absent
  std::optional<std::string> after;
  std::string rule;  // name of the rule that asked for it
  bool operator==(const AttributeChange&) const = default;
};

struct RuleOutcome {
  std::vector<std::string> matched;  // rule names, in evaluation order
  // Destinations: std::nullopt = every configured destination (no matching rule said `route`).
  std::optional<std::vector<std::string>> route;
  std::vector<AttributeChange> changes;  // at most one per tag, ordered by tag
  bool stamp = true;
  MatchingOverrides matching;
};

class RuleSet {
 public:
  RuleSet() = default;  // no rules: every instance gets the defaults

  // Loads every file matching `patterns` (globs relative to `base_dir`; `*`, `?` and `[...]` in
  // the last path component only), files in name order, rules in file order. `destinations` are
  // the configured destination names a `route` may use. All errors of all files are returned,
  // not only the first.
  [[nodiscard]] static std::variant<RuleSet, std::vector<RuleError>> load(
      const std::vector<std::string>& patterns, const std::filesystem::path& base_dir,
      const std::set<std::string>& destinations);
  // Same for one TOML text (tests, `rules test`); `file` names it in errors.
  [[nodiscard]] static std::variant<RuleSet, std::vector<RuleError>> parse(
      std::string_view toml, const std::string& file, const std::set<std::string>& destinations);

  // Every matching rule in order until one with stop = true. Later rules override earlier ones
  // for the same attribute, for `stamp` and per matching key; `route` lists accumulate
  // (duplicates dropped, first mention order). `${...}` always expands incoming values.
  [[nodiscard]] RuleOutcome evaluate(const RuleSubject& subject) const;

  [[nodiscard]] const std::vector<Rule>& rules() const { return rules_; }
  [[nodiscard]] const std::vector<std::string>& files() const { return files_; }

 private:
  std::vector<Rule> rules_;
  std::vector<std::string> files_;
};

}  // namespace acc::rules
