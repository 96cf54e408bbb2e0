#include "config/worklist_tables.hpp"

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/checks.hpp"

namespace acc::config::detail {

namespace {

constexpr int64_t kMaxWeekS = 604800;

// A list of modality codes where a repeat is a slip: for `modalities` it would send the same
// C-FIND twice. Errors point at the repeat and name the first occurrence's line.
bool check_no_repeats(const toml::array& codes, const std::vector<std::string>& values,
                      const std::string& path, Diagnostics& diag) {
  bool ok = true;
  for (size_t i = 0; i < values.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (values[j] == values[i]) {
        diag.error(codes[i].source(), path + "[" + std::to_string(i) + "]: " + quote(values[i]) +
                                          " is listed twice (first at line " +
                                          std::to_string(codes[j].source().begin.line) + ")");
        ok = false;
        break;
      }
    }
  }
  return ok;
}

Field<WorklistConfig> modalities_field() {
  return {"modalities", [](const toml::node& value, const std::string& path, WorklistConfig& out,
                           Diagnostics& diag) {
            auto codes = read_string_list(value, path, check_modality_code, diag);
            if (codes && check_no_repeats(*value.as_array(), *codes, path, diag)) {
              out.modalities = std::move(*codes);
            }
          }};
}

TableSchema<WorklistConfig> worklist_schema() {
  using W = WorklistConfig;
  return {
      bool_field("enabled", &W::enabled),
      string_field("ae_title", &W::ae_title, check_ae_title),
      string_field("host", &W::host, check_host),
      integer_field("port", &W::port, 1, 65535),
      string_field("calling_ae", &W::calling_ae, check_ae_title),
      integer_field("refresh_s", &W::refresh_s, 5, 86400),
      integer_field("days_before", &W::days_before, 0, 31),
      integer_field("days_after", &W::days_after, 0, 31),
      modalities_field(),
      bool_field("query_on_miss", &W::query_on_miss),
      integer_field("grace_s", &W::grace_s, 0, kMaxWeekS),
      integer_field("timeout_s", &W::timeout_s, 1, 600),
      bool_field("tls", &W::tls),
      string_field("tls_ca_file", &W::tls_ca_file, check_non_empty),
      string_field("tls_certificate", &W::tls_certificate, check_non_empty),
      string_field("tls_key", &W::tls_key, check_non_empty),
      bool_field("tls_verify_hostname", &W::tls_verify_hostname),
  };
}

const std::vector<std::string_view> kUniversalIdTypes = {"DNS",  "EUI64", "ISO", "URI",
                                                         "UUID", "X400",  "X500"};

TableSchema<AccessionConfig> accession_schema() {
  using A = AccessionConfig;
  return {
      string_field("issuer_local_namespace", &A::issuer_local_namespace, check_issuer_text),
      string_field("issuer_universal_id", &A::issuer_universal_id, check_issuer_text),
      // "" is "not set", like an empty issuer_universal_id; the pairing is checked afterwards.
      string_field("issuer_universal_id_type", &A::issuer_universal_id_type,
                   [](std::string& v) -> std::optional<std::string> {
                     if (v.empty()) {
                       return std::nullopt;
                     }
                     return check_one_of(v, kUniversalIdTypes);
                   }),
  };
}

std::string one_of_text(const std::vector<std::string_view>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    out += (i == 0 ? "" : ", ");
    out += words[i];
  }
  return out;
}

// [["PT","PET"],["CR","DX"]]: each group at least two codes, each code in one group only.
// Matching treats the groups as unrelated sets (not transitive), so a code shared by two groups
// would make "equal" depend on which pair is asked about; a single merged group says it plainly.
Field<MatchingConfig> modality_aliases_field() {
  return {"modality_aliases", [](const toml::node& value, const std::string& path,
                                 MatchingConfig& out, Diagnostics& diag) {
            if (!expect_type(value, toml::node_type::array, path, diag, {},
                             "array of arrays of strings")) {
              return;
            }
            const toml::array& groups = *value.as_array();
            std::vector<std::vector<std::string>> result;
            // code -> (group index, node of its first occurrence)
            std::map<std::string, std::pair<size_t, const toml::node*>> seen;
            bool ok = true;
            for (size_t g = 0; g < groups.size(); ++g) {
              const std::string group_path = path + "[" + std::to_string(g) + "]";
              auto codes = read_string_list(groups[g], group_path, check_modality_code, diag);
              if (!codes) {
                ok = false;
                continue;
              }
              const toml::array& nodes = *groups[g].as_array();
              if (codes->size() < 2) {
                diag.error(groups[g].source(),
                           group_path + ": a group needs at least 2 modality codes, got " +
                               std::to_string(codes->size()));
                ok = false;
              }
              for (size_t i = 0; i < codes->size(); ++i) {
                const std::string& code = (*codes)[i];
                const auto [it, inserted] = seen.emplace(code, std::pair(g, &nodes[i]));
                if (inserted) {
                  continue;
                }
                const auto [first_group, first_node] = it->second;
                const std::string first_line = std::to_string(first_node->source().begin.line);
                std::string message = group_path + "[" + std::to_string(i) + "]: " + quote(code);
                if (first_group == g) {
                  message += " is listed twice in this group (first at line " + first_line + ")";
                } else {
                  message += " is already in group " + std::to_string(first_group) + " (line " +
                             first_line +
                             "); a code may belong to one group only, merge the groups";
                }
                diag.error(nodes[i].source(), std::move(message));
                ok = false;
              }
              result.push_back(std::move(*codes));
            }
            if (ok) {
              out.modality_aliases = std::move(result);
            }
          }};
}

TableSchema<MatchingConfig> matching_schema() {
  using M = MatchingConfig;
  return {
      integer_field("date_window_days", &M::date_window_days, 0, 31),
      enum_field("existing_accession", &M::existing_accession),
      enum_field("on_unmatched", &M::on_unmatched),
      enum_field("on_ambiguous", &M::on_ambiguous),
      integer_field("hold_s", &M::hold_s, 0, kMaxWeekS),
      enum_field("after_hold", &M::after_hold),
      modality_aliases_field(),
  };
}

}  // namespace

Field<RouterConfig> worklist_field() {
  return {"worklist", [schema = worklist_schema()](const toml::node& value, const std::string& path,
                                                   RouterConfig& out, Diagnostics& diag) {
            if (!expect_type(value, toml::node_type::table, path, diag)) {
              return;
            }
            const toml::table& table = *value.as_table();
            // The table's presence switches the worklist on; `enabled = false` keeps a
            // configured [worklist] in the file while switched off.
            out.worklist.enabled = true;
            apply_table(schema, table, path, out.worklist, diag);
            const toml::node* enabled = table.get("enabled");
            if (enabled != nullptr && !enabled->is_boolean()) {
              out.worklist.enabled = false;
              return;  // on or off is unknown: whether keys are required is too
            }
            if (out.worklist.enabled) {
              report_missing_keys(table, path, {"ae_title", "host", "port"}, diag);
              check_tls_keys(table, path, out.worklist.tls, diag);
            }
          }};
}

Field<RouterConfig> accession_field() {
  return {"accession",
          [schema = accession_schema()](const toml::node& value, const std::string& path,
                                        RouterConfig& out, Diagnostics& diag) {
            if (!expect_type(value, toml::node_type::table, path, diag)) {
              return;
            }
            const toml::table& table = *value.as_table();
            const size_t before = diag.count();
            apply_table(schema, table, path, out.accession, diag);
            // A rejected key holds its default; judging the pairing on it would report a
            // problem the file does not have, possibly ahead of the real one.
            if (diag.count() == before) {
              check_accession(out.accession, &table, diag);
            }
          }};
}

Field<RouterConfig> matching_field() {
  return table_field("matching", &RouterConfig::matching, matching_schema());
}

void check_accession(const AccessionConfig& a, const toml::table* table, Diagnostics& diag) {
  const toml::source_region nowhere{};
  const toml::source_region& header = table != nullptr ? table->source() : nowhere;
  auto where = [&](std::string_view key) -> const toml::source_region& {
    const toml::node* node = table != nullptr ? table->get(key) : nullptr;
    return node != nullptr ? node->source() : header;
  };
  if (a.issuer_local_namespace.empty() && a.issuer_universal_id.empty()) {
    diag.error(header,
               "accession: issuer_local_namespace and issuer_universal_id are both empty; set at "
               "least one (instances are stamped with an Issuer of Accession Number)");
  }
  // PS3.3: Universal Entity ID Type is required whenever the ID is present.
  if (!a.issuer_universal_id.empty() && a.issuer_universal_id_type.empty()) {
    diag.error(where("issuer_universal_id"),
               "accession.issuer_universal_id: requires issuer_universal_id_type (one of " +
                   one_of_text(kUniversalIdTypes) + ")");
  }
  // A type with no ID to qualify is a half-edited pair (the ID commented out, say), not a choice.
  if (a.issuer_universal_id.empty() && !a.issuer_universal_id_type.empty()) {
    diag.error(where("issuer_universal_id_type"),
               "accession.issuer_universal_id_type: " + quote(a.issuer_universal_id_type) +
                   " is set but issuer_universal_id is empty; set both or neither");
  }
}

void resolve_worklist_defaults(RouterConfig& config) {
  // Empty only when not given: a given calling_ae passed check_ae_title, which refuses "".
  if (config.worklist.calling_ae.empty()) {
    config.worklist.calling_ae = config.server.ae_title;
  }
}

}  // namespace acc::config::detail
