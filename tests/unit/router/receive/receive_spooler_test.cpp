// The receive spooler (issue 11): chunks of a large data set go to a nameless file on the storage
// volume, written on the work pool; below the free-space floor it refuses, so the association
// drops the data set and answers 0xA700; a named spool a crash left behind goes at start-up.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <optional>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_future.hpp>

#include "router/receive/receive_spooler.hpp"

namespace acc::router {
namespace {

namespace fs = std::filesystem;

class ReceiveSpoolerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("acc-spooler-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs one append on an io_context, as an association does.
  Result<void> append(ReceiveSpooler& spooler, std::shared_ptr<SpoolFile> spool,
                      std::vector<uint8_t> bytes) {
    asio::io_context io;
    auto done =
        asio::co_spawn(io, spooler.append(std::move(spool), std::move(bytes)), asio::use_future);
    io.run();
    return done.get();
  }

  fs::path dir_;
  asio::thread_pool pool_{1};
  std::atomic<uint64_t> free_bytes_{1u << 30};
  DiskSpaceGuard disk_{"/tmp", 100u << 20, [this] { return free_bytes_.load(); }};
  RouterMetrics metrics_{"test"};
};

TEST_F(ReceiveSpoolerTest, ChunksGoToANamelessFileInOrder) {
  ReceiveSpooler spooler(dir_, pool_, disk_, metrics_);
  auto spool = spooler.create();
  ASSERT_TRUE(spool) << spool.error().message();
  ASSERT_TRUE(append(spooler, *spool, std::vector<uint8_t>(1000, 1)));
  ASSERT_TRUE(append(spooler, *spool, std::vector<uint8_t>(24, 2)));
  EXPECT_EQ((*spool)->size(), 1024u);
  std::vector<uint8_t> out(2);
  ASSERT_TRUE((*spool)->read_at(999, out));
  EXPECT_EQ(out, (std::vector<uint8_t>{1, 2}));
  EXPECT_TRUE(fs::is_empty(dir_));
  EXPECT_EQ(spooler.spooled(), 1u);
}

TEST_F(ReceiveSpoolerTest, BelowTheFreeSpaceFloorAChunkIsRefusedNotWritten) {
  ReceiveSpooler spooler(dir_, pool_, disk_, metrics_);
  auto spool = spooler.create();
  ASSERT_TRUE(spool);
  ASSERT_TRUE(append(spooler, *spool, std::vector<uint8_t>(100, 1)));
  free_bytes_ = 50u << 20;  // the volume fills while the data set arrives
  auto refused = append(spooler, *spool, std::vector<uint8_t>(100, 2));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, std::errc::no_space_on_device);
  EXPECT_EQ((*spool)->size(), 100u);
}

TEST_F(ReceiveSpoolerTest, ANamedSpoolLeftByACrashIsRemovedAtStart) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "spool-abc123") << "left behind";
  std::ofstream(dir_ / "other") << "not ours";
  ReceiveSpooler spooler(dir_, pool_, disk_, metrics_);
  EXPECT_FALSE(fs::exists(dir_ / "spool-abc123"));
  EXPECT_TRUE(fs::exists(dir_ / "other"));
}

}  // namespace
}  // namespace acc::router
