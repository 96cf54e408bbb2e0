#pragma once
// Exponential backoff with jitter for one destination (Envoy's JitteredExponentialBackOffStrategy):
// delay = min(max, initial * 2^(failures-1)), then a uniformly random value in [delay/2, delay] so
// that several routers (or workers) restarting together do not hammer a PACS in lockstep. The
// random source is injected so tests are deterministic.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace acc::router {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, uint64_t seed)
      : initial_(initial), max_(std::max(max, initial)), rng_(seed) {}

  // Records a failure and returns how long to wait before the next attempt.
  std::chrono::milliseconds next_delay() {
    ++failures_;
    const int shift = static_cast<int>(std::min<uint32_t>(failures_ - 1, 30));
    const auto ceiling = std::min<int64_t>(max_.count(), initial_.count() << shift);
    const auto capped = std::max<int64_t>(ceiling, 1);
    std::uniform_int_distribution<int64_t> jitter(capped / 2, capped);
    return std::chrono::milliseconds(jitter(rng_));
  }

  void reset() { failures_ = 0; }
  [[nodiscard]] uint32_t failures() const { return failures_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::mt19937_64 rng_;
  uint32_t failures_ = 0;
};

}  // namespace acc::router
