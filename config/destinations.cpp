#include "config/destinations.hpp"

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/checks.hpp"

namespace acc::config::detail {

namespace {

using Element = TableElement<DestinationConfig>;

std::optional<std::string> check_status_pattern(std::string& value) {
  auto pattern = parse_status_pattern(value);
  if (!pattern) {
    return pattern.error().detail;
  }
  value = to_string(*pattern);
  return std::nullopt;
}

// ["0xA7xx", "0x0110"]: which failure statuses are retried; [] = none (every failure is final).
Field<DestinationConfig> retry_statuses_field() {
  return {"retry_statuses", [](const toml::node& value, const std::string& path,
                               DestinationConfig& out, Diagnostics& diag) {
            auto texts = read_string_list(value, path, check_status_pattern, diag);
            if (!texts) {
              return;
            }
            out.retry_statuses.clear();
            for (const std::string& text : *texts) {
              out.retry_statuses.push_back(parse_status_pattern(text).value());
            }
          }};
}

TableSchema<DestinationConfig> destination_schema() {
  using D = DestinationConfig;
  return {
      string_field("name", &D::name, check_destination_name),
      string_field("ae_title", &D::ae_title, check_ae_title),
      string_field("host", &D::host, check_host),
      integer_field("port", &D::port, 1, 65535),
      string_field("calling_ae", &D::calling_ae, check_ae_title),
      integer_field("max_associations", &D::max_associations, 1, 64),
      integer_field("retry_initial_s", &D::retry_initial_s, 1, 86400),
      integer_field("retry_max_s", &D::retry_max_s, 1, 86400),
      integer_field("max_attempts", &D::max_attempts, 0, 1000000),
      integer_field("connect_timeout_s", &D::connect_timeout_s, 1, 600),
      integer_field("response_timeout_s", &D::response_timeout_s, 1, 3600),
      integer_field("idle_release_s", &D::idle_release_s, 1, 3600),
      integer_field("max_pdu_length", &D::max_pdu_length, 4096, 4194304),
      retry_statuses_field(),
      bool_field("tls", &D::tls),
      string_field("tls_ca_file", &D::tls_ca_file, check_non_empty),
      string_field("tls_certificate", &D::tls_certificate, check_non_empty),
      string_field("tls_key", &D::tls_key, check_non_empty),
      bool_field("tls_verify_hostname", &D::tls_verify_hostname),
  };
}

void check_retry_order(const Element& e, Diagnostics& diag) {
  const DestinationConfig& d = e.value;
  // An entry with a bad key holds defaults in its place; comparing them would mislead.
  if (!e.clean || d.retry_max_s >= d.retry_initial_s) {
    return;
  }
  const std::string initial = std::to_string(d.retry_initial_s);
  if (const toml::node* max = e.table->get("retry_max_s")) {
    diag.error(max->source(), e.path + ".retry_max_s: " + std::to_string(d.retry_max_s) +
                                  " is less than retry_initial_s (" + initial + ")");
    return;
  }
  // Only retry_initial_s was given, above the default cap (the defaults themselves are ordered).
  if (const toml::node* given = e.table->get("retry_initial_s")) {
    diag.error(given->source(),
               e.path + ".retry_initial_s: " + initial + " is greater than retry_max_s (default " +
                   std::to_string(DestinationConfig{}.retry_max_s) + "); set retry_max_s as well");
  }
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Case-insensitive: "PACS" and "pacs" side by side would be a trap in logs and on the CLI.
void check_unique_names(const std::vector<Element>& elements, Diagnostics& diag) {
  std::map<std::string, const Element*> seen;  // lower-cased name -> first entry with it
  for (const Element& e : elements) {
    if (e.value.name.empty()) {
      continue;  // missing or invalid: already reported
    }
    std::string folded = e.value.name;
    for (char& c : folded) {
      c = lower(c);
    }
    const auto [it, inserted] = seen.emplace(std::move(folded), &e);
    if (inserted) {
      continue;
    }
    const Element& first = *it->second;
    const toml::node& first_name = *first.table->get("name");
    std::string message = e.path + ".name: destination '" + e.value.name +
                          "' defined twice (first at line " +
                          std::to_string(first_name.source().begin.line);
    if (first.value.name != e.value.name) {
      message += ", as '" + first.value.name + "'; names are compared ignoring case";
    }
    diag.error(e.table->get("name")->source(), message + ")");
  }
}

void check_destinations(std::vector<Element>& elements, Diagnostics& diag) {
  for (const Element& e : elements) {
    report_missing_keys(*e.table, e.path, {"name", "ae_title", "host", "port"}, diag);
    check_retry_order(e, diag);
    check_tls_keys(*e.table, e.path, e.value.tls, diag);
  }
  check_unique_names(elements, diag);
}

}  // namespace

Field<RouterConfig> destinations_field() {
  return table_array_field<RouterConfig, DestinationConfig>(
      "destination", &RouterConfig::destinations, destination_schema(), check_destinations);
}

void resolve_destination_defaults(RouterConfig& config) {
  for (DestinationConfig& d : config.destinations) {
    // Empty only when not given: a given calling_ae passed check_ae_title, which refuses "".
    if (d.calling_ae.empty()) {
      d.calling_ae = config.server.ae_title;
    }
  }
}

}  // namespace acc::config::detail
