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

#include "config/policies.hpp"
#include "config/status_pattern.hpp"

namespace acc::config {

// [server.tls]: a DICOM TLS listener (PS3.15 Annex B, BCP 195 profile) on a port of its own, beside
// the plain one (issue 12). Absent table = none.
struct ServerTlsConfig {
  bool enabled = false;     // true when the table is present
  uint16_t port = 2762;     // the registered DICOM TLS port; 0 = any free port, logged at start
  std::string certificate;  // required; PEM, the chain may follow the leaf
  std::string key;          // required; PEM, unencrypted (readable by the service user only)
  std::string ca_file;      // CAs whose client certificates are accepted; required when
                            // require_client_certificate
  bool require_client_certificate = true;
  // RFC 2253 subjects ("CN=CT01,O=General Hospital") allowed; std::nullopt = any certificate
  // the CA signed. Compared as OpenSSL prints them.
  std::optional<std::vector<std::string>> allowed_client_subjects;
};

// [server]: the DICOM listener (the "downstream" side: modalities connect here).
struct ServerConfig {
  std::string ae_title = "ACCESSIONER";  // called AE title we answer to (1..16 chars, no '\')
  std::string bind = "0.0.0.0";          // IPv4 or IPv6 literal
  uint16_t port = 11112;                 // 0..65535; 0 = any free port, logged at start
  // Concurrent associations, counted from their A-ASSOCIATE-RQ (a connection that has not sent
  // one holds no slot); one more gets A-ASSOCIATE-RJ transient.
  uint32_t max_associations = 64;
  // Open TCP connections, associated or not, all sources together; one more is closed at once,
  // before any PDU is read (issue 12). 1..65536.
  uint32_t max_connections = 256;
  // Open TCP connections from one source address; one more is closed at once. A modality uses a
  // few; a router or an archive migrating into us, up to its association count. 1..65536.
  uint32_t max_connections_per_source = 32;
  uint32_t max_pdu_length = 131072;  // announced in our A-ASSOCIATE-AC (4096..4194304)
  uint32_t idle_timeout_s = 60;      // an association silent this long is aborted
  uint32_t artim_timeout_s = 30;     // PS3.8 ARTIM: wait for A-ASSOCIATE-RQ / for peer close
  // An association whose peer sends fewer than min_progress_bytes in progress_window_s is aborted
  // (issue 12: a peer trickling small PDUs just inside idle_timeout_s held a slot for ever).
  // progress_window_s 0 = no check; 0..86400. min_progress_bytes 0..1073741824.
  uint32_t progress_window_s = 300;
  uint64_t min_progress_bytes = 16384;
  // Calling AE titles allowed to associate; std::nullopt = any.
  std::optional<std::vector<std::string>> allowed_calling_ae;
  // Source networks (CIDR, canonical form "10.20.0.0/16"; an address alone is one host) allowed
  // to connect; any other connection is closed before a byte of it is read (issue 12).
  // std::nullopt = any; [] = none. With allowed_calling_ae, a site runs deny-by-default.
  std::optional<std::vector<std::string>> allowed_sources;
  uint32_t io_threads = 0;  // 0 = number of cores
  // SIGTERM: stop accepting, let associations and in-flight forwards finish for at most this long.
  uint32_t shutdown_grace_s = 30;  // 1..3600
  // Memory for data sets being received, all associations together (issue 11). A C-STORE whose
  // data set would pass it is read to its end but not kept, and answered 0xA700 (out of
  // resources): the modality retries later. A buffer's growth is counted before it happens
  // (doubling: up to 1.5x the data set while it grows). With spooling, one association holds at
  // most about spool_above_kb, so the default serves 128 busy associations. 64..1048576.
  uint64_t receive_memory_budget_mb = 512;
  // A data set is received in memory up to this size; a larger one goes, as it arrives, to a
  // spool file on the storage volume (<storage>/spool), chunks of this size at a time, and only
  // its attributes before the pixel data are read back (issue 11). 64..1048576.
  uint64_t spool_above_kb = 4096;
  ServerTlsConfig tls;
};

// [storage]: where received instances are committed (RocksDB).
struct StorageConfig {
  std::string path = "var/accessioner";  // relative paths resolve against the working directory
  // Largest data set accepted in one C-STORE; receiving more aborts the association (A-ABORT):
  // the bytes are refused as they arrive, never buffered beyond this. Large data sets are spooled
  // to disk, not held (spool_above_kb), so the free-space floor is the practical bound.
  uint64_t max_instance_bytes = uint64_t{64} << 30;
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
  // DICOM TLS to this PACS (issue 12): its certificate is verified against tls_ca_file (and,
  // with tls_verify_hostname, against `host`: DNS or IP subjectAltName); ours is sent when
  // tls_certificate/tls_key are given.
  bool tls = false;
  std::string tls_ca_file;  // required with tls
  std::string tls_certificate;
  std::string tls_key;
  bool tls_verify_hostname = true;
  // Failure statuses retried with backoff (up to max_attempts); any other failure is
  // dead-lettered at once. Success and warnings are always delivered. (issue 12)
  std::vector<StatusPattern> retry_statuses = default_retry_statuses();
};

// [log]
struct LogConfig {
  std::string level = "info";   // trace, debug, info, warn, error, critical, off
  std::string format = "text";  // text | json (one JSON object per line)
  // Also write to this file, rotated by size (stdout always gets the log: systemd and Docker
  // collect it). Empty = stdout only. Relative paths resolve against the working directory.
  std::string file;
  uint32_t max_file_mb = 100;  // 1..10240: size at which the file is rotated
  uint32_t max_files = 5;      // 1..100: rotated files kept
};

// [metrics]: the HTTP endpoint for Prometheus and health checks (issue 6).
struct MetricsConfig {
  bool enabled = true;
  std::string bind = "127.0.0.1";  // loopback by default: expose on purpose, not by accident
  uint16_t port = 9110;            // 0..65535; 0 = any free port (tests), logged at start
  uint32_t max_connections = 16;   // 1..1024; more are answered 503 and closed
  uint32_t request_timeout_s = 5;  // 1..60: a request head must arrive within this
};

// [worklist]: the RIS / broker Modality Worklist SCP that Accessioner queries (issue 4).
// Absent table = no worklist: nothing is stamped, instances are forwarded as received.
struct WorklistConfig {
  // true when the [worklist] table is present, unless it says `enabled = false`; the other keys
  // are validated either way, but required only when enabled.
  bool enabled = false;
  std::string ae_title;                 // required; called AE of the MWL SCP
  std::string host;                     // required
  uint16_t port = 0;                    // required, 1..65535
  std::string calling_ae;               // default (filled by parse): server.ae_title
  uint32_t refresh_s = 60;              // 5..86400
  uint32_t days_before = 1;             // query window around today, 0..31
  uint32_t days_after = 1;              // 0..31
  std::vector<std::string> modalities;  // empty = all; else one query per modality (CS codes)
  bool query_on_miss = true;            // C-FIND for the patient when nothing in the cache matches
  uint32_t grace_s = 3600;  // an entry gone from the RIS keeps matching this long, 0..604800
  uint32_t timeout_s = 30;  // connect + each response, 1..600
  // DICOM TLS to the worklist SCP, as for a destination (issue 12).
  bool tls = false;
  std::string tls_ca_file;  // required with tls
  std::string tls_certificate;
  std::string tls_key;
  bool tls_verify_hostname = true;
};

// [accession]: issuer used when the MWL entry carries no Issuer of Accession Number Sequence.
struct AccessionConfig {
  std::string issuer_local_namespace = "RIS";  // may be empty only if universal id is set
  std::string issuer_universal_id;             // e.g. an OID
  std::string issuer_universal_id_type;        // required when universal id is set: DNS, EUI64,
                                               // ISO, URI, UUID, X400, X500
};

// [matching]: what to do with what the worklist says.
struct MatchingConfig {
  uint32_t date_window_days = 0;  // 0..31; 0 = same day as the study
  ExistingAccessionPolicy existing_accession = ExistingAccessionPolicy::keep;
  UnmatchedPolicy on_unmatched = UnmatchedPolicy::hold;
  UnmatchedPolicy on_ambiguous = UnmatchedPolicy::hold;
  uint32_t hold_s = 1800;  // 0..604800: keep re-matching this long, then:
  AfterHoldPolicy after_hold = AfterHoldPolicy::forward;
  // Groups of modality codes treated as the same, e.g. [["PT","PET"],["CR","DX"]].
  std::vector<std::vector<std::string>> modality_aliases;
};

// [rules]: site rule files (issue 5), loaded and validated by the rules module. Globs relative to
// the directory of the configuration file; evaluated in file-name order.
struct RulesConfig {
  std::vector<std::string> files;
};

// [admin]: who may use the admin socket (<storage.path>/admin.sock) besides root and the service
// user (issue 12).
struct AdminConfig {
  // A system group whose members may run `accessioner queue|hold|worklist|decisions|reload`
  // against the running server: the socket becomes mode 0660 with this group. Empty = none (mode
  // 0600). Whether the group exists is checked when the server starts.
  std::string group;
};

struct RouterConfig {
  ServerConfig server;
  StorageConfig storage;
  LogConfig log;
  MetricsConfig metrics;
  std::vector<DestinationConfig> destinations;
  WorklistConfig worklist;
  AccessionConfig accession;
  MatchingConfig matching;
  RulesConfig rules;
  AdminConfig admin;
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
