#pragma once
// The daemon's composition root: opens the instance store, starts the I/O threads, the worker
// pool and the DICOM listener, and shuts them down in order on SIGTERM/SIGINT.
#include <memory>

#include "common/result.hpp"
#include "config/config.hpp"

namespace acc::router {

class Server {
 public:
  explicit Server(config::RouterConfig config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Opens storage and binds the listener. Start-up errors are returned, not thrown.
  [[nodiscard]] Result<void> start();
  // Serves until SIGINT/SIGTERM (or stop()); returns the process exit status.
  int run();
  // Asks run() to return (tests). Thread-safe.
  void stop();
  [[nodiscard]] uint16_t dicom_port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace acc::router
