#include "router/runtime/malloc_tuning.hpp"

#include <malloc.h>

namespace acc::router {

bool tune_malloc_for_instance_buffers() {
  // 32 MiB is glibc's upper bound for the mmap threshold on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX);
  // setting it also turns off the dynamic adjustment.
  const bool mmap_ok = ::mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1;
  const bool trim_ok = ::mallopt(M_TRIM_THRESHOLD, 128 << 20) == 1;
  return mmap_ok && trim_ok;
}

}  // namespace acc::router
