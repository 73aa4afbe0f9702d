#include "engine/attention.hpp"

#include "engine/gemm.hpp"
#include "engine/kernels.hpp"

namespace apr::engine {

void attend_block(const float* q, std::int64_t ldq, std::int64_t tt, const float* k, const float* v,
                  std::int64_t stride, std::int64_t d, std::int64_t pos0, float scale, AttendScratch& s,
                  float* out, std::int64_t ldo) {
  const std::int64_t nk = pos0 + tt;  // keys the last query sees
  const auto un = static_cast<std::size_t>(nk);
  if (s.scores.size() < static_cast<std::size_t>(tt) * un) s.scores.resize(static_cast<std::size_t>(tt) * un);
  float* S = s.scores.data();
  if (const GemmRows gemm = gemm_rows_for(d)) {
    if (s.keys.size() < un) s.keys.resize(un);
    for (std::int64_t j = 0; j < nk; ++j) s.keys[static_cast<std::size_t>(j)] = k + j * stride;
    // S[t][j] = dot(k_j, q_t) for every j < nk (the entries past query t's position are not used).
    gemm(s.keys.data(), nk, q, ldq, tt, d, S, nk);
    for (std::int64_t t = 0; t < tt; ++t)
      for (std::int64_t j = 0; j <= pos0 + t; ++j) S[t * nk + j] *= scale;
  } else {
    for (std::int64_t t = 0; t < tt; ++t)
      for (std::int64_t j = 0; j <= pos0 + t; ++j) S[t * nk + j] = dot(q + t * ldq, k + j * stride, d) * scale;
  }
  for (std::int64_t t = 0; t < tt; ++t) {
    softmax(S + t * nk, pos0 + t + 1);
    float* o = out + t * ldo;
    for (std::int64_t i = 0; i < d; ++i) o[i] = 0.0f;
  }
  for (std::int64_t j = 0; j < nk; ++j) {
    const float* vj = v + j * stride;
    for (std::int64_t t = j <= pos0 ? 0 : j - pos0; t < tt; ++t) axpy(out + t * ldo, vj, S[t * nk + j], d);
  }
}

}  // namespace apr::engine
