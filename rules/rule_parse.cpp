// Rule files: TOML -> validated Rule values. Every problem is reported at the key or value that
// causes it, and the walk goes on, so that one run shows a person every mistake in the file.
#include <toml++/toml.h>

#include <algorithm>
#include <cstdio>
#include <initializer_list>
#include <span>
#include <utility>

#include "rules/rule_detail.hpp"

namespace acc::rules::detail {
namespace {

using dicom::data::Tag;

class Walk {
 public:
  explicit Walk(const std::string& file, std::vector<RuleError>& errors)
      : file_(file), errors_(errors) {}

  void error(const toml::source_region& where, std::string message) {
    errors_.push_back(RuleError{file_, where.begin.line, where.begin.column, std::move(message)});
  }
  [[nodiscard]] size_t count() const { return errors_.size(); }

 private:
  const std::string& file_;
  std::vector<RuleError>& errors_;
};

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// Single-quoted for messages; control and non-ASCII bytes as \xNN so the message stays one line.
std::string in_quotes(std::string_view text) {
  std::string out = "'";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  out += '\'';
  return out;
}

std::string join(std::span<const std::string_view> words) {
  std::string out;
  for (const auto w : words) {
    if (!out.empty()) {
      out += ", ";
    }
    out += w;
  }
  return out;
}

std::string join(std::initializer_list<std::string_view> words) {
  return join(std::span<const std::string_view>(words.begin(), words.size()));
}

std::string join_path(std::string_view parent, std::string_view key) {
  std::string out(parent);
  out += '.';
  out += key;
  return out;
}

std::string indexed(std::string_view path, size_t i) {
  std::string out(path);
  out += '[';
  out += std::to_string(i);
  out += ']';
  return out;
}

void expected(Walk& walk, const toml::node& value, const std::string& path, std::string_view what) {
  walk.error(value.source(), std::string(path)
                                 .append(": expected ")
                                 .append(what)
                                 .append(", got ")
                                 .append(type_name(value)));
}

void unknown_key(Walk& walk, const toml::key& key, std::string_view parent,
                 std::initializer_list<std::string_view> allowed) {
  walk.error(key.source(), std::string("unknown key ")
                               .append(in_quotes(join_path(parent, key.str())))
                               .append(" (allowed: ")
                               .append(join(allowed))
                               .append(")"));
}

std::optional<size_t> control_char(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      return i;
    }
  }
  return std::nullopt;
}

// A string or an array of strings (one string is a one-element list). `each` gets every
// element's node, text and path. An empty array is reported with `empty_reason` when given.
template <class F>
void for_each_string(Walk& walk, const toml::node& value, const std::string& path,
                     std::string_view empty_reason, F&& each) {
  if (const auto* s = value.as_string()) {
    each(static_cast<const toml::node&>(*s), s->get(), path);
    return;
  }
  const auto* array = value.as_array();
  if (array == nullptr) {
    expected(walk, value, path, "string or array of strings");
    return;
  }
  if (array->empty() && !empty_reason.empty()) {
    walk.error(value.source(), std::string(path).append(": ").append(empty_reason));
    return;
  }
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = (*array)[i];
    const std::string element_path = indexed(path, i);
    if (const auto* s = element.as_string()) {
      each(element, s->get(), element_path);
    } else {
      expected(walk, element, element_path, "string");
    }
  }
}

// A keyword of the dictionary or "gggg,eeee"; `why` phrased to follow the path.
std::optional<Tag> resolve_tag(std::string_view text, std::string& why) {
  if (auto tag = dicom::data::tag_from_text(text)) {
    return tag;
  }
  const bool numeric =
      !text.empty() && (text.find(',') != std::string_view::npos || text.front() == '(' ||
                        (text.front() >= '0' && text.front() <= '9'));
  why = numeric ? std::string("malformed tag ")
                      .append(in_quotes(text))
                      .append(" (expected gggg,eeee in hex)")
                : std::string("unknown attribute keyword ")
                      .append(in_quotes(text))
                      .append(" (not in the DICOM dictionary; keywords are case-sensitive)");
  return std::nullopt;
}

constexpr std::string_view kEmptyCondition =
    "an empty list matches nothing; leave the key out instead";

void parse_patterns(Walk& walk, const toml::node& value, const std::string& path,
                    std::vector<ValuePattern>& out) {
  for_each_string(walk, value, path, kEmptyCondition,
                  [&](const toml::node& node, const std::string& text, const std::string& at) {
                    std::string why;
                    if (auto p = ValuePattern::parse(text, why)) {
                      out.push_back(std::move(*p));
                    } else {
                      walk.error(node.source(), std::string(at).append(": ").append(why));
                    }
                  });
}

void parse_when(Walk& walk, const toml::table& table, const std::string& path, RuleWhen& out) {
  for (auto&& [key, value] : table) {
    const std::string at = join_path(path, key.str());
    if (key == "calling_ae") {
      parse_patterns(walk, value, at, out.calling_ae);
    } else if (key == "modality") {
      parse_patterns(walk, value, at, out.modality);
    } else if (key == "source") {
      for_each_string(
          walk, value, at, kEmptyCondition,
          [&](const toml::node& node, const std::string& text, const std::string& p) {
            std::string why;
            if (auto cidr = Cidr::parse(text, why)) {
              out.source.push_back(std::move(*cidr));
            } else {
              walk.error(
                  node.source(),
                  std::string(p).append(": ").append(in_quotes(text)).append(": ").append(why));
            }
          });
    } else if (key == "sop_class") {
      for_each_string(walk, value, at, kEmptyCondition,
                      [&](const toml::node& node, const std::string& text, const std::string& p) {
                        if (auto uid = dicom::data::sop_class_from_text(text)) {
                          out.sop_class.push_back(std::move(*uid));
                        } else {
                          walk.error(node.source(),
                                     std::string(p)
                                         .append(": unknown SOP class ")
                                         .append(in_quotes(text))
                                         .append(" (a DCMTK storage class name such as "
                                                 "CTImageStorage, or a UID)"));
                        }
                      });
    } else if (key == "tags") {
      const auto* tags = value.as_table();
      if (tags == nullptr) {
        expected(walk, value, at, "table of attribute = pattern");
        continue;
      }
      for (auto&& [tag_key, pattern] : *tags) {
        const std::string tag_at = join_path(at, tag_key.str());
        std::string why;
        const auto tag = resolve_tag(tag_key.str(), why);
        if (!tag) {
          walk.error(tag_key.source(), std::string(tag_at).append(": ").append(why));
          continue;
        }
        const auto same = std::find_if(out.tags.begin(), out.tags.end(),
                                       [&](const auto& t) { return t.first == *tag; });
        if (same != out.tags.end()) {
          walk.error(tag_key.source(), std::string(tag_at)
                                           .append(": the same attribute as ")
                                           .append(dicom::data::tag_keyword(*tag))
                                           .append(" given twice"));
          continue;
        }
        const auto* text = pattern.as_string();
        if (text == nullptr) {
          expected(walk, pattern, tag_at, "string");
          continue;
        }
        if (auto p = ValuePattern::parse(text->get(), why)) {
          out.tags.emplace_back(*tag, std::move(*p));
        } else {
          walk.error(pattern.source(), std::string(tag_at).append(": ").append(why));
        }
      }
    } else {
      unknown_key(walk, key, path, {"calling_ae", "source", "modality", "sop_class", "tags"});
    }
  }
}

template <NamedEnum E>
void parse_choice(Walk& walk, const toml::node& value, const std::string& path,
                  std::optional<E>& out) {
  const auto* s = value.as_string();
  if (s == nullptr) {
    expected(walk, value, path, "string");
    return;
  }
  const auto parsed = parse_enum<E>(s->get());
  if (!parsed) {
    const auto names = enum_names<E>();
    walk.error(value.source(), std::string(path)
                                   .append(": ")
                                   .append(in_quotes(s->get()))
                                   .append(" is not one of ")
                                   .append(join(names)));
    return;
  }
  out = *parsed;
}

void parse_matching(Walk& walk, const toml::table& table, const std::string& path,
                    MatchingOverrides& out) {
  for (auto&& [key, value] : table) {
    const std::string at = join_path(path, key.str());
    if (key == "date_window_days") {
      const auto* i = value.as_integer();
      if (i == nullptr) {
        expected(walk, value, at, "integer 0..31");
      } else if (i->get() < 0 || i->get() > 31) {
        walk.error(value.source(), std::string(at)
                                       .append(": ")
                                       .append(std::to_string(i->get()))
                                       .append(" is out of range (allowed 0..31)"));
      } else {
        out.date_window_days = static_cast<uint32_t>(i->get());
      }
    } else if (key == "existing_accession") {
      parse_choice(walk, value, at, out.existing_accession);
    } else if (key == "on_unmatched") {
      parse_choice(walk, value, at, out.on_unmatched);
    } else if (key == "on_ambiguous") {
      parse_choice(walk, value, at, out.on_ambiguous);
    } else {
      unknown_key(walk, key, path,
                  {"date_window_days", "existing_accession", "on_unmatched", "on_ambiguous"});
    }
  }
}

std::string known_destinations(const std::set<std::string>& destinations) {
  if (destinations.empty()) {
    return "no destinations are configured";
  }
  std::string out = "configured: ";
  bool first = true;
  for (const auto& d : destinations) {
    out += first ? "" : ", ";
    out += d;
    first = false;
  }
  return out;
}

void parse_set(Walk& walk, const toml::table& table, const std::string& path,
               std::vector<Coercion>& out) {
  for (auto&& [key, value] : table) {
    const std::string at = join_path(path, key.str());
    std::string why;
    const auto tag = resolve_tag(key.str(), why);
    if (!tag) {
      walk.error(key.source(), std::string(at).append(": ").append(why));
      continue;
    }
    if (const auto reason = dicom::data::protected_reason(*tag)) {
      walk.error(key.source(), std::string(at)
                                   .append(": cannot set ")
                                   .append(dicom::data::tag_keyword(*tag))
                                   .append(": ")
                                   .append(*reason));
      continue;
    }
    if (std::any_of(out.begin(), out.end(), [&](const Coercion& c) { return c.tag == *tag; })) {
      walk.error(key.source(), std::string(at)
                                   .append(": the same attribute as ")
                                   .append(dicom::data::tag_keyword(*tag))
                                   .append(" set twice"));
      continue;
    }
    const auto* text = value.as_string();
    if (text == nullptr) {
      expected(walk, value, at, "string");
      continue;
    }
    if (const auto bad = control_char(text->get())) {
      walk.error(value.source(), std::string(at)
                                     .append(": the value contains a control character (")
                                     .append(in_quotes(text->get().substr(*bad, 1)))
                                     .append(" at offset ")
                                     .append(std::to_string(*bad))
                                     .append(")"));
      continue;
    }
    auto parts = compile_template(text->get(), why);
    if (!parts) {
      walk.error(value.source(), std::string(at).append(": ").append(why));
      continue;
    }
    out.push_back(Coercion{*tag, text->get(), std::move(*parts)});
  }
}

struct Removal {
  Tag tag;
  const toml::node* node;
  std::string path;
};

void parse_then(Walk& walk, const toml::table& table, const std::string& path,
                const std::set<std::string>& destinations, RuleThen& out) {
  std::vector<Removal> removals;
  for (auto&& [key, value] : table) {
    const std::string at = join_path(path, key.str());
    if (key == "route") {
      std::vector<std::string> route;
      const size_t before = walk.count();
      for_each_string(walk, value, at,
                      "an empty route sends nowhere; leave route out for every destination",
                      [&](const toml::node& node, const std::string& name, const std::string& p) {
                        if (destinations.count(name) == 0) {
                          walk.error(node.source(), std::string(p)
                                                        .append(": unknown destination ")
                                                        .append(in_quotes(name))
                                                        .append(" (")
                                                        .append(known_destinations(destinations))
                                                        .append(")"));
                        } else if (std::find(route.begin(), route.end(), name) == route.end()) {
                          route.push_back(name);
                        }
                      });
      if (walk.count() == before) {
        out.route = std::move(route);
      }
    } else if (key == "set") {
      if (const auto* set = value.as_table()) {
        parse_set(walk, *set, at, out.set);
      } else {
        expected(walk, value, at, "table of attribute = value");
      }
    } else if (key == "remove") {
      for_each_string(walk, value, at, {},
                      [&](const toml::node& node, const std::string& text, const std::string& p) {
                        std::string why;
                        const auto tag = resolve_tag(text, why);
                        if (!tag) {
                          walk.error(node.source(), std::string(p).append(": ").append(why));
                        } else if (const auto reason = dicom::data::protected_reason(*tag)) {
                          walk.error(node.source(), std::string(p)
                                                        .append(": cannot remove ")
                                                        .append(dicom::data::tag_keyword(*tag))
                                                        .append(": ")
                                                        .append(*reason));
                        } else {
                          removals.push_back(Removal{*tag, &node, p});
                        }
                      });
    } else if (key == "stamp" || key == "stop") {
      const auto* b = value.as_boolean();
      if (b == nullptr) {
        expected(walk, value, at, "boolean");
      } else if (key == "stamp") {
        out.stamp = b->get();
      } else {
        out.stop = b->get();
      }
    } else if (key == "matching") {
      if (const auto* m = value.as_table()) {
        parse_matching(walk, *m, at, out.matching);
      } else {
        expected(walk, value, at, "table");
      }
    } else {
      unknown_key(walk, key, path, {"route", "set", "remove", "stamp", "matching", "stop"});
    }
  }
  // After the walk: toml++ visits keys in name order, and `remove` comes before `set`.
  for (const Removal& r : removals) {
    const bool also_set = std::any_of(out.set.begin(), out.set.end(),
                                      [&](const Coercion& c) { return c.tag == r.tag; });
    if (also_set) {
      walk.error(r.node->source(), std::string(r.path)
                                       .append(": ")
                                       .append(dicom::data::tag_keyword(r.tag))
                                       .append(" is both set and removed by this rule"));
    } else if (std::find(out.remove.begin(), out.remove.end(), r.tag) == out.remove.end()) {
      out.remove.push_back(r.tag);
    }
  }
}

std::optional<Rule> parse_rule(Walk& walk, const toml::table& table, const std::string& path,
                               const std::string& file, const std::set<std::string>& destinations,
                               NameIndex& names) {
  const size_t before = walk.count();
  Rule rule;
  rule.file = file;
  rule.line = table.source().begin.line;
  for (auto&& [key, value] : table) {
    const std::string at = join_path(path, key.str());
    if (key == "name") {
      const auto* s = value.as_string();
      if (s == nullptr) {
        expected(walk, value, at, "string");
      } else if (s->get().empty()) {
        walk.error(value.source(), at + ": must not be empty");
      } else if (control_char(s->get())) {
        walk.error(value.source(), at + ": must not contain control characters");
      } else if (const auto taken = names.find(s->get()); taken != names.end()) {
        walk.error(value.source(), std::string(at)
                                       .append(": rule name ")
                                       .append(in_quotes(s->get()))
                                       .append(" is already used at ")
                                       .append(taken->second));
      } else {
        rule.name = s->get();
        names.emplace(rule.name, std::string(file).append(":").append(std::to_string(rule.line)));
      }
    } else if (key == "when") {
      if (const auto* when = value.as_table()) {
        parse_when(walk, *when, at, rule.when);
      } else {
        expected(walk, value, at, "table");
      }
    } else if (key == "then") {
      if (const auto* then = value.as_table()) {
        parse_then(walk, *then, at, destinations, rule.then);
      } else {
        expected(walk, value, at, "table");
      }
    } else {
      unknown_key(walk, key, path, {"name", "when", "then"});
    }
  }
  if (!table.contains("name")) {
    walk.error(table.source(), path + ": missing required key 'name'");
  }
  if (walk.count() != before) {
    return std::nullopt;
  }
  return rule;
}

}  // namespace

void parse_rule_file(std::string_view toml_text, const std::string& file,
                     const std::set<std::string>& destinations, NameIndex& names,
                     std::vector<Rule>& rules, std::vector<RuleError>& errors) {
  std::vector<RuleError> found;
  Walk walk(file, found);
  toml::table root;
  try {
    root = toml::parse(toml_text, std::string_view{file});
  } catch (const toml::parse_error& e) {
    walk.error(e.source(), std::string(e.description()));
    errors.insert(errors.end(), found.begin(), found.end());
    return;
  }
  for (auto&& [key, value] : root) {
    if (key != "rule") {
      walk.error(key.source(), std::string("unknown ")
                                   .append(value.is_table() || value.is_array() ? "table " : "key ")
                                   .append(in_quotes(key.str()))
                                   .append("; the top level only allows [[rule]]"));
      continue;
    }
    const auto* array = value.as_array();
    if (array == nullptr) {
      if (value.is_table()) {
        walk.error(value.source(), "rule: write each rule as a [[rule]] table, not [rule]");
      } else {
        expected(walk, value, "rule", "array of tables ([[rule]])");
      }
      continue;
    }
    for (size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = (*array)[i];
      const std::string path = indexed("rule", i);
      const auto* table = element.as_table();
      if (table == nullptr) {
        expected(walk, element, path, "table");
        continue;
      }
      if (auto rule = parse_rule(walk, *table, path, file, destinations, names)) {
        rules.push_back(std::move(*rule));
      }
    }
  }
  // toml++ walks tables in key order; a person reads the file top to bottom.
  std::stable_sort(found.begin(), found.end(), [](const RuleError& a, const RuleError& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  errors.insert(errors.end(), std::make_move_iterator(found.begin()),
                std::make_move_iterator(found.end()));
}

}  // namespace acc::rules::detail

namespace acc::rules {

std::variant<RuleSet, std::vector<RuleError>> RuleSet::parse(
    std::string_view toml, const std::string& file, const std::set<std::string>& destinations) {
  RuleSet set;
  std::vector<RuleError> errors;
  detail::NameIndex names;
  detail::parse_rule_file(toml, file, destinations, names, set.rules_, errors);
  if (!errors.empty()) {
    return errors;
  }
  set.files_.push_back(file);
  return set;
}

}  // namespace acc::rules
