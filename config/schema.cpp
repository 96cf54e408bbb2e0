#include "config/schema.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace acc::config::detail {

void Diagnostics::error(const toml::source_region& where, std::string message) {
  const uint32_t line = where.begin.line;
  const uint32_t column = where.begin.column;
  ++count_;
  // Strictly earlier only: on a tie the first reported (the walk's order) stays.
  if (first_ && std::pair(first_->line(), first_->column()) <= std::pair(line, column)) {
    return;
  }
  first_.emplace(source_, line, column, std::move(message));
}

void Diagnostics::throw_if_any() const {
  if (first_) {
    throw *first_;
  }
}

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::none:
      return "nothing";
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
  }
  return "unknown";
}

std::string describe(const toml::node& node) {
  std::string out(type_name(node.type()));
  if (const auto* s = node.as_string()) {
    // Appending in two steps: `" " + std::string` trips g++ 12's false -Wrestrict at -O3 (PR
    // 105651).
    out += ' ';
    out += quote(s->get());
  } else if (const auto* i = node.as_integer()) {
    out += ' ';
    out += std::to_string(i->get());
  } else if (const auto* f = node.as_floating_point()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", f->get());
    out += " ";
    out += buf;
  } else if (const auto* b = node.as_boolean()) {
    out += b->get() ? " true" : " false";
  }
  return out;
}

std::string quote(std::string_view text) {
  constexpr size_t kMaxShown = 40;
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMaxShown) {
    out += "...";
  }
  out += '"';
  return out;
}

namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Optimal string alignment distance: Levenshtein plus adjacent transpositions ("prot" -> "port").
size_t edit_distance(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  const size_t m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) {
    d[i][0] = i;
  }
  for (size_t j = 0; j <= m; ++j) {
    d[0][j] = j;
  }
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

}  // namespace

std::optional<std::string_view> suggest(std::string_view word,
                                        const std::vector<std::string_view>& options) {
  constexpr size_t kMaxDistance = 2;
  // Keys are short; a pathological 10 kB key is not worth a 10 kB x 20 table per option.
  constexpr size_t kMaxWord = 64;
  if (word.size() > kMaxWord) {
    return std::nullopt;
  }
  std::optional<std::string_view> best;
  size_t best_distance = kMaxDistance + 1;
  for (std::string_view option : options) {
    const size_t d = edit_distance(word, option);
    // A 2-edit "match" of a 2-letter word is noise, not a typo.
    if (d < best_distance && d < option.size() && d < word.size()) {
      best = option;
      best_distance = d;
    }
  }
  return best;
}

std::string join_path(std::string_view parent, std::string_view key) {
  std::string out(parent);
  if (!out.empty()) {
    out += '.';
  }
  out += key;
  return out;
}

bool expect_type(const toml::node& value, toml::node_type type, const std::string& path,
                 Diagnostics& diag, std::string_view hint, std::string_view expected) {
  if (value.type() == type) {
    return true;
  }
  diag.error(value.source(), path + ": expected " +
                                 std::string(expected.empty() ? type_name(type) : expected) +
                                 ", got " + describe(value) + std::string(hint));
  return false;
}

std::optional<std::vector<std::string>> read_string_list(const toml::node& value,
                                                         const std::string& path,
                                                         const StringCheck& check,
                                                         Diagnostics& diag) {
  if (!expect_type(value, toml::node_type::array, path, diag, {}, "array of strings")) {
    return std::nullopt;
  }
  std::vector<std::string> items;
  bool ok = true;
  const toml::array& array = *value.as_array();
  for (size_t i = 0; i < array.size(); ++i) {
    const std::string item_path = path + "[" + std::to_string(i) + "]";
    const toml::node& element = array[i];
    if (!expect_type(element, toml::node_type::string, item_path, diag)) {
      ok = false;
      continue;
    }
    std::string s = element.as_string()->get();
    if (auto problem = check(s)) {
      diag.error(element.source(), item_path + ": " + *problem);
      ok = false;
      continue;
    }
    items.push_back(std::move(s));
  }
  if (!ok) {
    return std::nullopt;
  }
  return items;
}

void report_missing_keys(const toml::table& table, const std::string& path,
                         const std::vector<std::string_view>& required, Diagnostics& diag) {
  std::vector<std::string_view> missing;
  for (std::string_view key : required) {
    if (!table.contains(key)) {
      missing.push_back(key);
    }
  }
  if (missing.empty()) {
    return;
  }
  std::string message = path + ": missing required key" + (missing.size() > 1 ? "s " : " ");
  for (size_t i = 0; i < missing.size(); ++i) {
    message += (i == 0 ? "'" : ", '") + std::string(missing[i]) + "'";
  }
  diag.error(table.source(), std::move(message));
}

void check_tls_keys(const toml::table& table, const std::string& path, bool tls,
                    Diagnostics& diag) {
  if (tls) {
    report_missing_keys(table, path, {"tls_ca_file"}, diag);
  }
  const toml::node* certificate = table.get("tls_certificate");
  const toml::node* key = table.get("tls_key");
  if ((certificate == nullptr) != (key == nullptr)) {
    const toml::node* given = certificate != nullptr ? certificate : key;
    diag.error(given->source(),
               path + (certificate != nullptr ? ".tls_certificate: given without tls_key"
                                              : ".tls_key: given without tls_certificate"));
  }
}

}  // namespace acc::config::detail
