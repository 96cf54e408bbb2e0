#include "router/receive/receive_spooler.hpp"

#include <functional>

#include <spdlog/spdlog.h>

#include "router/runtime/offload.hpp"

namespace acc::router {

ReceiveSpooler::ReceiveSpooler(std::filesystem::path dir, asio::thread_pool& work_pool,
                               DiskSpaceGuard& disk, RouterMetrics& metrics)
    : dir_(std::move(dir)), work_pool_(work_pool), disk_(disk), metrics_(metrics) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    if (entry.path().filename().string().starts_with("spool-")) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
}

Result<std::shared_ptr<SpoolFile>> ReceiveSpooler::create() {
  auto spool = SpoolFile::create(dir_);
  if (!spool) {
    spdlog::error("receive spool: {}", spool.error().message());
    return fail(std::move(spool.error()));
  }
  spooled_.fetch_add(1, std::memory_order_relaxed);
  metrics_.data_set_spooled();
  return std::make_shared<SpoolFile>(std::move(*spool));
}

asio::awaitable<Result<void>> ReceiveSpooler::append(std::shared_ptr<SpoolFile> spool,
                                                     std::vector<uint8_t> bytes) {
  if (!disk_.has_room()) {
    // The guard logs the crossing once; the association answers 0xA700 for this data set.
    co_return fail(std::errc::no_space_on_device, "storage below its free-space floor");
  }
  auto write = [&spool, &bytes] { return spool->append(bytes); };
  Result<void> written = co_await offload(work_pool_, std::ref(write));
  if (!written) {
    spdlog::error("receive spool: {}", written.error().message());
  }
  co_return written;
}

}  // namespace acc::router
