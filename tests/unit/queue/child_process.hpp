#pragma once
// Crash tests' children: this test binary re-executed (fork + exec) with one disabled test
// selected and extra environment, and a pipe on which the child reports what it acknowledged. Not
// a bare fork: a forked copy of a process that already ran RocksDB inherits thread pools whose
// threads did not survive the fork.
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

extern char** environ;

namespace acc::queue::testing {

class ChildProcess {
 public:
  // Starts `filter` (a DISABLED_ test of this binary) with `env` ("NAME=value") added; the
  // child's end of the report pipe is passed as fd number in ACC_CHILD_REPORT_FD.
  ChildProcess(const std::string& filter, const std::vector<std::string>& env) {
    int fds[2];
    if (::pipe(fds) != 0) {
      return;
    }
    // Built before fork(): only async-signal-safe calls are allowed between fork and exec.
    const std::string exe = std::filesystem::read_symlink("/proc/self/exe").string();
    std::vector<std::string> strings = {exe, "--gtest_also_run_disabled_tests",
                                        "--gtest_filter=" + filter,
                                        "ACC_CHILD_REPORT_FD=" + std::to_string(fds[1])};
    strings.insert(strings.end(), env.begin(), env.end());
    std::vector<char*> argv = {strings[0].data(), strings[1].data(), strings[2].data(), nullptr};
    std::vector<char*> envp;
    for (char** e = environ; *e != nullptr; ++e) {
      envp.push_back(*e);
    }
    for (std::size_t i = 3; i < strings.size(); ++i) {
      envp.push_back(strings[i].data());
    }
    envp.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(fds[0]);
      ::execve(exe.c_str(), argv.data(), envp.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    report_fd_ = fds[0];
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    kill_and_wait();
    if (report_fd_ >= 0) {
      ::close(report_fd_);
    }
  }

  [[nodiscard]] bool started() const { return pid_ > 0 && report_fd_ >= 0; }

  // Reads one fixed-size report; false at end of file (the child is gone).
  template <typename T>
  bool read(T& out) {
    auto* p = reinterpret_cast<char*>(&out);
    std::size_t got = 0;
    while (got < sizeof out) {
      const ssize_t n = ::read(report_fd_, p + got, sizeof out - got);
      if (n <= 0) {
        return false;
      }
      got += static_cast<std::size_t>(n);
    }
    return true;
  }

  // SIGKILL, then the exit status (as waitpid reports it).
  int kill_and_wait() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
      pid_ = -1;
    }
    return status_;
  }

 private:
  pid_t pid_ = -1;
  int report_fd_ = -1;
  int status_ = 0;
};

// The child's side: the report pipe's fd, or -1 when not run as a child.
inline int child_report_fd() {
  const char* text = ::getenv("ACC_CHILD_REPORT_FD");
  return text == nullptr ? -1 : std::stoi(text);
}

}  // namespace acc::queue::testing
