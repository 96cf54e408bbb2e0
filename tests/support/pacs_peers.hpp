#pragma once
// Real PACS peers for forwarding tests: DCMTK storescp and Orthanc, each on free loopback ports
// (started with retries, see peer_start.hpp) with its own temp dir, stopped (with every process
// they forked) on destruction.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace acc::test {

// Polls `done` every `poll` until it returns true or `timeout` passes; returns its last value.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll = std::chrono::milliseconds(100));

// SIGKILLs (and does not reap: they are not ours to reap) every process whose parent is `parent`.
// storescp --fork children inherit the listening socket, so a restart on the same port needs
// them gone first.
void kill_children(pid_t parent);

struct StorescpOptions {
  // +xa: accept every transfer syntax DCMTK knows; otherwise storescp's default, uncompressed only.
  bool accept_all = true;
  // -xf FILE PROFILE: presentation contexts from an association configuration file (takes the
  // place of accept_all).
  std::optional<std::pair<std::filesystem::path, std::string>> association_config{};
  std::string ae_title = "PACS";
};

// A file storescp wrote, as DCMTK reads it back.
struct ReceivedFile {
  std::filesystem::path path;
  std::string sop_instance_uid;
  std::string transfer_syntax_uid;  // (0002,0010): storescp writes the network transfer syntax
};

class StorescpProcess {
 public:
  // Picks a free port; does not start.
  explicit StorescpProcess(StorescpOptions options = {});
  ~StorescpProcess();
  StorescpProcess(const StorescpProcess&) = delete;
  StorescpProcess& operator=(const StorescpProcess&) = delete;

  // storescp --fork -v -od DIR PORT; waits until it listens (throws std::runtime_error if not
  // within 10 s). May be called again after stop(), with other options. The first start moves to
  // another free port if the chosen one was taken meanwhile, unless port() was read before:
  // then whoever read it (a destination) is pointed at it, and every start keeps it.
  void start();
  void start(StorescpOptions options);
  // Kills the listener and every association child (the PACS goes away, open associations drop).
  void stop();

  // Reading the port pins it (see start()).
  [[nodiscard]] uint16_t port() const noexcept {
    port_given_out_ = true;
    return port_;
  }
  [[nodiscard]] const std::string& ae_title() const noexcept { return options_.ae_title; }
  [[nodiscard]] std::filesystem::path received_dir() const { return dir_ / "received"; }
  [[nodiscard]] std::filesystem::path log_path() const { return dir_ / "storescp.log"; }
  [[nodiscard]] std::string log_text() const { return read_text(log_path()); }

  // SOP Instance UIDs of the files in the receive directory, from their names (storescp names a
  // file MODALITY.SOPINSTANCEUID). Cheap: for polling. A file may still be being written.
  [[nodiscard]] std::set<std::string> received_uids() const;
  // Every received file read back with DCMTK, keyed by its SOP Instance UID. Call once the
  // sender has its responses (a C-STORE-RSP follows the complete write).
  [[nodiscard]] std::map<std::string, ReceivedFile> received_files() const;
  // How often each SOP Instance UID was stored, from the "storing DICOM file:" lines of the log.
  [[nodiscard]] std::map<std::string, std::size_t> store_counts() const;

 private:
  StorescpOptions options_;
  TempDir dir_;
  uint16_t port_;
  mutable bool port_given_out_ = false;  // set by port(): from then on start() keeps port_
  ChildProcess child_;
};

// GET http://127.0.0.1:port/path over a plain socket (HTTP/1.0, so no chunking or keep-alive).
// Returns the body; throws std::runtime_error unless the status is 200 within `timeout`.
[[nodiscard]] std::string http_get(uint16_t port, const std::string& path,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(20));

struct OrthancOptions {
  // Serve the .wl files of this directory as a Modality Worklist (the ModalityWorklists plugin,
  // which unlike wlmscpfs returns Issuer of Accession Number Sequence).
  std::optional<std::filesystem::path> worklist_database{};
};

class OrthancProcess {
 public:
  explicit OrthancProcess(OrthancOptions options = {});
  ~OrthancProcess();
  OrthancProcess(const OrthancProcess&) = delete;
  OrthancProcess& operator=(const OrthancProcess&) = delete;

  // Writes a private JSON configuration (AET "ORTHANC", no plugins unless a worklist database is
  // given, no authentication, loopback only), starts /usr/sbin/Orthanc and waits until it listens
  // on both the DICOM and the HTTP port (moving to other free ports if one was taken meanwhile and
  // neither was read yet). Throws std::runtime_error (with the log tail) otherwise.
  void start();

  [[nodiscard]] static constexpr const char* ae_title() noexcept { return "ORTHANC"; }
  // Reading a port pins both (see start()).
  [[nodiscard]] uint16_t dicom_port() const noexcept {
    ports_given_out_ = true;
    return dicom_port_;
  }
  [[nodiscard]] uint16_t http_port() const noexcept {
    ports_given_out_ = true;
    return http_port_;
  }
  [[nodiscard]] std::string log_text() const { return read_text(dir_ / "orthanc.log"); }
  // SOP Instance UIDs of every stored instance (REST: GET /instances?expand).
  [[nodiscard]] std::set<std::string> sop_instance_uids() const;

 private:
  OrthancOptions options_;
  TempDir dir_;
  uint16_t dicom_port_;
  uint16_t http_port_;
  mutable bool ports_given_out_ = false;  // set by dicom_port() and http_port()
  ChildProcess child_;
};

}  // namespace acc::test
