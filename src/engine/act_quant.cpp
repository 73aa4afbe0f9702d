#include "engine/act_quant.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "tensor/quant_common.hpp"

namespace apr::engine {

void quantize_acts(const float* x, std::int64_t ldx, std::int64_t T, std::int64_t n, QuantizedActs& out) {
  out.n = n;
  out.pairs = (n + 63) / 64;
  out.tokens = T;
  const auto per = static_cast<std::size_t>(out.pairs);
  const auto rows = static_cast<std::size_t>(T);
  if (out.q.size() < rows * per * 64) out.q.resize(rows * per * 64);
  if (out.d.size() < rows * per * 2) {
    out.d.resize(rows * per * 2);
    out.s.resize(rows * per * 2);
    out.gs.resize(rows * per * 4);
  }
  const std::int64_t nb = n / 32;
  for (std::int64_t t = 0; t < T; ++t) {
    const float* xr = x + t * ldx;
    std::int8_t* q = out.q.data() + t * out.pairs * 64;
    float* d = out.d.data() + t * out.pairs * 2;
    std::int32_t* gs = out.gs.data() + t * out.pairs * 4;
    float* s = out.s.data() + t * out.pairs * 2;
    if (nb % 2) {  // a padding block completes the last pair
      std::memset(q + nb * 32, 0, 32);
      d[nb] = s[nb] = 0.0f;
      gs[2 * nb] = gs[2 * nb + 1] = 0;
    }
    for (std::int64_t b = 0; b < nb; ++b) {
      const float* v = xr + b * 32;
      float amax = 0;
      for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(v[i]));
      const float db = amax / 127.0f;
      const float id = db > 0 ? 1.0f / db : 0.0f;
      std::int32_t sums[2] = {0, 0};
      std::int8_t* qb = q + b * 32;
      for (int i = 0; i < 32; ++i) {
        // nearest_int rounds half to even; |v * id| <= 127 up to rounding, clamped anyway.
        const int iv = std::clamp(apr::quant::nearest_int(v[i] * id), -127, 127);
        qb[i] = static_cast<std::int8_t>(iv);
        sums[i / 16] += iv;
      }
      d[b] = db;
      gs[2 * b] = -sums[0];
      gs[2 * b + 1] = -sums[1];
      s[b] = db * static_cast<float>(sums[0] + sums[1]);
    }
  }
}

}  // namespace apr::engine
