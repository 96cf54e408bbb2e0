#pragma once
// One `accessioner serve` child with its own temp dir (config, storage, log). It listens on port 0
// (any free port, chosen by the kernel at bind time) and the test reads the bound port back from
// its log: no number is picked in advance, so tests running in parallel cannot race for one.
// Stopped (SIGKILL if need be) on destruction, so a failing test leaves nothing running.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace acc::test {

// Path of the binary under test: $ACC_DAEMON_UNDER_TEST if set, else this build's (compile
// definition ACC_BINARY).
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

  // Writes the config ([server] port = 0), starts the server and waits for its "accessioner
  // listening on ADDR:PORT as AE" line, logged once it listens, which gives port(). Opens no
  // connection: a probe would briefly hold an association slot. Throws std::runtime_error (with
  // the log tail) if it exits or logs no such line within 20 s. Every start binds anew, so a
  // restarted server usually has another port: read port() again after start().
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
  // kill9(), then start() on the same storage. The port may change: read port() again.
  void restart_after_kill();

  [[nodiscard]] bool running();
  [[nodiscard]] pid_t pid() const { return child_.pid(); }
  // The DICOM port the running server bound (from its log, see start()); 0 before start().
  [[nodiscard]] uint16_t port() const noexcept { return port_; }
  // The metrics endpoint's port, from the "metrics on ADDR:PORT" line this run logged (waits up
  // to 10 s for it). Throws std::runtime_error if the line does not appear.
  [[nodiscard]] uint16_t metrics_port() const;
  // The DICOM TLS listener's port ([server.tls]), from the "DICOM TLS listener on ADDR:PORT" line
  // this run logged (waits up to 10 s for it). Throws std::runtime_error if the line does not
  // appear.
  [[nodiscard]] uint16_t tls_port() const;
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
  // The port in group 1 of the last line matching `line` that the current run logged (the log
  // is appended to across restarts), if any yet.
  [[nodiscard]] std::optional<uint16_t> logged_port(const std::regex& line) const;

  AccessionerOptions options_;
  TempDir dir_;
  uint16_t port_ = 0;
  std::uintmax_t run_log_offset_ = 0;  // size of the log when the current run was started
  ChildProcess child_;
};

// The entry of a `queue list --json` array with this SOP Instance UID, or nullptr.
[[nodiscard]] const nlohmann::json* find_instance(const nlohmann::json& list,
                                                  const std::string& sop_instance_uid);

}  // namespace acc::test
