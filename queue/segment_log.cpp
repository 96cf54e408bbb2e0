#include "queue/segment_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include <xxhash.h>

#include "common/error_category.hpp"

namespace acc::queue {
namespace {

const char* describe(SegmentErrc e) {
  switch (e) {
    case SegmentErrc::ok:
      return "ok";
    case SegmentErrc::io_failed:
      return "segment file I/O failed";
    case SegmentErrc::corrupt:
      return "segment record below the synced watermark is corrupt";
    case SegmentErrc::checksum_mismatch:
      return "object bytes do not match their checksum";
    case SegmentErrc::out_of_range:
      return "read outside the object";
    case SegmentErrc::misuse:
      return "segment writer used out of order";
  }
  return "unknown segment error";
}

constexpr std::array<uint8_t, 8> kMagic = {'A', 'C', 'C', 'S', 'E', 'G', '0', '1'};

void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) {
    p[i] = static_cast<uint8_t>(v >> (8 * i));
  }
}

uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) {
    v = (v << 8) | p[i];
  }
  return v;
}

std::array<uint8_t, kSegmentHeaderBytes> encode_header(uint64_t length, uint64_t hash) {
  std::array<uint8_t, kSegmentHeaderBytes> h{};
  std::memcpy(h.data(), kMagic.data(), kMagic.size());
  put_u64(h.data() + 8, length);
  put_u64(h.data() + 16, hash);
  put_u64(h.data() + 24, XXH3_64bits(h.data(), 24));
  return h;
}

struct Header {
  uint64_t length = 0;
  uint64_t hash = 0;
};

// A finished record's header, or nothing (not a header, or a reservation).
std::optional<Header> decode_header(const uint8_t* p) {
  if (std::memcmp(p, kMagic.data(), kMagic.size()) != 0 || get_u64(p + 24) != XXH3_64bits(p, 24)) {
    return std::nullopt;
  }
  const Header h{get_u64(p + 8), get_u64(p + 16)};
  if (h.length == 0 && h.hash == 0) {
    return std::nullopt;  // reserved by begin(), never finished
  }
  return h;
}

FailedResult io_error(const std::string& what) {
  return fail(SegmentErrc::io_failed, what + ": " + std::strerror(errno));
}

Result<void> pwrite_all(int fd, const uint8_t* data, std::size_t size, uint64_t offset) {
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return io_error("pwrite");
    }
    data += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return {};
}

// `first` then `second`, at `offset`, however the kernel splits the writes.
Result<void> pwritev_all(int fd, std::span<const uint8_t> first, std::span<const uint8_t> second,
                         uint64_t offset) {
  while (!first.empty() || !second.empty()) {
    std::array<iovec, 2> iov{};
    int count = 0;
    for (const auto part : {first, second}) {
      if (!part.empty()) {
        iov[static_cast<std::size_t>(count++)] = {const_cast<uint8_t*>(part.data()), part.size()};
      }
    }
    const ssize_t n = ::pwritev(fd, iov.data(), count, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return io_error("pwritev");
    }
    auto done = static_cast<std::size_t>(n);
    offset += done;
    const std::size_t from_first = std::min(done, first.size());
    first = first.subspan(from_first);
    second = second.subspan(done - from_first);
  }
  return {};
}

Result<std::size_t> pread_all(int fd, uint8_t* data, std::size_t size, uint64_t offset) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, data + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return io_error("pread");
    }
    if (n == 0) {
      break;  // end of file
    }
    done += static_cast<std::size_t>(n);
  }
  return done;
}

}  // namespace

const std::error_category& segment_category() noexcept {
  static const EnumCategory<SegmentErrc, &describe> category("segment");
  return category;
}

namespace detail {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

struct Xxh3State {
  XXH3_state_t* state = XXH3_createState();
  Xxh3State() { XXH3_64bits_reset(state); }
  Xxh3State(const Xxh3State&) = delete;
  Xxh3State& operator=(const Xxh3State&) = delete;
  ~Xxh3State() { XXH3_freeState(state); }
};

void Xxh3StateDelete::operator()(Xxh3State* s) const noexcept {
  delete s;
}

}  // namespace detail

std::filesystem::path segment_path(const std::filesystem::path& dir, uint64_t id) {
  char name[32];
  std::snprintf(name, sizeof name, "seg-%016llx.log", static_cast<unsigned long long>(id));
  return dir / name;
}

Result<SegmentWriter> SegmentWriter::open(const std::filesystem::path& dir, uint64_t id,
                                          std::size_t buffer_bytes) {
  const auto path = segment_path(dir, id);
  detail::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0640));
  if (fd.get() < 0) {
    return io_error("open " + path.string());
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return io_error("fstat " + path.string());
  }
  return SegmentWriter(std::move(fd), id, static_cast<uint64_t>(st.st_size), buffer_bytes);
}

SegmentWriter::SegmentWriter(detail::UniqueFd fd, uint64_t id, uint64_t end,
                             std::size_t buffer_bytes)
    : fd_(std::move(fd)),
      id_(id),
      end_(end),
      written_(end),
      buffer_limit_(std::max<std::size_t>(buffer_bytes, kSegmentHeaderBytes)),
      hash_(new detail::Xxh3State) {
  buffer_.reserve(buffer_limit_);
}

Result<void> SegmentWriter::flush() {
  if (buffer_.empty()) {
    return {};
  }
  if (auto w = pwrite_all(fd_.get(), buffer_.data(), buffer_.size(), written_); !w) {
    return w;
  }
  written_ += buffer_.size();
  buffer_.clear();
  return {};
}

Result<void> SegmentWriter::begin() {
  if (in_object_) {
    return fail(SegmentErrc::misuse, "begin() while an object is open");
  }
  object_start_ = end_;
  in_object_ = true;
  XXH3_64bits_reset(hash_->state);
  const auto reservation = encode_header(0, 0);
  buffer_.insert(buffer_.end(), reservation.begin(), reservation.end());
  end_ += reservation.size();
  if (buffer_.size() >= buffer_limit_) {
    return flush();
  }
  return {};
}

Result<void> SegmentWriter::append(std::span<const uint8_t> bytes) {
  if (!in_object_) {
    return fail(SegmentErrc::misuse, "append() outside an object");
  }
  XXH3_64bits_update(hash_->state, bytes.data(), bytes.size());
  end_ += bytes.size();
  if (buffer_.size() + bytes.size() >= buffer_limit_) {
    // A span that would fill the buffer goes to the file from where it lies, after what is
    // buffered, in one pwritev: copying it through the buffer first cost a memcpy of every object.
    if (auto w = pwritev_all(fd_.get(), buffer_, bytes, written_); !w) {
      return w;
    }
    written_ += buffer_.size() + bytes.size();
    buffer_.clear();
    return {};
  }
  while (!bytes.empty()) {
    const std::size_t room = buffer_limit_ - buffer_.size();
    const std::size_t n = std::min(room, bytes.size());
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    bytes = bytes.subspan(n);
    if (buffer_.size() == buffer_limit_) {
      if (auto f = flush(); !f) {
        return f;
      }
    }
  }
  return {};
}

Result<ObjectRef> SegmentWriter::finish() {
  if (!in_object_) {
    return fail(SegmentErrc::misuse, "finish() outside an object");
  }
  if (auto f = flush(); !f) {
    return fail(f.error());
  }
  const ObjectRef ref{id_, object_start_ + kSegmentHeaderBytes,
                      end_ - object_start_ - kSegmentHeaderBytes, XXH3_64bits_digest(hash_->state)};
  const auto header = encode_header(ref.length, ref.xxh3);
  if (ref.length > 0 || ref.xxh3 != 0) {
    if (auto w = pwrite_all(fd_.get(), header.data(), header.size(), object_start_); !w) {
      return fail(w.error());
    }
  }
  in_object_ = false;
  return ref;
}

Result<void> SegmentWriter::abandon() {
  if (!in_object_) {
    return {};
  }
  buffer_.clear();
  if (::ftruncate(fd_.get(), static_cast<off_t>(object_start_)) != 0) {
    return io_error("ftruncate");
  }
  end_ = written_ = object_start_;
  in_object_ = false;
  return {};
}

Result<void> SegmentWriter::sync() {
  if (auto f = flush(); !f) {
    return f;
  }
  if (::fdatasync(fd_.get()) != 0) {
    return io_error("fdatasync");
  }
  return {};
}

Result<ObjectReader> ObjectReader::open(const std::filesystem::path& dir, const ObjectRef& ref) {
  const auto path = segment_path(dir, ref.segment);
  detail::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return io_error("open " + path.string());
  }
  return ObjectReader(std::move(fd), ref);
}

ObjectReader::ObjectReader(detail::UniqueFd fd, const ObjectRef& ref)
    : fd_(std::move(fd)), ref_(ref), hash_(new detail::Xxh3State) {}

Result<std::span<const uint8_t>> ObjectReader::next(std::size_t max_bytes) {
  if (done_ == ref_.length) {
    if (!verified_) {  // an empty object: its hash is still the record's
      verified_ = true;
      if (XXH3_64bits_digest(hash_->state) != ref_.xxh3) {
        return fail(SegmentErrc::checksum_mismatch, "empty object");
      }
    }
    return std::span<const uint8_t>{};
  }
  if (max_bytes == 0) {
    return std::span<const uint8_t>{};
  }
  const auto want = static_cast<std::size_t>(std::min<uint64_t>(max_bytes, ref_.length - done_));
  chunk_.resize(want);
  auto n = pread_all(fd_.get(), chunk_.data(), want, ref_.offset + done_);
  if (!n) {
    return fail(n.error());
  }
  if (*n != want) {
    return fail(SegmentErrc::checksum_mismatch, "segment ends inside the object");
  }
  XXH3_64bits_update(hash_->state, chunk_.data(), want);
  done_ += want;
  verified_ = done_ == ref_.length;
  if (verified_ && XXH3_64bits_digest(hash_->state) != ref_.xxh3) {
    return fail(SegmentErrc::checksum_mismatch, "object at " + std::to_string(ref_.offset) +
                                                    " of segment " + std::to_string(ref_.segment));
  }
  return std::span<const uint8_t>(chunk_.data(), want);
}

Result<void> read_object_into(const std::filesystem::path& dir, const ObjectRef& ref,
                              uint64_t offset, std::span<uint8_t> out) {
  if (offset > ref.length || out.size() > ref.length - offset) {
    return fail(SegmentErrc::out_of_range, std::to_string(offset) + "+" +
                                               std::to_string(out.size()) + " of " +
                                               std::to_string(ref.length));
  }
  const auto path = segment_path(dir, ref.segment);
  const detail::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return io_error("open " + path.string());
  }
  auto n = pread_all(fd.get(), out.data(), out.size(), ref.offset + offset);
  if (!n) {
    return fail(n.error());
  }
  if (*n != out.size()) {
    return fail(SegmentErrc::out_of_range, "segment ends inside the object");
  }
  return {};
}

Result<std::vector<uint8_t>> read_object_range(const std::filesystem::path& dir,
                                               const ObjectRef& ref, uint64_t offset,
                                               std::size_t length) {
  if (offset > ref.length || length > ref.length - offset) {
    return fail(SegmentErrc::out_of_range, std::to_string(offset) + "+" + std::to_string(length) +
                                               " of " + std::to_string(ref.length));
  }
  std::vector<uint8_t> out(length);
  if (auto r = read_object_into(dir, ref, offset, out); !r) {
    return fail(std::move(r.error()));
  }
  return out;
}

Result<void> verify_object(const std::filesystem::path& dir, const ObjectRef& ref,
                           std::size_t chunk_bytes) {
  auto reader = ObjectReader::open(dir, ref);
  if (!reader) {
    return fail(reader.error());
  }
  for (;;) {
    auto chunk = reader->next(std::max<std::size_t>(chunk_bytes, 4096));
    if (!chunk) {
      return fail(chunk.error());
    }
    if (chunk->empty()) {
      return {};
    }
  }
}

Result<RecoveredSegment> recover_segment(const std::filesystem::path& dir, uint64_t id,
                                         uint64_t synced_through) {
  const auto path = segment_path(dir, id);
  const detail::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (fd.get() < 0) {
    return io_error("open " + path.string());
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return io_error("fstat " + path.string());
  }
  const auto file_size = static_cast<uint64_t>(st.st_size);
  RecoveredSegment out;
  uint64_t at = 0;
  std::array<uint8_t, kSegmentHeaderBytes> raw{};
  while (at < file_size) {
    // Why the record at `at` does not check out, or empty when it does.
    std::string bad;
    std::optional<Header> header;
    auto n = pread_all(fd.get(), raw.data(), raw.size(), at);
    if (!n) {
      return fail(n.error());
    }
    if (*n < raw.size()) {
      bad = "torn header";
    } else if (header = decode_header(raw.data()); !header) {
      bad = "no finished record header";
    } else if (header->length > file_size - at - kSegmentHeaderBytes) {
      bad = "payload shorter than its header says";
    } else {
      const ObjectRef ref{id, at + kSegmentHeaderBytes, header->length, header->hash};
      // Below the watermark the header is enough: reading every synced byte at each start would
      // cost minutes on a full disk, and each object is verified as it is read (forwarded).
      if (ref.offset + ref.length <= synced_through) {
        out.objects.push_back(ref);
        at = ref.offset + ref.length;
        continue;
      }
      if (auto v = verify_object(dir, ref); !v) {
        if (v.error().code != SegmentErrc::checksum_mismatch) {
          return fail(v.error());
        }
        bad = "payload does not match its checksum";
      } else {
        out.objects.push_back(ref);
        at = ref.offset + ref.length;
        continue;
      }
    }
    if (at < synced_through) {
      return fail(SegmentErrc::corrupt, path.string() + " at " + std::to_string(at) + ": " + bad);
    }
    if (::ftruncate(fd.get(), static_cast<off_t>(at)) != 0 || ::fsync(fd.get()) != 0) {
      return io_error("truncate " + path.string());
    }
    out.truncated_bytes = file_size - at;
    break;
  }
  out.size = at;
  return out;
}

}  // namespace acc::queue
