#pragma once
// A process-wide budget of bytes held in memory for one purpose (issue 11: data sets being
// received), shared by every association. Holders reserve before they allocate and give back
// when they free; a reservation that would pass the limit is refused, and the holder must then
// do without (the receive path drops the data set and answers 0xA700) rather than allocate.
// Thread-safe, lock-free.
#include <atomic>
#include <cstdint>
#include <utility>

namespace acc {

// Whether a refused reservation counts in refusals(): a size hint that is refused is not a refusal
// of anything the peer sent (the buffer then grows as bytes arrive, and that may be refused).
enum class Refusal : bool { counted, uncounted };

class ByteBudget {
 public:
  explicit ByteBudget(uint64_t limit) : limit_(limit) {}
  ByteBudget(const ByteBudget&) = delete;
  ByteBudget& operator=(const ByteBudget&) = delete;

  [[nodiscard]] bool try_reserve(uint64_t bytes, Refusal refusal = Refusal::counted) noexcept {
    uint64_t used = in_use_.load(std::memory_order_relaxed);
    do {
      if (bytes > limit_ || used > limit_ - bytes) {
        if (refusal == Refusal::counted) {
          refusals_.fetch_add(1, std::memory_order_relaxed);
        }
        return false;
      }
    } while (!in_use_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
    return true;
  }
  void release(uint64_t bytes) noexcept { in_use_.fetch_sub(bytes, std::memory_order_relaxed); }

  [[nodiscard]] uint64_t limit() const noexcept { return limit_; }
  [[nodiscard]] uint64_t in_use() const noexcept { return in_use_.load(std::memory_order_relaxed); }
  [[nodiscard]] uint64_t refusals() const noexcept {
    return refusals_.load(std::memory_order_relaxed);
  }

 private:
  const uint64_t limit_;
  std::atomic<uint64_t> in_use_{0};
  std::atomic<uint64_t> refusals_{0};
};

// What one holder has reserved from a budget (none: unlimited); given back on destruction.
class BudgetLease {
 public:
  BudgetLease() = default;
  explicit BudgetLease(ByteBudget* budget) : budget_(budget) {}
  BudgetLease(BudgetLease&& other) noexcept
      : budget_(std::exchange(other.budget_, nullptr)), held_(std::exchange(other.held_, 0)) {}
  BudgetLease& operator=(BudgetLease&& other) noexcept {
    if (this != &other) {
      reset();
      budget_ = std::exchange(other.budget_, nullptr);
      held_ = std::exchange(other.held_, 0);
    }
    return *this;
  }
  BudgetLease(const BudgetLease&) = delete;
  BudgetLease& operator=(const BudgetLease&) = delete;
  ~BudgetLease() { reset(); }

  // Holds `bytes` in total from now on: reserves what is missing (false, holding as before, if the
  // budget refuses), gives back what is no longer needed.
  [[nodiscard]] bool hold(uint64_t bytes, Refusal refusal = Refusal::counted) noexcept {
    if (budget_ == nullptr) {
      return true;
    }
    if (bytes > held_) {
      if (!budget_->try_reserve(bytes - held_, refusal)) {
        return false;
      }
    } else {
      budget_->release(held_ - bytes);
    }
    held_ = bytes;
    return true;
  }
  void reset() noexcept {
    if (budget_ != nullptr && held_ > 0) {
      budget_->release(held_);
    }
    held_ = 0;
  }
  [[nodiscard]] uint64_t held() const noexcept { return held_; }

 private:
  ByteBudget* budget_ = nullptr;
  uint64_t held_ = 0;
};

}  // namespace acc
