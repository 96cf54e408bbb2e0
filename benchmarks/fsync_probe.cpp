// Synced-write ceiling of the filesystem holding DIR: appends blocks of B bytes to a fresh file,
// each followed by fdatasync, for about S seconds. The file grows, so every fdatasync also commits
// the new size, which is what a RocksDB WAL append costs too.
//
// Usage: acc_fsync_probe --dir DIR --block BYTES [--seconds S]
// Prints one CSV line: block_bytes,syncs,seconds,syncs_per_s,mb_per_s (MB = 10^6 bytes).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Options {
  std::filesystem::path dir;
  std::size_t block = 4096;
  double seconds = 2.0;
};

bool parse_args(int argc, char** argv, Options& options) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view key = argv[i];
    if (key == "--dir") {
      options.dir = argv[i + 1];
    } else if (key == "--block") {
      options.block = std::stoul(argv[i + 1]);
    } else if (key == "--seconds") {
      options.seconds = std::stod(argv[i + 1]);
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && !options.dir.empty() && options.block > 0 && options.seconds > 0;
}

bool write_all(int fd, const uint8_t* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse_args(argc, argv, options)) {
    std::fprintf(stderr, "usage: acc_fsync_probe --dir DIR --block BYTES [--seconds S]\n");
    return 2;
  }
  const std::filesystem::path path = options.dir / ("fsync_probe_" + std::to_string(options.block));
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::fprintf(stderr, "acc_fsync_probe: %s: %s\n", path.c_str(), std::strerror(errno));
    return 1;
  }
  // Non-zero content: some filesystems and devices shortcut zero pages.
  std::vector<uint8_t> block(options.block);
  for (std::size_t i = 0; i < block.size(); ++i) {
    block[i] = static_cast<uint8_t>(i * 131 + 7);
  }

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto budget = std::chrono::duration<double>(options.seconds);
  uint64_t syncs = 0;
  auto now = start;
  do {
    if (!write_all(fd, block.data(), block.size()) || ::fdatasync(fd) != 0) {
      std::fprintf(stderr, "acc_fsync_probe: write/fdatasync: %s\n", std::strerror(errno));
      ::close(fd);
      return 1;
    }
    ++syncs;
    now = Clock::now();
  } while (now - start < budget);
  ::close(fd);
  std::filesystem::remove(path);

  const double seconds = std::chrono::duration<double>(now - start).count();
  const double rate = static_cast<double>(syncs) / seconds;
  std::printf("%zu,%llu,%.3f,%.1f,%.1f\n", options.block, static_cast<unsigned long long>(syncs),
              seconds, rate, rate * static_cast<double>(options.block) / 1e6);
  return 0;
}
