// Software prefetch for decode, which streams every weight byte from memory once per token.
// The hardware prefetcher stops at 4 KiB page boundaries and runs only a few lines ahead, so the
// kernels ask for the bytes they are about to read themselves, at two distances: kPrefetchFar
// bytes ahead into L2 (T1), and kPrefetchNear ahead into L1 (T0), by then usually an L2 hit.
// A single T0 prefetch 4 KiB ahead kept 75 % of a plain read's bandwidth with the Q5_0, Q6_K and
// Q4_K packed kernels; the two levels keep 85-90 % (bench_engine_int8_stream, docs/performance.md).
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace apr::engine {

inline constexpr std::size_t kPrefetchFar = 4096, kPrefetchNear = 1024;

// Called with the n bytes at p that are read next: prefetches the same span kPrefetchFar and
// kPrefetchNear bytes further on. Addresses past the end of a mapping are harmless (no fault).
inline void prefetch_stream(const std::uint8_t* p, std::size_t n) noexcept {
#if defined(__x86_64__) || defined(__i386__)
  for (std::size_t o = 0; o < n; o += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetchFar + o), _MM_HINT_T1);
    _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetchNear + o), _MM_HINT_T0);
  }
#else
  (void)p;
  (void)n;
#endif
}

}  // namespace apr::engine
