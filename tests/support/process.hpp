#pragma once
// Child processes for integration tests: fork/exec with stdout and stderr appended to a log file,
// TCP_NODELAY=1 in every child's environment (DCMTK leaves Nagle on otherwise, see
// docs/reference test-peers.md), and a SIGKILL when the test process dies (PR_SET_PDEATHSIG).
//
// PR_SET_PDEATHSIG fires when the *thread* that forked exits, so spawn from the test's main
// thread (or a thread that outlives the child).
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace acc::test {

struct SpawnOptions {
  std::vector<std::string> argv{};  // argv[0] is looked up in PATH when it has no '/'
  std::filesystem::path log{};      // stdout and stderr are appended here
  // If set, stdout goes here (truncated) instead of the log: machine-readable output.
  std::optional<std::filesystem::path> stdout_file{};
  std::vector<std::pair<std::string, std::string>> env{};  // added to (or replacing) ours
  std::optional<std::filesystem::path> cwd{};
};

// Exit status as one int: the exit code, or -signal when killed by a signal.
class ChildProcess {
 public:
  // Throws std::system_error when the process cannot be started (exec failure is reported as
  // exit code 127 by the child).
  static ChildProcess spawn(const SpawnOptions& options);

  ChildProcess() = default;
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // SIGKILLs and reaps a child still running: no test leaves a process behind.
  ~ChildProcess();

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  [[nodiscard]] bool valid() const noexcept { return pid_ > 0; }
  // Reaps the child if it exited; false once it has.
  [[nodiscard]] bool running();
  // Waits up to `timeout` for the child to exit. std::nullopt if it is still running.
  [[nodiscard]] std::optional<int> wait_for(std::chrono::milliseconds timeout);
  void send_signal(int signo);
  // SIGKILL and reap. Returns the exit status (-9 unless it had already exited).
  int kill_and_wait();
  // The exit status once reaped.
  [[nodiscard]] std::optional<int> exit_status() const noexcept { return status_; }

 private:
  void reset() noexcept;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

struct ToolResult {
  int exit_code = -1;  // -signal if killed, kTimedOut if it did not finish in time
  std::string output;  // everything the tool wrote to stdout and stderr
  static constexpr int kTimedOut = -1000;
};

// Runs a tool to completion (SIGKILL after `timeout`), output captured through `log`.
[[nodiscard]] ToolResult run_tool(const std::vector<std::string>& argv,
                                  const std::filesystem::path& log,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(60));

[[nodiscard]] std::string read_text(const std::filesystem::path& file);

// "tail" of a text for assertion messages.
[[nodiscard]] std::string tail(const std::string& text, std::size_t max_chars = 3000);

}  // namespace acc::test
