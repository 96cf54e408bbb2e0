#include "tests/support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <system_error>
#include <thread>

extern char** environ;

namespace acc::test {

namespace {

int decode_status(int raw) {
  if (WIFEXITED(raw)) {
    return WEXITSTATUS(raw);
  }
  if (WIFSIGNALED(raw)) {
    return -WTERMSIG(raw);
  }
  return -1;
}

std::vector<std::string> make_environment(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) {
      env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
  }
  env["TCP_NODELAY"] = "1";
  for (const auto& [key, value] : extra) {
    env[key] = value;
  }
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [key, value] : env) {
    out.push_back(key + "=" + value);
  }
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

ChildProcess ChildProcess::spawn(const SpawnOptions& options) {
  if (options.argv.empty()) {
    throw std::invalid_argument("spawn: empty argv");
  }
  // Everything the child needs is prepared before fork(): between fork and exec only
  // async-signal-safe calls are allowed (the test process may run other threads).
  std::vector<std::string> args = options.argv;
  std::vector<char*> argv = pointers(args);
  std::vector<std::string> env_strings = make_environment(options.env);
  std::vector<char*> envp = pointers(env_strings);
  const std::string cwd = options.cwd ? options.cwd->string() : std::string();

  const Fd log_fd(::open(options.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (log_fd.get() < 0) {
    throw std::system_error(errno, std::generic_category(), "open " + options.log.string());
  }
  const Fd out_fd(options.stdout_file ? ::open(options.stdout_file->c_str(),
                                               O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)
                                      : -1);
  if (options.stdout_file && out_fd.get() < 0) {
    throw std::system_error(errno, std::generic_category(),
                            "open " + options.stdout_file->string());
  }
  const Fd null_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid < 0) {
    throw std::system_error(errno, std::generic_category(), "fork");
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) {
      ::_exit(127);
    }
    ::dup2(null_fd.get(), STDIN_FILENO);
    ::dup2(out_fd.get() >= 0 ? out_fd.get() : log_fd.get(), STDOUT_FILENO);
    ::dup2(log_fd.get(), STDERR_FILENO);
    // Sockets of the test process (a held association) must not live on in the child.
    ::close_range(3, ~0U, 0);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) {
      ::_exit(127);
    }
    ::execvpe(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ChildProcess child;
  child.pid_ = pid;
  return child;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), status_(std::exchange(other.status_, std::nullopt)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    reset();
    pid_ = std::exchange(other.pid_, -1);
    status_ = std::exchange(other.status_, std::nullopt);
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  reset();
}

void ChildProcess::reset() noexcept {
  if (pid_ > 0 && !status_) {
    ::kill(pid_, SIGKILL);
    int raw = 0;
    while (::waitpid(pid_, &raw, 0) < 0 && errno == EINTR) {
    }
  }
  pid_ = -1;
  status_.reset();
}

bool ChildProcess::running() {
  if (pid_ <= 0 || status_) {
    return false;
  }
  int raw = 0;
  const pid_t r = ::waitpid(pid_, &raw, WNOHANG);
  if (r == pid_) {
    status_ = decode_status(raw);
    return false;
  }
  return r == 0;
}

std::optional<int> ChildProcess::wait_for(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
  return status_;
}

void ChildProcess::send_signal(int signo) {
  if (running()) {
    ::kill(pid_, signo);
  }
}

int ChildProcess::kill_and_wait() {
  if (pid_ <= 0) {
    return -1;
  }
  if (!status_) {
    ::kill(pid_, SIGKILL);
    int raw = 0;
    while (::waitpid(pid_, &raw, 0) < 0 && errno == EINTR) {
    }
    status_ = decode_status(raw);
  }
  return *status_;
}

ToolResult run_tool(const std::vector<std::string>& argv, const std::filesystem::path& log,
                    std::chrono::milliseconds timeout) {
  { std::ofstream truncate(log, std::ios::trunc); }
  ChildProcess child = ChildProcess::spawn({.argv = argv, .log = log});
  ToolResult result;
  if (auto status = child.wait_for(timeout)) {
    result.exit_code = *status;
  } else {
    child.kill_and_wait();
    result.exit_code = ToolResult::kTimedOut;
  }
  result.output = read_text(log);
  return result;
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string tail(const std::string& text, std::size_t max_chars) {
  if (text.size() <= max_chars) {
    return text;
  }
  return "..." + text.substr(text.size() - max_chars);
}

}  // namespace acc::test
