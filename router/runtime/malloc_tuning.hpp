#pragma once
// glibc malloc settings for a process that allocates and frees a 0.5–50 MB buffer per received
// instance, from many threads.
//
// Why: with the defaults, glibc gives blocks above its (dynamic) mmap threshold straight back to
// the kernel, and trims freed memory at the top of each arena with madvise(MADV_DONTNEED). Every
// instance's buffers then fault their pages in again: measured (perf, 8 associations × 0.5 MB
// CT), a quarter of the daemon's CPU went to anonymous page faults under memmove/memset, and the
// daemon used 1.55 CPU-seconds per 500 instances. Keeping blocks up to 32 MiB in the heap and
// 128 MiB of free memory before trimming: 0.53 CPU-seconds, 360 -> 560 inst/s, peak RSS
// 38 -> 48 MiB (benchmarks/RESULTS.md). Larger objects are still mapped and unmapped each time.
namespace acc::router {

// Call once at start-up, before threads start. Returns false if glibc refused a setting.
bool tune_malloc_for_instance_buffers();

}  // namespace acc::router
