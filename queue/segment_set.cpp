#include "queue/segment_set.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>

namespace acc::queue {
namespace {

// "seg-<16 hex digits>.log" -> its id.
std::optional<uint64_t> segment_id(const std::filesystem::path& file) {
  const std::string name = file.filename().string();
  if (name.size() != 24 || !name.starts_with("seg-") || !name.ends_with(".log")) {
    return std::nullopt;
  }
  uint64_t id = 0;
  for (const char c : name.substr(4, 16)) {
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) {
      return std::nullopt;
    }
    id = id * 16 + static_cast<uint64_t>(digit);
  }
  return id;
}

Result<void> fsync_dir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return fail(SegmentErrc::io_failed, "open " + dir.string() + ": " + std::strerror(errno));
  }
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) {
    return fail(SegmentErrc::io_failed, "fsync " + dir.string() + ": " + std::strerror(saved));
  }
  return {};
}

}  // namespace

Result<SegmentSet> SegmentSet::open(Options options,
                                    const std::map<uint64_t, uint64_t>& synced_through,
                                    Unlisted unlisted) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) {
    return fail(SegmentErrc::io_failed, "create " + options.dir.string() + ": " + ec.message());
  }
  SegmentSet set(std::move(options));
  std::vector<uint64_t> ids;
  for (const auto& entry : std::filesystem::directory_iterator(set.options_.dir, ec)) {
    if (auto id = segment_id(entry.path())) {
      ids.push_back(*id);
    }
  }
  if (ec) {
    return fail(SegmentErrc::io_failed, "list " + set.options_.dir.string() + ": " + ec.message());
  }
  std::sort(ids.begin(), ids.end());
  for (const uint64_t id : ids) {
    const auto watermark = synced_through.find(id);
    if (watermark == synced_through.end() && unlisted == Unlisted::dead) {
      const auto size = std::filesystem::file_size(segment_path(set.options_.dir, id), ec);
      set.segments_[id] = SegmentInfo{id, ec ? 0 : static_cast<uint64_t>(size), 0, true};
      ec.clear();
      set.next_id_ = id + 1;
      continue;
    }
    auto r = recover_segment(set.options_.dir, id,
                             watermark == synced_through.end() ? 0 : watermark->second);
    if (!r) {
      return fail(r.error());
    }
    set.recovered_.insert(set.recovered_.end(), r->objects.begin(), r->objects.end());
    set.segments_[id] = SegmentInfo{id, r->size, 0, true};
    set.next_id_ = id + 1;
  }
  return set;
}

SegmentSet::SegmentSet(SegmentSet&& other) noexcept
    : options_(std::move(other.options_)),
      segments_(std::move(other.segments_)),
      next_id_(other.next_id_),
      deleted_(other.deleted_),
      recovered_(std::move(other.recovered_)) {}

Result<SegmentWriter> SegmentSet::new_writer(std::size_t buffer_bytes) {
  std::lock_guard lock(mutex_);
  const uint64_t id = next_id_++;
  auto w = SegmentWriter::open(options_.dir, id, buffer_bytes);
  if (!w) {
    return fail(w.error());
  }
  // The new file's name must survive a crash with the first object synced into it.
  if (auto d = fsync_dir(options_.dir); !d) {
    return fail(d.error());
  }
  segments_[id] = SegmentInfo{id, 0, 0, false};
  return w;
}

Result<void> SegmentSet::seal(uint64_t id) {
  std::lock_guard lock(mutex_);
  auto it = segments_.find(id);
  if (it == segments_.end()) {
    return {};
  }
  it->second.sealed = true;
  std::error_code ec;
  it->second.size = std::filesystem::file_size(segment_path(options_.dir, id), ec);
  if (it->second.live_bytes == 0) {
    return delete_locked(id);
  }
  return {};
}

void SegmentSet::add_live(const ObjectRef& ref) {
  std::lock_guard lock(mutex_);
  auto& s = segments_[ref.segment];
  s.id = ref.segment;
  s.live_bytes += ref.length;
}

Result<void> SegmentSet::release(const ObjectRef& ref) {
  std::lock_guard lock(mutex_);
  auto it = segments_.find(ref.segment);
  if (it == segments_.end()) {
    return {};
  }
  it->second.live_bytes -= std::min(it->second.live_bytes, ref.length);
  if (it->second.sealed && it->second.live_bytes == 0) {
    return delete_locked(ref.segment);
  }
  return {};
}

Result<std::size_t> SegmentSet::delete_dead() {
  std::lock_guard lock(mutex_);
  std::vector<uint64_t> dead;
  for (const auto& [id, s] : segments_) {
    if (s.sealed && s.live_bytes == 0) {
      dead.push_back(id);
    }
  }
  for (const uint64_t id : dead) {
    if (auto d = delete_locked(id); !d) {
      return fail(d.error());
    }
  }
  return dead.size();
}

Result<void> SegmentSet::delete_locked(uint64_t id) {
  const auto path = segment_path(options_.dir, id);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return fail(SegmentErrc::io_failed, "unlink " + path.string() + ": " + std::strerror(errno));
  }
  segments_.erase(id);
  ++deleted_;
  return fsync_dir(options_.dir);
}

uint64_t SegmentSet::live_bytes(uint64_t id) const {
  std::lock_guard lock(mutex_);
  const auto it = segments_.find(id);
  return it == segments_.end() ? 0 : it->second.live_bytes;
}

uint64_t SegmentSet::deleted() const {
  std::lock_guard lock(mutex_);
  return deleted_;
}

std::vector<SegmentSet::SegmentInfo> SegmentSet::segments() const {
  std::lock_guard lock(mutex_);
  std::vector<SegmentInfo> out;
  for (const auto& [id, s] : segments_) {
    out.push_back(s);
  }
  return out;
}

std::optional<uint64_t> SegmentSet::sparsest(uint64_t min_size) const {
  std::lock_guard lock(mutex_);
  std::optional<uint64_t> best;
  uint64_t most_dead = 0;
  for (const auto& [id, info] : segments_) {
    if (!info.sealed || info.size < min_size || info.live_bytes == 0 ||
        info.live_bytes >= info.size / 4) {
      continue;  // (no live bytes: deleted as it is, nothing to copy)
    }
    if (const uint64_t dead = info.size - info.live_bytes; dead > most_dead) {
      most_dead = dead;
      best = id;
    }
  }
  return best;
}

}  // namespace acc::queue
