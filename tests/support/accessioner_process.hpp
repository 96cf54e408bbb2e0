#pragma once
// One `accessioner serve` child on a free loopback port with its own temp dir (config, storage,
// log). Stopped (SIGKILL if need be) on destruction, so a failing test leaves nothing running.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace acc::test {

// Path of the binary under test (compile definition ACC_BINARY).
[[nodiscard]] std::filesystem::path accessioner_binary();

// One [[destination]] table. `extra` holds further TOML lines, e.g. "max_associations = 1".
struct DestinationOptions {
  std::string name = "pacs";
  std::string ae_title = "PACS";
  uint16_t port = 0;
  std::string host = "127.0.0.1";
  std::string extra{};
};

struct AccessionerOptions {
  std::string ae_title = "ACCESSIONER";
  // Extra TOML lines for the [server] table, e.g. "max_associations = 1".
  std::string server_extra{};
  // Extra TOML lines for the [storage] table, e.g. "max_instance_bytes = 1024".
  std::string storage_extra{};
  // Further top-level TOML tables, written after [log], e.g. "[worklist]\nae_title = ...".
  // Without a [metrics] table here the server gets `[metrics] port = 0` (any free port, see
  // metrics_port()), so concurrent tests never collide on the default 9110.
  std::string extra_tables{};
  bool sync = true;
  uint32_t artim_timeout_s = 5;
  uint32_t idle_timeout_s = 30;
  std::vector<DestinationOptions> destinations{};
};

class AccessionerProcess {
 public:
  explicit AccessionerProcess(AccessionerOptions options = {});
  ~AccessionerProcess();
  AccessionerProcess(const AccessionerProcess&) = delete;
  AccessionerProcess& operator=(const AccessionerProcess&) = delete;

  // Writes the config, starts the server, waits until its port is in LISTEN state (without
  // connecting: a probe connection would briefly hold an association slot). Throws
  // std::runtime_error (with the log tail) if it exits or does not listen within 20 s.
  void start();
  // Writes config_path() only (start() does this too): for commands that need no server, such as
  // `check-config` or `rules test`.
  void write_config() const;
  // Sends `signo` to the running server (e.g. SIGHUP: reload the rule files).
  void send_signal(int signo);
  // SIGKILL: no shutdown path runs (crash tests).
  void kill9();
  // SIGTERM and wait (SIGKILL after `timeout`). Returns the exit status.
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Same port, same storage.
  void restart_after_kill();

  [[nodiscard]] bool running();
  [[nodiscard]] pid_t pid() const { return child_.pid(); }
  [[nodiscard]] uint16_t port() const noexcept { return port_; }
  // The metrics endpoint's port, from the last "metrics on ADDR:PORT" line of the log (waits up
  // to 10 s for it). Throws std::runtime_error if the line does not appear.
  [[nodiscard]] uint16_t metrics_port() const;
  [[nodiscard]] const std::string& ae_title() const noexcept { return options_.ae_title; }
  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_.path(); }
  [[nodiscard]] std::filesystem::path config_path() const { return dir_ / "accessioner.toml"; }
  [[nodiscard]] std::filesystem::path storage_path() const { return dir_ / "storage"; }
  [[nodiscard]] std::filesystem::path log_path() const { return dir_ / "accessioner.log"; }
  [[nodiscard]] std::string log_text() const { return read_text(log_path()); }

  // VmRSS of the server in KiB (from /proc/PID/status), 0 if unreadable.
  [[nodiscard]] long vm_rss_kib() const;

  // The instances of `accessioner queue list --json` (a JSON array of records; the output may
  // be that array or an object holding it under "instances"). Throws std::runtime_error if the
  // command fails.
  [[nodiscard]] nlohmann::json queue_list() const;
  // The whole `queue list --json` object: {"instances": [...], "jobs": [...]}.
  [[nodiscard]] nlohmann::json queue_list_all() const;
  // `accessioner queue stats --json`. Throws std::runtime_error if the command fails.
  [[nodiscard]] nlohmann::json queue_stats() const;
  // `accessioner queue ARGS... --config FILE` (stdout and stderr together in `output`).
  [[nodiscard]] ToolResult queue_command(const std::vector<std::string>& args) const;
  // `accessioner queue export --all --to DIR`.
  [[nodiscard]] ToolResult queue_export_all(const std::filesystem::path& to) const;

  // `accessioner ARGS... --config FILE`, any subcommand (stdout and stderr together).
  [[nodiscard]] ToolResult command(const std::vector<std::string>& args) const;
  // `accessioner ARGS... --json --config FILE`, stdout parsed. Throws std::runtime_error if the
  // command fails or prints no JSON.
  [[nodiscard]] nlohmann::json command_json(const std::vector<std::string>& args) const;
  // `accessioner decisions list [--study UID] --json`: the stamping audit log, oldest first.
  [[nodiscard]] nlohmann::json decisions(const std::string& study_uid = "") const;
  // `accessioner hold list --json` (needs the running server): one entry per held study.
  [[nodiscard]] nlohmann::json held_studies() const;

 private:
  // Runs `accessioner queue ARGS --json` and parses its stdout.
  [[nodiscard]] nlohmann::json queue_json(const std::vector<std::string>& args) const;

  AccessionerOptions options_;
  TempDir dir_;
  uint16_t port_;
  ChildProcess child_;
};

// The entry of a `queue list --json` array with this SOP Instance UID, or nullptr.
[[nodiscard]] const nlohmann::json* find_instance(const nlohmann::json& list,
                                                  const std::string& sop_instance_uid);

}  // namespace acc::test
