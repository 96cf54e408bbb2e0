#include "queue/instance_store.hpp"

#include <future>
#include <utility>

#include "common/error_category.hpp"
#include "queue/rocksdb_instance_store.hpp"

namespace acc::queue {
namespace {

const char* describe(QueueErrc e) {
  switch (e) {
    case QueueErrc::ok:
      return "ok";
    case QueueErrc::open_failed:
      return "could not open the instance store";
    case QueueErrc::write_failed:
      return "commit to the instance store failed";
    case QueueErrc::read_failed:
      return "read from the instance store failed";
    case QueueErrc::corrupt_record:
      return "stored record is corrupt";
    case QueueErrc::not_found:
      return "instance not found";
    case QueueErrc::shutting_down:
      return "instance store is shutting down";
  }
  return "unknown queue error";
}

}  // namespace

const std::error_category& queue_category() noexcept {
  static const EnumCategory<QueueErrc, &describe> category("queue");
  return category;
}

[[nodiscard]] Result<std::unique_ptr<InstanceStore>> InstanceStore::open(
    const StoreOptions& options) {
  return open_rocksdb_store(options, StoreTuning{});
}

[[nodiscard]] Result<std::unique_ptr<InstanceStore>> InstanceStore::open_reader(
    const std::filesystem::path& path) {
  return open_rocksdb_reader(path);
}

[[nodiscard]] Result<uint64_t> InstanceStore::commit(InstanceRecord record, ObjectBytes object) {
  // The promise lives in the callback (shared state is refcounted), so the commit thread never
  // touches a promise that this frame has already destroyed. Must not be called from a commit
  // callback: that would wait on the thread that is running it.
  std::promise<Result<uint64_t>> promise;
  std::future<Result<uint64_t>> future = promise.get_future();
  commit_object_async(std::move(record), std::move(object),
                      [p = std::move(promise)](Result<uint64_t> result) mutable {
                        p.set_value(std::move(result));
                      });
  return future.get();
}

}  // namespace acc::queue
