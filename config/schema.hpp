#pragma once
// Private: a small table-driven schema for TOML tables. A table is a list of fields (key name +
// a function that type-checks, range-checks and stores the value). Adding a config table is a
// struct, a TableSchema listing its keys, and one table_field() line in the root schema.
//
// Fields report problems to a Diagnostics instead of throwing, so the walk can finish and the
// caller gets the problem that comes first in the file, whatever order toml++ iterates in.

#include <toml++/toml.h>

#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/enum_names.hpp"
#include "config/checks.hpp"
#include "config/config.hpp"

namespace acc::config::detail {

class Diagnostics {
 public:
  explicit Diagnostics(std::string source) : source_(std::move(source)) {}

  void error(const toml::source_region& where, std::string message);
  // Problems reported so far, including ones an earlier problem outranks.
  [[nodiscard]] size_t count() const { return count_; }
  // Throws the earliest reported problem, if any.
  void throw_if_any() const;

 private:
  std::string source_;
  std::optional<ConfigError> first_;
  size_t count_ = 0;
};

// "integer", "string", ... as a user would call them.
[[nodiscard]] std::string_view type_name(toml::node_type type);
// `string "abc"`, `integer 5`, `array`: the type plus the value when it is short.
[[nodiscard]] std::string describe(const toml::node& node);
// Double-quoted, non-printable bytes as \xNN, long strings cut with "...".
[[nodiscard]] std::string quote(std::string_view text);
// The candidate closest to `word` (case-insensitive, transpositions count 1) if within 2 edits.
[[nodiscard]] std::optional<std::string_view> suggest(std::string_view word,
                                                      const std::vector<std::string_view>& options);
// "a.b" or "b" at the root.
[[nodiscard]] std::string join_path(std::string_view parent, std::string_view key);

// Checks a string's content and may normalise it in place (e.g. trim). Returns the complaint,
// phrased to follow "key: ", or nullopt when the value is acceptable.
using StringCheck = std::function<std::optional<std::string>(std::string& value)>;

template <class T>
struct Field {
  std::string_view key;
  // Validates `value` (found at `path`) and stores it into `out`.
  std::function<void(const toml::node& value, const std::string& path, T& out, Diagnostics&)> apply;
};

template <class T>
using TableSchema = std::vector<Field<T>>;

template <class T>
void apply_table(const TableSchema<T>& schema, const toml::table& table, std::string_view path,
                 T& out, Diagnostics& diag) {
  for (auto&& [key, value] : table) {
    const std::string key_path = join_path(path, key.str());
    const Field<T>* field = nullptr;
    for (const Field<T>& f : schema) {
      if (f.key == key.str()) {
        field = &f;
        break;
      }
    }
    if (field != nullptr) {
      field->apply(value, key_path, out, diag);
      continue;
    }
    std::vector<std::string_view> known;
    known.reserve(schema.size());
    for (const Field<T>& f : schema) {
      known.push_back(f.key);
    }
    const bool looks_like_table = value.is_table() || value.is_array_of_tables();
    std::string message =
        (looks_like_table && path.empty() ? "unknown table '" : "unknown key '") + key_path + "'";
    if (auto close = suggest(key.str(), known)) {
      message += "; did you mean '" + std::string(*close) + "'?";
    }
    diag.error(key.source(), std::move(message));
  }
}

// Reports "path: expected <expected or type>, got <actual><hint>" and returns false on mismatch.
bool expect_type(const toml::node& value, toml::node_type type, const std::string& path,
                 Diagnostics& diag, std::string_view hint = {}, std::string_view expected = {});

// An integer key stored into any integral member; [lo, hi] must fit the member's type.
template <class T, std::integral M>
Field<T> integer_field(std::string_view key, M T::*member, int64_t lo, int64_t hi) {
  return {
      key, [member, lo, hi](const toml::node& value, const std::string& path, T& out,
                            Diagnostics& diag) {
        const std::string range = std::to_string(lo) + ".." + std::to_string(hi);
        if (!expect_type(value, toml::node_type::integer, path, diag, "; allowed range " + range)) {
          return;
        }
        const int64_t v = value.as_integer()->get();
        if (v < lo || v > hi) {
          diag.error(value.source(),
                     path + ": " + std::to_string(v) + " is out of range (allowed " + range + ")");
          return;
        }
        out.*member = static_cast<M>(v);
      }};
}

template <class T>
Field<T> bool_field(std::string_view key, bool T::*member) {
  return {key,
          [member](const toml::node& value, const std::string& path, T& out, Diagnostics& diag) {
            if (expect_type(value, toml::node_type::boolean, path, diag)) {
              out.*member = value.as_boolean()->get();
            }
          }};
}

template <class T>
Field<T> string_field(std::string_view key, std::string T::*member, StringCheck check) {
  return {key, [member, check = std::move(check)](const toml::node& value, const std::string& path,
                                                  T& out, Diagnostics& diag) {
            if (!expect_type(value, toml::node_type::string, path, diag)) {
              return;
            }
            std::string s = value.as_string()->get();
            if (auto problem = check(s)) {
              diag.error(value.source(), path + ": " + *problem);
              return;
            }
            out.*member = std::move(s);
          }};
}

// A string that names one value of an enum (common/enum_names.hpp): the words accepted are the
// enum's own table, and a near miss gets "did you mean".
template <class T, NamedEnum E>
Field<T> enum_field(std::string_view key, E T::*member) {
  return {key,
          [member](const toml::node& value, const std::string& path, T& out, Diagnostics& diag) {
            if (!expect_type(value, toml::node_type::string, path, diag)) {
              return;
            }
            const std::string s = value.as_string()->get();
            if (auto parsed = parse_enum<E>(s)) {
              out.*member = *parsed;
              return;
            }
            diag.error(value.source(), path + ": " + check_one_of(s, enum_names<E>()).value_or(s));
          }};
}

// An array of strings, each checked on its own; errors point at the offending element. Returns
// the whole list only when every element passed.
[[nodiscard]] std::optional<std::vector<std::string>> read_string_list(const toml::node& value,
                                                                       const std::string& path,
                                                                       const StringCheck& check,
                                                                       Diagnostics& diag);

// An array of strings into an optional list, so that "absent" and "[]" stay distinct.
template <class T>
Field<T> string_list_field(std::string_view key, std::optional<std::vector<std::string>> T::*member,
                           StringCheck check) {
  return {key, [member, check = std::move(check)](const toml::node& value, const std::string& path,
                                                  T& out, Diagnostics& diag) {
            if (auto items = read_string_list(value, path, check, diag)) {
              out.*member = std::move(*items);
            }
          }};
}

// An array of strings into a plain list, where absent and "[]" mean the same.
template <class T>
Field<T> string_list_field(std::string_view key, std::vector<std::string> T::*member,
                           StringCheck check) {
  return {key, [member, check = std::move(check)](const toml::node& value, const std::string& path,
                                                  T& out, Diagnostics& diag) {
            if (auto items = read_string_list(value, path, check, diag)) {
              out.*member = std::move(*items);
            }
          }};
}

// Reports "path: missing required key 'a'" (or "keys 'a', 'b'") at the table's header: the key
// is absent, so there is nothing closer to point at.
void report_missing_keys(const toml::table& table, const std::string& path,
                         const std::vector<std::string_view>& required, Diagnostics& diag);

// Outgoing DICOM TLS keys of a destination or the worklist: `tls = true` needs tls_ca_file (the
// peer's certificate is always verified), and tls_certificate and tls_key come together.
void check_tls_keys(const toml::table& table, const std::string& path, bool tls, Diagnostics& diag);

// A nested table (e.g. [server] inside the root) validated by its own schema.
template <class T, class M>
Field<T> table_field(std::string_view key, M T::*member, TableSchema<M> schema) {
  return {key, [member, schema = std::move(schema)](
                   const toml::node& value, const std::string& path, T& out, Diagnostics& diag) {
            if (expect_type(value, toml::node_type::table, path, diag)) {
              apply_table(schema, *value.as_table(), path, out.*member, diag);
            }
          }};
}

// One table of an array of tables, as the cross-key and cross-element checks see it.
template <class M>
struct TableElement {
  const toml::table* table;  // for positions and for which keys were given
  std::string path;          // "destination[2]"
  M value;
  bool clean;  // every key of this element passed its own check (cross-key rules can trust them)
};

// Rules that involve several keys or several elements (required keys, ordering, uniqueness).
// Runs once per array, after every element was applied.
template <class M>
using ArrayCheck = std::function<void(std::vector<TableElement<M>>& elements, Diagnostics&)>;

// An array of tables (`[[destination]]`, or `destination = [{...}, ...]`) into a vector, each
// element validated by `schema` and located as "key[i].sub".
template <class T, class M>
Field<T> table_array_field(std::string_view key, std::vector<M> T::*member, TableSchema<M> schema,
                           ArrayCheck<M> check) {
  return {key, [member, schema = std::move(schema), check = std::move(check)](
                   const toml::node& value, const std::string& path, T& out, Diagnostics& diag) {
            // `[destination]` for `[[destination]]` is the likely slip; say how to write it.
            const std::string hint =
                value.is_table() ? "; write each entry as a [[" + path + "]] table" : "";
            if (!expect_type(value, toml::node_type::array, path, diag, hint, "array of tables")) {
              return;
            }
            const toml::array& array = *value.as_array();
            std::vector<TableElement<M>> elements;
            elements.reserve(array.size());
            for (size_t i = 0; i < array.size(); ++i) {
              std::string element_path = path + "[" + std::to_string(i) + "]";
              const toml::node& element = array[i];
              if (!expect_type(element, toml::node_type::table, element_path, diag)) {
                continue;
              }
              const size_t before = diag.count();
              M item{};
              apply_table(schema, *element.as_table(), element_path, item, diag);
              elements.push_back({element.as_table(), std::move(element_path), std::move(item),
                                  diag.count() == before});
            }
            check(elements, diag);
            std::vector<M> items;
            items.reserve(elements.size());
            for (TableElement<M>& e : elements) {
              items.push_back(std::move(e.value));
            }
            out.*member = std::move(items);
          }};
}

}  // namespace acc::config::detail
