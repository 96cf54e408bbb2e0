#include "config/config.hpp"

#include <algorithm>

#include <toml++/toml.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>

#include "common/read_text_file.hpp"
#include "config/checks.hpp"
#include "config/destinations.hpp"
#include "config/schema.hpp"
#include "config/worklist_tables.hpp"

namespace acc::config {

ConfigError::ConfigError(std::string file, uint32_t line, uint32_t column, std::string message)
    : std::runtime_error(file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
                         message),
      file_(std::move(file)),
      line_(line),
      column_(column),
      message_(std::move(message)) {}

namespace {

using detail::bool_field;
using detail::integer_field;
using detail::string_field;
using detail::string_list_field;
using detail::table_field;
using detail::TableSchema;

constexpr int64_t kMaxInstanceBytes = int64_t{1} << 40;
// A config file is a few kB; the cap keeps `--config /dev/zero` from eating the memory.
constexpr size_t kMaxFileBytes = size_t{16} << 20;

TableSchema<ServerTlsConfig> server_tls_schema() {
  using S = ServerTlsConfig;
  return {
      integer_field("port", &S::port, 0, 65535),
      string_field("certificate", &S::certificate, detail::check_non_empty),
      string_field("key", &S::key, detail::check_non_empty),
      string_field("ca_file", &S::ca_file, detail::check_non_empty),
      bool_field("require_client_certificate", &S::require_client_certificate),
      string_list_field("allowed_client_subjects", &S::allowed_client_subjects,
                        detail::check_non_empty),
  };
}

// [server.tls]: present = enabled; certificate and key required, and ca_file when client
// certificates are required (a CA is what they are verified against).
detail::Field<ServerConfig> server_tls_field() {
  return {"tls", [](const toml::node& value, const std::string& path, ServerConfig& out,
                    detail::Diagnostics& diag) {
            if (!detail::expect_type(value, toml::node_type::table, path, diag)) {
              return;
            }
            const toml::table& table = *value.as_table();
            ServerTlsConfig tls;
            tls.enabled = true;
            detail::apply_table(server_tls_schema(), table, path, tls, diag);
            std::vector<std::string_view> required = {"certificate", "key"};
            if (tls.require_client_certificate) {
              required.push_back("ca_file");
            }
            detail::report_missing_keys(table, path, required, diag);
            out.tls = std::move(tls);
          }};
}

TableSchema<ServerConfig> server_schema() {
  return {
      string_field("ae_title", &ServerConfig::ae_title, detail::check_ae_title),
      string_field("bind", &ServerConfig::bind, detail::check_ip_literal),
      integer_field("port", &ServerConfig::port, 0, 65535),
      integer_field("max_associations", &ServerConfig::max_associations, 1, 4096),
      integer_field("max_connections", &ServerConfig::max_connections, 1, 65536),
      integer_field("max_connections_per_source", &ServerConfig::max_connections_per_source, 1,
                    65536),
      integer_field("max_pdu_length", &ServerConfig::max_pdu_length, 4096, 4194304),
      integer_field("idle_timeout_s", &ServerConfig::idle_timeout_s, 1, 86400),
      integer_field("artim_timeout_s", &ServerConfig::artim_timeout_s, 1, 600),
      integer_field("progress_window_s", &ServerConfig::progress_window_s, 0, 86400),
      integer_field("min_progress_bytes", &ServerConfig::min_progress_bytes, 0, 1073741824),
      string_list_field("allowed_calling_ae", &ServerConfig::allowed_calling_ae,
                        detail::check_ae_title),
      string_list_field("allowed_sources", &ServerConfig::allowed_sources,
                        detail::check_network_prefix),
      integer_field("io_threads", &ServerConfig::io_threads, 0, 64),
      integer_field("shutdown_grace_s", &ServerConfig::shutdown_grace_s, 1, 3600),
      integer_field("receive_memory_budget_mb", &ServerConfig::receive_memory_budget_mb, 64,
                    1048576),
      integer_field("spool_above_kb", &ServerConfig::spool_above_kb, 64, 1048576),
      server_tls_field(),
  };
}

TableSchema<StorageConfig> storage_schema() {
  return {
      string_field("path", &StorageConfig::path, detail::check_non_empty),
      integer_field("max_instance_bytes", &StorageConfig::max_instance_bytes, 1024,
                    kMaxInstanceBytes),
      bool_field("sync", &StorageConfig::sync),
      integer_field("free_space_floor_mb", &StorageConfig::free_space_floor_mb, 0, 1048576),
  };
}

TableSchema<RulesConfig> rules_schema() {
  return {
      string_list_field("files", &RulesConfig::files,
                        [](std::string& v) -> std::optional<std::string> {
                          if (v.empty()) {
                            return "must not be empty";
                          }
                          return std::nullopt;
                        }),
  };
}

TableSchema<LogConfig> log_schema() {
  return {
      string_field("level", &LogConfig::level,
                   [](std::string& v) {
                     return detail::check_one_of(
                         v, {"trace", "debug", "info", "warn", "error", "critical", "off"});
                   }),
      string_field("format", &LogConfig::format,
                   [](std::string& v) {
                     return detail::check_one_of(v, {"text", "json"});
                   }),
      string_field("file", &LogConfig::file,
                   [](std::string& v) -> std::optional<std::string> {
                     if (v.find('\0') != std::string::npos) {
                       return "must not contain NUL";
                     }
                     return std::nullopt;
                   }),
      integer_field("max_file_mb", &LogConfig::max_file_mb, 1, 10240),
      integer_field("max_files", &LogConfig::max_files, 1, 100),
  };
}

TableSchema<MetricsConfig> metrics_schema() {
  return {
      bool_field("enabled", &MetricsConfig::enabled),
      string_field("bind", &MetricsConfig::bind, detail::check_ip_literal),
      integer_field("port", &MetricsConfig::port, 0, 65535),
      integer_field("max_connections", &MetricsConfig::max_connections, 1, 1024),
      integer_field("request_timeout_s", &MetricsConfig::request_timeout_s, 1, 60),
  };
}

TableSchema<AdminConfig> admin_schema() {
  return {
      string_field("group", &AdminConfig::group, detail::check_group_name),
  };
}

const TableSchema<RouterConfig>& root_schema() {
  static const TableSchema<RouterConfig> schema = {
      table_field("server", &RouterConfig::server, server_schema()),
      table_field("storage", &RouterConfig::storage, storage_schema()),
      table_field("log", &RouterConfig::log, log_schema()),
      table_field("metrics", &RouterConfig::metrics, metrics_schema()),
      detail::destinations_field(),
      detail::worklist_field(),
      detail::accession_field(),
      detail::matching_field(),
      table_field("rules", &RouterConfig::rules, rules_schema()),
      table_field("admin", &RouterConfig::admin, admin_schema()),
  };
  return schema;
}

}  // namespace

RouterConfig embedded_default() {
  RouterConfig config;
  detail::resolve_worklist_defaults(config);
  config.source = "<embedded default>";
  return config;
}

namespace {

// Matching compares an instance with the orders scheduled within date_window_days of it; the
// cache holds only those the RIS returned for today - days_before .. today + days_after. A wider
// matching window would compare against an incomplete candidate set, where a missing competitor
// makes another order look unique (issue 10, invariant 5).
void check_window_inside_query(const toml::table& root, const RouterConfig& config,
                               detail::Diagnostics& diag) {
  const toml::node* window = root.at_path("matching.date_window_days").node();
  if (window == nullptr || !config.worklist.enabled) {
    return;
  }
  const uint32_t w = config.matching.date_window_days;
  const uint32_t narrowest = std::min(config.worklist.days_before, config.worklist.days_after);
  if (w > narrowest) {
    diag.error(window->source(),
               "[matching] date_window_days = " + std::to_string(w) +
                   " is wider than the worklist query window ([worklist] days_before = " +
                   std::to_string(config.worklist.days_before) +
                   ", days_after = " + std::to_string(config.worklist.days_after) +
                   "): orders outside it are never cached, so they could not compete. Widen "
                   "days_before/days_after to at least " +
                   std::to_string(w) + " or narrow date_window_days");
  }
}

}  // namespace

RouterConfig parse(std::string_view toml_text, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, std::string_view{source_name});
  } catch (const toml::parse_error& e) {
    throw ConfigError(source_name, e.source().begin.line, e.source().begin.column,
                      std::string(e.description()));
  }
  RouterConfig config;
  detail::Diagnostics diag(source_name);
  detail::apply_table(root_schema(), root, "", config, diag);
  if (!root.contains("accession")) {
    // The defaults must pass the rules a written [accession] table has to.
    detail::check_accession(config.accession, nullptr, diag);
  }
  check_window_inside_query(root, config, diag);
  diag.throw_if_any();
  detail::resolve_destination_defaults(config);
  detail::resolve_worklist_defaults(config);
  config.source = source_name;
  return config;
}

RouterConfig load_file(const std::filesystem::path& file) {
  const std::string name = file.string();
  auto text = read_text_file(name, kMaxFileBytes);
  if (!text) {
    throw ConfigError(name, 0, 0, text.error().detail);
  }
  return parse(*text, name);
}

}  // namespace acc::config
