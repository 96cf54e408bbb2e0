// C-STORE latency probe built on Accessioner's own requestor library: sends every Part-10 file of
// DIR over one association, one request at a time (as DCMTK's storescu does), and times each
// C-STORE-RQ -> C-STORE-RSP with steady_clock. Files are read into memory before the association
// is opened, so the disk never sits inside a measurement.
//
// Usage: acc_store_latency --port P --dir DIR [--host H] [--called-ae AE] [--calling-ae AE]
//                          [--max-pdu N] [--latencies FILE] [--rsp-log FILE] [--rate R]
//                          [--limit N]
// --rsp-log writes "unix_ns,sop_instance_uid" per C-STORE-RSP, taken from CLOCK_REALTIME so the
// forwarding benchmark can join it with the arrival times its PACS emulator logs. --rate paces the
// requests (the i-th RQ is not sent before start + i/R seconds: a modality producing R images per
// second rather than a closed loop). --limit sends only the first N files (sorted by name).
// Prints one CSV line: instances,bytes,wall_s,inst_per_s,mb_per_s,p50_ms,p90_ms,p99_ms,max_ms
// (bytes = Part-10 file sizes, MB = 10^6 bytes, wall = association request to release).
// Exit status 1 if anything was refused or failed.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "dicom/data/part10.hpp"
#include "dicom/net/association.hpp"
#include "dicom/net/scu.hpp"

namespace {

namespace net = acc::dicom::net;
namespace data = acc::dicom::data;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string called_ae = "ANY-SCP";
  std::string calling_ae = "ACC_LATENCY";
  uint32_t max_pdu = 131072;
  std::filesystem::path dir;
  std::filesystem::path latencies;
  std::filesystem::path rsp_log;
  double rate = 0;  // requests per second; 0 = as fast as the peer answers
  std::size_t limit = 0;
};

struct Instance {
  std::vector<uint8_t> file;
  data::Part10View view;
};

struct RunResult {
  bool ok = false;
  double wall_s = 0;
  std::vector<double> latencies_ms;
  std::vector<int64_t> rsp_unix_ns;
};

bool parse_args(int argc, char** argv, Options& options) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view key = argv[i];
    const char* value = argv[i + 1];
    if (key == "--host") {
      options.host = value;
    } else if (key == "--port") {
      options.port = static_cast<uint16_t>(std::stoul(value));
    } else if (key == "--called-ae") {
      options.called_ae = value;
    } else if (key == "--calling-ae") {
      options.calling_ae = value;
    } else if (key == "--max-pdu") {
      options.max_pdu = static_cast<uint32_t>(std::stoul(value));
    } else if (key == "--dir") {
      options.dir = value;
    } else if (key == "--latencies") {
      options.latencies = value;
    } else if (key == "--rsp-log") {
      options.rsp_log = value;
    } else if (key == "--rate") {
      options.rate = std::stod(value);
    } else if (key == "--limit") {
      options.limit = std::stoul(value);
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && options.port != 0 && !options.dir.empty();
}

bool load(const std::filesystem::path& dir, std::size_t limit, std::vector<Instance>& out,
          uint64_t& bytes) {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      paths.push_back(entry.path());
    }
  }
  std::sort(paths.begin(), paths.end());
  if (limit > 0 && paths.size() > limit) {
    paths.resize(limit);
  }
  out.reserve(paths.size());
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    Instance instance;
    instance.file.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    auto view = data::split_part10(instance.file);
    if (!view) {
      std::fprintf(stderr, "acc_store_latency: %s: %s\n", path.c_str(),
                   view.error().message().c_str());
      return false;
    }
    bytes += instance.file.size();
    instance.view = *view;
    out.push_back(std::move(instance));  // the view stays valid: the vector's buffer moves with it
  }
  return !out.empty();
}

asio::awaitable<RunResult> run(const Options& options, const std::vector<Instance>& instances) {
  RunResult result;
  std::set<std::pair<std::string, std::string>> syntaxes;
  for (const auto& i : instances) {
    syntaxes.emplace(i.view.meta.media_storage_sop_class_uid, i.view.meta.transfer_syntax_uid);
  }
  std::vector<net::ProposedContext> contexts;
  for (const auto& [sop_class, ts] : syntaxes) {
    contexts.push_back({sop_class, {ts}});
  }
  auto rq =
      net::make_associate_rq(options.calling_ae, options.called_ae, contexts, options.max_pdu);
  net::AssociationSettings settings;
  settings.max_pdu_length = options.max_pdu;

  const auto start = Clock::now();
  auto executor = co_await asio::this_coro::executor;
  auto assoc = co_await net::Association::request(executor, options.host, options.port,
                                                  std::move(rq), settings);
  if (!assoc) {
    std::fprintf(stderr, "acc_store_latency: association: %s\n", assoc.error().message().c_str());
    co_return result;
  }
  result.latencies_ms.reserve(instances.size());
  result.rsp_unix_ns.reserve(instances.size());
  asio::steady_timer pacer(executor);
  const auto paced_start = Clock::now();
  std::size_t sent = 0;
  for (const auto& i : instances) {
    const auto& meta = i.view.meta;
    if (options.rate > 0) {
      pacer.expires_at(paced_start + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(sent / options.rate)));
      co_await pacer.async_wait(asio::use_awaitable);
    }
    ++sent;
    const auto t0 = Clock::now();
    auto rsp = co_await net::c_store(**assoc, meta.media_storage_sop_class_uid,
                                     meta.media_storage_sop_instance_uid, meta.transfer_syntax_uid,
                                     i.view.data_set);
    const auto t1 = Clock::now();
    const auto wall = std::chrono::system_clock::now().time_since_epoch();
    if (!rsp || rsp->status != 0x0000) {
      std::fprintf(
          stderr, "acc_store_latency: C-STORE %s: %s\n",
          meta.media_storage_sop_instance_uid.c_str(),
          rsp ? ("status " + std::to_string(rsp->status) + " " + rsp->error_comment).c_str()
              : rsp.error().message().c_str());
      if (rsp) {
        co_await (*assoc)->abort();
      }
      co_return result;
    }
    result.latencies_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    result.rsp_unix_ns.push_back(
        std::chrono::duration_cast<std::chrono::nanoseconds>(wall).count());
  }
  auto released = co_await (*assoc)->release();
  result.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  if (!released) {
    std::fprintf(stderr, "acc_store_latency: release: %s\n", released.error().message().c_str());
    co_return result;
  }
  result.ok = true;
  co_return result;
}

// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
  const auto rank =
      static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size()) + 0.999999);
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse_args(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: acc_store_latency --port P --dir DIR [--host H] [--called-ae AE]\n"
                 "       [--calling-ae AE] [--max-pdu N] [--latencies FILE] [--rsp-log FILE]\n"
                 "       [--rate R] [--limit N]\n");
    return 2;
  }
  std::vector<Instance> instances;
  uint64_t bytes = 0;
  if (!load(options.dir, options.limit, instances, bytes)) {
    std::fprintf(stderr, "acc_store_latency: no readable Part-10 files in %s\n",
                 options.dir.c_str());
    return 1;
  }

  asio::io_context io;
  RunResult result;
  asio::co_spawn(io, run(options, instances), [&result](std::exception_ptr e, RunResult r) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::fprintf(stderr, "acc_store_latency: %s\n", ex.what());
      }
      return;
    }
    result = std::move(r);
  });
  io.run();
  if (!result.ok) {
    return 1;
  }

  if (!options.latencies.empty()) {
    std::ofstream out(options.latencies);
    for (double ms : result.latencies_ms) {
      out << ms << "\n";
    }
  }
  if (!options.rsp_log.empty()) {
    std::ofstream out(options.rsp_log);
    for (std::size_t i = 0; i < result.rsp_unix_ns.size(); ++i) {
      out << result.rsp_unix_ns[i] << "," << instances[i].view.meta.media_storage_sop_instance_uid
          << "\n";
    }
  }
  std::vector<double> sorted = result.latencies_ms;
  std::sort(sorted.begin(), sorted.end());
  const double n = static_cast<double>(sorted.size());
  std::printf("%zu,%llu,%.3f,%.1f,%.1f,%.3f,%.3f,%.3f,%.3f\n", sorted.size(),
              static_cast<unsigned long long>(bytes), result.wall_s, n / result.wall_s,
              static_cast<double>(bytes) / 1e6 / result.wall_s, percentile(sorted, 50),
              percentile(sorted, 90), percentile(sorted, 99), sorted.back());
  return 0;
}
