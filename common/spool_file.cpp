#include "common/spool_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

namespace acc {

namespace {

FailedResult errno_error(const char* what) {
  const int e = errno;
  return fail(std::errc(e),
              std::string(what) + ": " + std::error_code(e, std::generic_category()).message());
}

}  // namespace

Result<SpoolFile> SpoolFile::create(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return fail(ec.value() != 0 ? std::errc(ec.value()) : std::errc::io_error,
                "spool directory " + dir.string() + ": " + ec.message());
  }
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    // No O_TMPFILE on this file system: a named file, unlinked before anything is written.
    std::string name = (dir / "spool-XXXXXX").string();
    fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd >= 0 && ::unlink(name.c_str()) != 0) {
      const int e = errno;
      ::close(fd);
      errno = e;
      fd = -1;
    }
  }
  if (fd < 0) {
    return errno_error("spool file");
  }
  return SpoolFile(fd);
}

SpoolFile::SpoolFile(SpoolFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), size_(std::exchange(other.size_, 0)) {}

SpoolFile& SpoolFile::operator=(SpoolFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SpoolFile::~SpoolFile() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

Result<void> SpoolFile::append(std::span<const uint8_t> bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(size_ + done));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      // What was written of this call is beyond size_ and is overwritten by the next append.
      return errno_error("spool write");
    }
    done += static_cast<std::size_t>(n);
  }
  size_ += done;
  return {};
}

Result<void> SpoolFile::read_at(uint64_t offset, std::span<uint8_t> out) const {
  if (offset > size_ || out.size() > size_ - offset) {
    return fail(std::errc::invalid_argument, "spool read past its end");
  }
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n =
        ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errno_error("spool read");
    }
    if (n == 0) {
      return fail(std::errc::io_error, "spool file shorter than written");
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace acc
