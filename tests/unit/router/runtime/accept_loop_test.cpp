// The one accept loop of the three listeners: when accept() fails for want of file descriptors
// (EMFILE, what a connection flood causes) it backs off instead of spinning on the failing call,
// and serves again once descriptors are free.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include "router/runtime/accept_loop.hpp"
#include "router/runtime/spawn.hpp"
#include "router/runtime/tcp_listen.hpp"

namespace acc::router {
namespace {

using namespace std::chrono_literals;

// Counts log lines that contain `needle`.
class CountingSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit CountingSink(std::string needle) : needle_(std::move(needle)) {}
  std::atomic<int> count{0};

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (std::string_view(msg.payload.data(), msg.payload.size()).find(needle_) !=
        std::string_view::npos) {
      ++count;
    }
  }
  void flush_() override {}

 private:
  std::string needle_;
};

// Lowers the soft descriptor limit and fills every free slot; undone on destruction.
class ExhaustedDescriptors {
 public:
  ExhaustedDescriptors() {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit low = saved_;
    low.rlim_cur = 512;  // enough for the process, few enough to fill quickly
    ::setrlimit(RLIMIT_NOFILE, &low);
    for (int fd; (fd = ::open("/dev/null", O_RDONLY)) >= 0;) {
      fds_.push_back(fd);
    }
  }
  ~ExhaustedDescriptors() { release(); }
  void release() {
    for (const int fd : fds_) {
      ::close(fd);
    }
    fds_.clear();
    ::setrlimit(RLIMIT_NOFILE, &saved_);
  }
  [[nodiscard]] std::size_t held() const { return fds_.size(); }

 private:
  rlimit saved_{};
  std::vector<int> fds_;
};

TEST(AcceptLoop, FailingAcceptIsBackedOffNotSpunAndServingResumes) {
  auto sink = std::make_shared<CountingSink>("accept failed");
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));

  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io);
  ASSERT_TRUE(listen_tcp(acceptor, "127.0.0.1", 0, "test listener").has_value());
  const uint16_t port = acceptor.local_endpoint().port();
  int accepted = 0;
  asio::co_spawn(
      io,
      accept_connections(io, acceptor, "test listener", [&accepted](auto, auto) { ++accepted; }),
      LogUncaught{"accept loop"});

  // The client's socket exists before the descriptors run out; connecting needs no new one,
  // and the kernel completes the handshake into the listen backlog.
  const int client = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(client, 0);
  ExhaustedDescriptors exhausted;
  ASSERT_GT(exhausted.held(), 0u);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(client, reinterpret_cast<const sockaddr*>(&to), sizeof to), 0);

  io.run_for(600ms);
  const int failures = sink->count.load();
  EXPECT_EQ(accepted, 0);
  EXPECT_GE(failures, 1) << "accept never failed: the descriptors were not exhausted";
  // 600 ms at one retry per kAcceptBackoff (100 ms) is about 6; a spinning loop logs thousands.
  EXPECT_LE(failures, 12) << "accept failures were retried without a pause";

  exhausted.release();
  io.restart();
  io.run_for(400ms);
  EXPECT_EQ(accepted, 1) << "the loop stopped serving after the failures";

  ::close(client);
  acceptor.close();
  io.restart();
  io.run_for(50ms);
  spdlog::set_default_logger(previous);
}

}  // namespace
}  // namespace acc::router
