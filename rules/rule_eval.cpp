// Evaluating rules against one instance. Runs on every received instance: everything that can be
// prepared (regexes, networks, UIDs, templates) was prepared at load, and each incoming value is
// read at most once however many rules look at it.
#include <algorithm>
#include <deque>

#include "rules/dicom_text.hpp"
#include "rules/rule_detail.hpp"

namespace acc::rules {
namespace {

using detail::trim_spaces;
using dicom::data::Tag;

// Incoming attribute values, asked of the subject once per tag. A deque keeps references stable
// while later look-ups append.
class AttributeCache {
 public:
  explicit AttributeCache(const RuleSubject& subject) : subject_(subject) {}

  const std::optional<std::string>& get(Tag tag) {
    for (const auto& [t, value] : entries_) {
      if (t == tag) {
        return value;
      }
    }
    entries_.emplace_back(tag, subject_.attribute ? subject_.attribute(tag) : std::nullopt);
    return entries_.back().second;
  }

 private:
  const RuleSubject& subject_;
  std::deque<std::pair<Tag, std::optional<std::string>>> entries_;
};

// UIDs are padded with NUL, text with spaces; neither is part of the value.
std::string_view trim_uid(std::string_view uid) {
  while (!uid.empty() && (uid.back() == '\0' || uid.back() == ' ')) {
    uid.remove_suffix(1);
  }
  return trim_spaces(uid);
}

// The subject's fixed facts, prepared once per evaluation.
struct Facts {
  std::string_view calling_ae;
  std::string_view modality;
  std::string_view sop_class;
  std::optional<Cidr::Address> peer;
};

bool any_matches(const std::vector<ValuePattern>& patterns, std::string_view value) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [value](const ValuePattern& p) { return p.matches(value); });
}

bool rule_matches(const RuleWhen& when, const Facts& facts, AttributeCache& cache) {
  if (!when.calling_ae.empty() && !any_matches(when.calling_ae, facts.calling_ae)) {
    return false;
  }
  if (!when.source.empty() &&
      (!facts.peer || std::none_of(when.source.begin(), when.source.end(),
                                   [&](const Cidr& c) { return c.contains(*facts.peer); }))) {
    return false;
  }
  if (!when.modality.empty() && !any_matches(when.modality, facts.modality)) {
    return false;
  }
  if (!when.sop_class.empty() && std::find(when.sop_class.begin(), when.sop_class.end(),
                                           facts.sop_class) == when.sop_class.end()) {
    return false;
  }
  for (const auto& [tag, pattern] : when.tags) {
    // An absent attribute matches no pattern, not even "*": "has a value like X" is the question.
    const auto& value = cache.get(tag);
    if (!value || !pattern.matches(trim_spaces(*value))) {
      return false;
    }
  }
  return true;
}

std::string expand(const Coercion& set, AttributeCache& cache) {
  if (set.parts.empty()) {
    // Built by hand, not by the loader: nothing compiled, so the text is taken as it stands.
    return set.value_template;
  }
  std::string out;
  for (const TemplatePart& part : set.parts) {
    out += part.literal;
    if (part.attribute) {
      if (const auto& value = cache.get(*part.attribute)) {
        out += *value;
      }
    }
  }
  return out;
}

// The last word on one attribute so far: set (with its template) or remove.
struct Pending {
  Tag tag;
  const Coercion* set = nullptr;  // nullptr: remove
  const std::string* rule = nullptr;
};

void decide(std::vector<Pending>& pending, Tag tag, const Coercion* set, const std::string* rule) {
  for (Pending& p : pending) {
    if (p.tag == tag) {
      p.set = set;
      p.rule = rule;
      return;
    }
  }
  pending.push_back(Pending{tag, set, rule});
}

template <class T>
void override_with(std::optional<T>& current, const std::optional<T>& later) {
  if (later) {
    current = later;
  }
}

}  // namespace

RuleOutcome RuleSet::evaluate(const RuleSubject& subject) const {
  RuleOutcome out;
  AttributeCache cache(subject);
  const Facts facts{trim_spaces(subject.calling_ae), trim_spaces(subject.modality),
                    trim_uid(subject.sop_class_uid), Cidr::parse_address(subject.peer_address)};
  std::vector<Pending> pending;
  for (const Rule& rule : rules_) {
    if (!rule_matches(rule.when, facts, cache)) {
      continue;
    }
    out.matched.push_back(rule.name);
    const RuleThen& then = rule.then;
    if (then.route) {
      if (!out.route) {
        out.route.emplace();
      }
      for (const std::string& destination : *then.route) {
        if (std::find(out.route->begin(), out.route->end(), destination) == out.route->end()) {
          out.route->push_back(destination);
        }
      }
    }
    for (const Coercion& set : then.set) {
      decide(pending, set.tag, &set, &rule.name);
    }
    for (const Tag tag : then.remove) {
      decide(pending, tag, nullptr, &rule.name);
    }
    if (then.stamp) {
      out.stamp = *then.stamp;
    }
    override_with(out.matching.date_window_days, then.matching.date_window_days);
    override_with(out.matching.existing_accession, then.matching.existing_accession);
    override_with(out.matching.on_unmatched, then.matching.on_unmatched);
    override_with(out.matching.on_ambiguous, then.matching.on_ambiguous);
    if (then.stop) {
      break;
    }
  }
  std::sort(pending.begin(), pending.end(),
            [](const Pending& a, const Pending& b) { return a.tag < b.tag; });
  for (const Pending& p : pending) {
    // Copied: expanding may look up more attributes.
    std::optional<std::string> before = cache.get(p.tag);
    std::optional<std::string> after;
    if (p.set != nullptr) {
      after = expand(*p.set, cache);
    }
    // Only real changes: removing what is absent or writing what is there (padding aside) is
    // nothing to apply or to audit.
    if (!after && !before) {
      continue;
    }
    if (after && before && trim_spaces(*after) == trim_spaces(*before)) {
      continue;
    }
    out.changes.push_back(AttributeChange{p.tag, std::move(before), std::move(after), *p.rule});
  }
  return out;
}

}  // namespace acc::rules
