#pragma once
// Whether a destination is paused and until when: the backoff of issue 3, with one rule added in
// issue 12. Only news may clear a failure: a C-STORE that began before the latest failure was
// recorded and then succeeded says nothing about the PACS now (it was on its way when the PACS
// began failing), so it must not resume a destination that is failing. Likewise a failure of an
// attempt that began before the latest failure only confirms that failure; it does not double
// the delay again (four workers failing on one outage are one failure, not four).
// Sans-I/O and clock-injected: unit-tested without a PACS. One strand owns it.
#include <chrono>
#include <cstdint>

#include "router/forward/backoff.hpp"

namespace acc::router {

class DestinationHealth {
 public:
  using Clock = std::chrono::steady_clock;

  // Taken when an attempt begins (before its association is opened or reused).
  struct Attempt {
    uint64_t failures_seen = 0;  // failures recorded when it began
  };

  explicit DestinationHealth(Backoff backoff) : backoff_(std::move(backoff)) {}

  [[nodiscard]] Attempt begin() const noexcept { return {failures_recorded_}; }

  // Records a failed attempt and returns when the destination may be tried again.
  Clock::time_point failed(const Attempt& attempt, Clock::time_point now) {
    if (attempt.failures_seen != failures_recorded_ && now < paused_until_) {
      return paused_until_;  // a failure already recorded since it began: nothing new
    }
    ++failures_recorded_;
    paused_until_ = now + backoff_.next_delay();
    return paused_until_;
  }

  // Records a delivered attempt; returns true when it cleared the backoff.
  bool succeeded(const Attempt& attempt) noexcept {
    if (attempt.failures_seen != failures_recorded_) {
      return false;  // began before the latest failure: stale news
    }
    backoff_.reset();
    paused_until_ = {};
    return true;
  }

  [[nodiscard]] bool paused(Clock::time_point now) const noexcept { return now < paused_until_; }
  [[nodiscard]] Clock::time_point paused_until() const noexcept { return paused_until_; }
  [[nodiscard]] uint32_t consecutive_failures() const noexcept { return backoff_.failures(); }

 private:
  Backoff backoff_;
  Clock::time_point paused_until_{};
  uint64_t failures_recorded_ = 0;  // ever; an attempt compares it with what it saw at its start
};

}  // namespace acc::router
