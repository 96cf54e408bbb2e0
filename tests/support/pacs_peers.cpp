#include "tests/support/pacs_peers.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/dicom_files.hpp"
#include "tests/support/net.hpp"
#include "tests/support/peer_start.hpp"

namespace acc::test {

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return done();
    }
    std::this_thread::sleep_for(poll);
  }
}

void kill_children(pid_t parent) {
  if (parent <= 0) {
    return;
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    // "PID (COMM) STATE PPID ...": COMM may contain spaces and parentheses, so parse after the
    // last ')'.
    const auto close = line.rfind(')');
    if (close == std::string::npos) {
      continue;
    }
    std::istringstream rest(line.substr(close + 1));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) {
      ::kill(static_cast<pid_t>(std::stol(name)), SIGKILL);
    }
  }
}

StorescpProcess::StorescpProcess(StorescpOptions options)
    : options_(std::move(options)), dir_("acc-storescp"), port_(free_port()) {
  std::filesystem::create_directories(received_dir());
}

StorescpProcess::~StorescpProcess() {
  stop();
}

void StorescpProcess::start(StorescpOptions options) {
  options_ = std::move(options);
  start();
}

void StorescpProcess::start() {
  stop();
  std::vector<std::string> argv = {"storescp", "--fork", "-v", "-aet", options_.ae_title};
  if (options_.association_config) {
    argv.insert(argv.end(), {"-xf", options_.association_config->first.string(),
                             options_.association_config->second});
  } else if (options_.accept_all) {
    argv.push_back("+xa");
  }
  argv.insert(argv.end(), {"-od", received_dir().string()});
  // storescp refuses port 0: a free port, retried if taken meanwhile (see peer_start.hpp).
  child_ = launch_peer({.name = "storescp",
                        .ports = {&port_},
                        .ports_given_out = port_given_out_,
                        .spawn =
                            [&] {
                              std::vector<std::string> full = argv;
                              full.push_back(std::to_string(port_));
                              return ChildProcess::spawn({.argv = full, .log = log_path()});
                            },
                        .log = [this] { return log_text(); }});
}

void StorescpProcess::stop() {
  if (child_.valid() && child_.running()) {
    // Children first: once the parent is gone they are reparented and harder to find.
    ::kill(child_.pid(), SIGSTOP);
    kill_children(child_.pid());
    child_.kill_and_wait();
  }
  child_ = ChildProcess();
  // A killed child may hold the listening socket for a moment: wait until the port is free.
  wait_until([this] { return !wait_for_listen(port_, std::chrono::milliseconds(0)); },
             std::chrono::seconds(5), std::chrono::milliseconds(10));
}

std::set<std::string> StorescpProcess::received_uids() const {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(received_dir(), ec)) {
    const std::string name = entry.path().filename().string();
    const auto dot = name.find('.');
    if (dot != std::string::npos) {
      out.insert(name.substr(dot + 1));
    }
  }
  return out;
}

std::map<std::string, ReceivedFile> StorescpProcess::received_files() const {
  std::map<std::string, ReceivedFile> out;
  for (const auto& entry : std::filesystem::directory_iterator(received_dir())) {
    const DataSetBytes read = read_data_set(entry.path());
    out[read.sop_instance_uid] = {entry.path(), read.sop_instance_uid, read.transfer_syntax_uid};
  }
  return out;
}

std::map<std::string, std::size_t> StorescpProcess::store_counts() const {
  // --fork children share the log and write "I: ", the message and "\n" separately, so lines
  // interleave ("I: I: storing ... .123storing ... .456"); each message itself stays whole. The
  // UID ends at the first character that cannot be part of one.
  const std::string marker = "storing DICOM file: " + received_dir().string() + "/";
  std::map<std::string, std::size_t> counts;
  const std::string log = log_text();
  for (auto at = log.find(marker); at != std::string::npos; at = log.find(marker, at + 1)) {
    std::size_t pos = at + marker.size();
    while (pos < log.size() && std::isalpha(static_cast<unsigned char>(log[pos])) != 0) {
      ++pos;  // modality prefix
    }
    if (pos >= log.size() || log[pos] != '.') {
      continue;
    }
    const std::size_t begin = ++pos;
    while (pos < log.size() &&
           (std::isdigit(static_cast<unsigned char>(log[pos])) != 0 || log[pos] == '.')) {
      ++pos;
    }
    std::string uid = log.substr(begin, pos - begin);
    while (!uid.empty() && uid.back() == '.') {
      uid.pop_back();  // a progress dot of another child
    }
    if (!uid.empty()) {
      ++counts[uid];
    }
  }
  return counts;
}

std::string http_get(uint16_t port, const std::string& path, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw std::runtime_error("http_get: socket failed");
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  if (ok) {
    const std::string request =
        "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n";
    ok = ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
         static_cast<ssize_t>(request.size());
  }
  char buf[16384];
  while (ok) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      ok = false;
      break;
    }
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      break;  // HTTP/1.0: the server closes after the body
    }
    response.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const auto header_end = response.find("\r\n\r\n");
  if (!ok || header_end == std::string::npos ||
      !std::regex_search(response.substr(0, response.find("\r\n")), std::regex(R"( 200 )"))) {
    throw std::runtime_error("GET " + path + " on port " + std::to_string(port) +
                             " failed: " + tail(response, 500));
  }
  return response.substr(header_end + 4);
}

OrthancProcess::OrthancProcess(OrthancOptions options)
    : options_(std::move(options)),
      dir_("acc-orthanc"),
      dicom_port_(free_port()),
      http_port_(free_port()) {
  while (http_port_ == dicom_port_) {
    http_port_ = free_port();
  }
}

OrthancProcess::~OrthancProcess() = default;

void OrthancProcess::start() {
  const auto db = dir_ / "db";
  std::filesystem::create_directories(db);
  const auto config_file = dir_ / "orthanc.json";
  const auto spawn = [&] {
    nlohmann::json config = {
        {"Name", "accessioner-it"},           {"StorageDirectory", db.string()},
        {"IndexDirectory", db.string()},      {"DicomAet", ae_title()},
        {"DicomPort", dicom_port_},           {"HttpPort", http_port_},
        {"RemoteAccessAllowed", false},       {"AuthenticationEnabled", false},
        {"DicomAlwaysAllowStore", true},      {"DicomCheckCalledAet", false},
        {"Plugins", nlohmann::json::array()},
    };
    if (options_.worklist_database) {
      config["Plugins"] =
          nlohmann::json::array({"/usr/share/orthanc/plugins/libModalityWorklists.so"});
      config["Worklists"] = {{"Enable", true}, {"Database", options_.worklist_database->string()}};
      config["DicomAlwaysAllowFindWorklist"] = true;
    }
    std::ofstream(config_file, std::ios::trunc) << config.dump(2);
    return ChildProcess::spawn({.argv = {"/usr/sbin/Orthanc", config_file.string()},
                                .log = dir_ / "orthanc.log",
                                .cwd = dir_.path()});
  };
  // Orthanc binds port 0 but logs "port: 0", so it cannot tell us what it got: free ports,
  // retried if taken meanwhile (it exits then, see peer_start.hpp).
  child_ = launch_peer({.name = "Orthanc",
                        .ports = {&dicom_port_, &http_port_},
                        .ports_given_out = ports_given_out_,
                        .spawn = spawn,
                        .log = [this] { return log_text(); },
                        .timeout = std::chrono::seconds(30)});
}

std::set<std::string> OrthancProcess::sop_instance_uids() const {
  const auto instances = nlohmann::json::parse(http_get(http_port_, "/instances?expand"));
  std::set<std::string> out;
  for (const auto& instance : instances) {
    out.insert(instance.at("MainDicomTags").at("SOPInstanceUID").get<std::string>());
  }
  return out;
}

}  // namespace acc::test
