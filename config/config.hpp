#pragma once
// Typed, validated configuration. TOML in, plain structs out. Loading is control plane: a bad file
// throws ConfigError with file:line:column, and `accessioner` exits 1 with that message.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace acc::config {

// [server]: the DICOM listener (the "downstream" side: modalities connect here).
struct ServerConfig {
  std::string ae_title = "ACCESSIONER";  // called AE title we answer to (1..16 chars, no '\')
  std::string bind = "0.0.0.0";          // IPv4 or IPv6 literal
  uint16_t port = 11112;                 // 1..65535
  uint32_t max_associations = 64;        // concurrent; one more gets A-ASSOCIATE-RJ transient
  uint32_t max_pdu_length = 131072;      // announced in our A-ASSOCIATE-AC (4096..4194304)
  uint32_t idle_timeout_s = 60;          // an association silent this long is aborted
  uint32_t artim_timeout_s = 30;         // PS3.8 ARTIM: wait for A-ASSOCIATE-RQ / for peer close
  // Calling AE titles allowed to associate; std::nullopt = any.
  std::optional<std::vector<std::string>> allowed_calling_ae;
  uint32_t io_threads = 0;  // 0 = number of cores
  // SIGTERM: stop accepting, let associations and in-flight forwards finish for at most this long.
  uint32_t shutdown_grace_s = 30;  // 1..3600
};

// [storage]: where received instances are committed (RocksDB).
struct StorageConfig {
  std::string path = "var/accessioner";  // relative paths resolve against the working directory
  // Largest data set accepted in one C-STORE; receiving more aborts the association (A-ABORT):
  // the bytes are refused as they arrive, never buffered beyond this.
  uint64_t max_instance_bytes = uint64_t{2} << 30;
  // false trades the durability promise for speed: diagnostics and benchmarks only, logged loudly.
  bool sync = true;
  // Below this much free space on the storage filesystem, C-STORE is answered 0xA700 (out of
  // resources) instead of accepted; receiving resumes by itself when space returns. 0 = off.
  // The default is a last-resort guard against ENOSPC (RocksDB turns read-only on it); size it to
  // a few hours of peak intake in production.
  uint64_t free_space_floor_mb = 100;
};

// [[destination]]: a PACS every instance is forwarded to (the "upstream cluster").
struct DestinationConfig {
  std::string name;        // required; unique; [A-Za-z0-9_.-], 1..64 chars (used in logs, CLI)
  std::string ae_title;    // required; called AE title of the PACS
  std::string host;        // required; hostname or IP literal
  uint16_t port = 0;       // required; 1..65535
  std::string calling_ae;  // default: server.ae_title
  uint32_t max_associations = 4;      // parallel associations to this destination (1..64)
  uint32_t retry_initial_s = 5;       // first backoff (1..86400)
  uint32_t retry_max_s = 600;         // backoff cap (>= retry_initial_s, <= 86400)
  uint32_t max_attempts = 0;          // 0 = retry for ever; otherwise dead-letter after this many
  uint32_t connect_timeout_s = 10;    // TCP connect + A-ASSOCIATE (1..600)
  uint32_t response_timeout_s = 120;  // waiting for a C-STORE-RSP (1..3600)
  uint32_t idle_release_s = 30;       // an idle association is released after this (1..3600)
  uint32_t max_pdu_length = 131072;   // what we announce to the PACS (4096..4194304)
};

// [log]
struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
};

struct RouterConfig {
  ServerConfig server;
  StorageConfig storage;
  LogConfig log;
  std::vector<DestinationConfig> destinations;
  std::string source;  // file it came from, or "<embedded default>"
};

// A configuration problem, located in its file. what() is "file:line:column: message".
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, uint32_t line, uint32_t column, std::string message);
  const std::string& file() const { return file_; }
  uint32_t line() const { return line_; }
  uint32_t column() const { return column_; }
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  uint32_t line_;
  uint32_t column_;
  std::string message_;
};

// The configuration used when no --config is given.
[[nodiscard]] RouterConfig embedded_default();

// Reads and validates a file. Throws ConfigError (missing file: line 0, column 0).
[[nodiscard]] RouterConfig load_file(const std::filesystem::path& file);

// Parses TOML text; `source_name` is used in error messages. Throws ConfigError.
[[nodiscard]] RouterConfig parse(std::string_view toml_text, const std::string& source_name);

}  // namespace acc::config
