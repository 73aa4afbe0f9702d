// apr-qa core: CPU feature tests that both GCC and clang compile.
//
// clang (14) does not know "f16c" in __builtin_cpu_supports, so F16C is read from CPUID
// directly: leaf 1 ECX bit 29 (F16C), bit 28 (AVX) and bit 27 (OSXSAVE), plus XGETBV to check
// that the OS saves the YMM state (XCR0 bits 1 and 2).
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#endif

namespace apr {

// AVX usable (CPU + OS) and F16C present.
inline bool cpu_has_avx_f16c() noexcept {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  static const bool has = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
    const bool osxsave = (c >> 27) & 1u, avx = (c >> 28) & 1u, f16c = (c >> 29) & 1u;
    if (!osxsave || !avx || !f16c) return false;
    unsigned lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    (void)hi;
    return (lo & 0x6u) == 0x6u;  // XMM and YMM state enabled by the OS
  }();
  return has;
#else
  return false;
#endif
}

}  // namespace apr
