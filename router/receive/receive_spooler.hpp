#pragma once
// Where large data sets go while they are received (issue 11): each one past the spool threshold
// is written to a nameless file in <storage>/spool, chunk by chunk, on the work pool; the network
// thread only waits for its turn. The spool is on the storage volume, so the free-space floor
// sees the bytes being received, and a receive that would take the volume below the floor stops
// keeping them (the C-STORE is answered 0xA700, the association goes on).
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include <asio/thread_pool.hpp>

#include "dicom/net/association.hpp"
#include "router/observability/metrics.hpp"
#include "router/receive/disk_space_guard.hpp"

namespace acc::router {

class ReceiveSpooler final : public dicom::net::DataSetSpooler {
 public:
  // Removes what a crash may have left in `dir` (a named spool of a file system without
  // O_TMPFILE, in the instant before its unlink): no spool outlives the process that wrote it.
  ReceiveSpooler(std::filesystem::path dir, asio::thread_pool& work_pool, DiskSpaceGuard& disk,
                 RouterMetrics& metrics);

  [[nodiscard]] Result<std::shared_ptr<SpoolFile>> create() override;
  [[nodiscard]] asio::awaitable<Result<void>> append(std::shared_ptr<SpoolFile> spool,
                                                     std::vector<uint8_t> bytes) override;

  // Data sets that went to a spool since start (for the metrics).
  [[nodiscard]] uint64_t spooled() const { return spooled_.load(std::memory_order_relaxed); }

 private:
  std::filesystem::path dir_;
  asio::thread_pool& work_pool_;
  DiskSpaceGuard& disk_;
  RouterMetrics& metrics_;
  std::atomic<uint64_t> spooled_{0};
};

}  // namespace acc::router
