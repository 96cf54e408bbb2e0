#include "tests/support/accessioner_process.hpp"

#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace acc::test {

std::filesystem::path accessioner_binary() {
  // CI runs the integration tests twice: against this build's daemon (instrumented), then against
  // the optimized one that is packaged (scripts/test.sh).
  if (const char* other = std::getenv("ACC_DAEMON_UNDER_TEST"); other != nullptr && *other) {
    return other;
  }
  return ACC_BINARY;
}

namespace {

// Server::start logs this once the DICOM listener is open; " as " after the digits rules out a
// line still being written. The metrics line ends with the port: the whitespace after it (the
// line end) does the same.
const std::regex kListeningLine(R"(accessioner listening on [^\s]+:(\d+) as )");
const std::regex kMetricsLine(R"(metrics on [^\s]+:(\d+)\s)");
const std::regex kTlsListenerLine(R"(DICOM TLS listener on [^\s]+:(\d+)\s)");

}  // namespace

AccessionerProcess::AccessionerProcess(AccessionerOptions options)
    : options_(std::move(options)), dir_("acc-server") {}

AccessionerProcess::~AccessionerProcess() {
  if (child_.valid()) {
    child_.kill_and_wait();
  }
}

void AccessionerProcess::write_config() const {
  {
    std::ofstream config(config_path(), std::ios::trunc);
    config << "[server]\n"
           << "ae_title = \"" << options_.ae_title << "\"\n"
           << "bind = \"127.0.0.1\"\n"
           << "port = 0\n"
           << "artim_timeout_s = " << options_.artim_timeout_s << "\n"
           << "idle_timeout_s = " << options_.idle_timeout_s << "\n"
           << "io_threads = 2\n"
           << options_.server_extra << "\n"
           << "[storage]\n"
           << "path = \"" << storage_path().string() << "\"\n"
           << "sync = " << (options_.sync ? "true" : "false") << "\n"
           << options_.storage_extra << "\n"
           << "[log]\n"
           << "level = \"info\"\n"
           << options_.extra_tables << "\n";
    if (options_.extra_tables.find("[metrics]") == std::string::npos) {
      config << "[metrics]\nport = 0\n";
    }
    for (const auto& d : options_.destinations) {
      config << "\n[[destination]]\n"
             << "name = \"" << d.name << "\"\n"
             << "ae_title = \"" << d.ae_title << "\"\n"
             << "host = \"" << d.host << "\"\n"
             << "port = " << d.port << "\n"
             << d.extra << "\n";
    }
  }
}

void AccessionerProcess::send_signal(int signo) {
  if (child_.valid()) {
    child_.send_signal(signo);
  }
}

void AccessionerProcess::start() {
  write_config();
  port_ = 0;
  std::error_code ec;
  const auto size = std::filesystem::file_size(log_path(), ec);
  run_log_offset_ = ec ? 0 : size;
  child_ = ChildProcess::spawn(
      {.argv = {accessioner_binary().string(), "serve", "--config", config_path().string()},
       .log = log_path()});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (const auto port = logged_port(kListeningLine)) {
      port_ = *port;
      return;
    }
    if (!child_.running()) {
      throw std::runtime_error("accessioner exited with status " +
                               std::to_string(child_.exit_status().value_or(-1)) +
                               " during start-up:\n" + tail(log_text()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  child_.kill_and_wait();
  throw std::runtime_error("accessioner logged no \"listening on\" line within 20 s:\n" +
                           tail(log_text()));
}

std::optional<uint16_t> AccessionerProcess::logged_port(const std::regex& line) const {
  const std::string log = log_text();
  const std::string run = run_log_offset_ < log.size() ? log.substr(run_log_offset_) : "";
  std::optional<uint16_t> last;
  for (std::sregex_iterator it(run.begin(), run.end(), line), end; it != end; ++it) {
    last = static_cast<uint16_t>(std::stoi((*it)[1].str()));
  }
  return last;
}

void AccessionerProcess::kill9() {
  if (child_.valid()) {
    child_.kill_and_wait();
  }
}

int AccessionerProcess::stop(std::chrono::milliseconds timeout) {
  if (!child_.valid()) {
    return -1;
  }
  child_.send_signal(SIGTERM);
  if (auto status = child_.wait_for(timeout)) {
    return *status;
  }
  return child_.kill_and_wait();
}

void AccessionerProcess::restart_after_kill() {
  kill9();
  start();
}

bool AccessionerProcess::running() {
  return child_.running();
}

uint16_t AccessionerProcess::metrics_port() const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    if (const auto port = logged_port(kMetricsLine)) {
      return *port;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  throw std::runtime_error("no \"metrics on ADDR:PORT\" line in the log:\n" + tail(log_text()));
}

uint16_t AccessionerProcess::tls_port() const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    if (const auto port = logged_port(kTlsListenerLine)) {
      return *port;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  throw std::runtime_error("no \"DICOM TLS listener on ADDR:PORT\" line in the log:\n" +
                           tail(log_text()));
}

long AccessionerProcess::vm_rss_kib() const {
  std::ifstream status("/proc/" + std::to_string(child_.pid()) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) {
      return std::stol(line.substr(6));
    }
  }
  return 0;
}

nlohmann::json AccessionerProcess::queue_json(const std::vector<std::string>& args) const {
  std::vector<std::string> full = {"queue"};
  full.insert(full.end(), args.begin(), args.end());
  return command_json(full);
}

nlohmann::json AccessionerProcess::command_json(const std::vector<std::string>& args) const {
  const auto out = dir_ / "command-json.out";
  const auto log = dir_ / "command-json.log";
  { std::ofstream truncate(log, std::ios::trunc); }
  std::vector<std::string> argv = {accessioner_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--json", "--config", config_path().string()});
  ChildProcess child = ChildProcess::spawn({.argv = argv, .log = log, .stdout_file = out});
  auto status = child.wait_for(std::chrono::seconds(60));
  if (!status) {
    child.kill_and_wait();
  }
  std::string name;
  for (const auto& a : args) {
    name += a + " ";
  }
  if (!status || *status != 0) {
    throw std::runtime_error(name + "--json failed (status " +
                             std::to_string(status.value_or(ToolResult::kTimedOut)) +
                             "): " + read_text(log));
  }
  nlohmann::json parsed = nlohmann::json::parse(read_text(out), nullptr, false);
  if (parsed.is_discarded()) {
    throw std::runtime_error(name + "--json printed no JSON: " + tail(read_text(out)));
  }
  return parsed;
}

ToolResult AccessionerProcess::command(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {accessioner_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--config", config_path().string()});
  return run_tool(argv, dir_ / "command.log", std::chrono::seconds(60));
}

nlohmann::json AccessionerProcess::decisions(const std::string& study_uid) const {
  std::vector<std::string> args = {"decisions", "list"};
  if (!study_uid.empty()) {
    args.insert(args.end(), {"--study", study_uid});
  }
  return command_json(args);
}

nlohmann::json AccessionerProcess::held_studies() const {
  return command_json({"hold", "list"});
}

nlohmann::json AccessionerProcess::queue_list_all() const {
  return queue_json({"list"});
}

nlohmann::json AccessionerProcess::queue_list() const {
  nlohmann::json parsed = queue_list_all();
  // Newer builds wrap the array: {"instances": [...], "jobs": [...]}.
  if (parsed.is_object() && parsed.contains("instances")) {
    return parsed["instances"];
  }
  return parsed;
}

nlohmann::json AccessionerProcess::queue_stats() const {
  return queue_json({"stats"});
}

ToolResult AccessionerProcess::queue_command(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {accessioner_binary().string(), "queue"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--config", config_path().string()});
  return run_tool(argv, dir_ / "queue-command.log", std::chrono::seconds(60));
}

ToolResult AccessionerProcess::queue_export_all(const std::filesystem::path& to) const {
  return run_tool({accessioner_binary().string(), "queue", "export", "--all", "--to", to.string(),
                   "--config", config_path().string()},
                  dir_ / "queue-export.log", std::chrono::seconds(60));
}

const nlohmann::json* find_instance(const nlohmann::json& list,
                                    const std::string& sop_instance_uid) {
  for (const auto& entry : list) {
    if (entry.value("sop_instance_uid", "") == sop_instance_uid) {
      return &entry;
    }
  }
  return nullptr;
}

}  // namespace acc::test
