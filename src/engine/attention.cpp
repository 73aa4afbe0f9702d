#include "engine/attention.hpp"

#include "engine/gemm.hpp"
#include "engine/kernels.hpp"

namespace apr::engine {

namespace {
// Sizes s for `rows` rows of scores over nk keys and, when `blocked` and d has a blocked
// product, points s.keys[j] at key j. Returns that product (null: none is used).
GemmRows prepare(AttendScratch& s, std::int64_t rows, std::int64_t nk, const float* k, std::int64_t stride,
                 std::int64_t d, bool blocked = true) {
  const auto un = static_cast<std::size_t>(nk);
  if (s.scores.size() < static_cast<std::size_t>(rows) * un) s.scores.resize(static_cast<std::size_t>(rows) * un);
  const GemmRows gemm = blocked ? gemm_rows_for(d) : nullptr;
  if (gemm) {
    if (s.keys.size() < un) s.keys.resize(un);
    for (std::int64_t j = 0; j < nk; ++j) s.keys[static_cast<std::size_t>(j)] = k + j * stride;
  }
  return gemm;
}
}  // namespace

void attend_block(const float* q, std::int64_t ldq, std::int64_t tt, const float* k, const float* v,
                  std::int64_t stride, std::int64_t d, std::int64_t pos0, float scale, AttendScratch& s,
                  float* out, std::int64_t ldo) {
  const std::int64_t nk = pos0 + tt;  // keys the last query sees
  const GemmRows gemm = prepare(s, tt, nk, k, stride, d);
  float* S = s.scores.data();
  if (gemm) {
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
    weighted_sum(v, stride, S + t * nk, pos0 + t + 1, d, out + t * ldo);
  }
}

void attend_group(const float* q, std::int64_t ldq, std::int64_t nq, const float* k, const float* v,
                  std::int64_t stride, std::int64_t d, std::int64_t pos, float scale, AttendScratch& s,
                  float* out, std::int64_t ldo) {
  const std::int64_t nk = pos + 1;
  // Sixteen keys per reduction where the kernel exists (gemm_avx512.hpp key_scores_avx512), else
  // the blocked product, else dot(): dot()'s bits per score either way.
  const KeyScores scores = key_scores_for(d);
  const GemmRows gemm = prepare(s, nq, nk, k, stride, d, /*blocked=*/!scores);
  float* S = s.scores.data();
  if (scores || gemm) {
    // S[h][j] = dot(k_j, q_h), one product per head: blocking heads as the product's tokens was
    // slower (each score ends in its own reduction tree; 4 x heads x 2 accumulators spill).
    for (std::int64_t h = 0; h < nq; ++h) {
      if (scores) scores(k, stride, nk, q + h * ldq, d, S + h * nk);
      else gemm(s.keys.data(), nk, q + h * ldq, ldq, 1, d, S + h * nk, nk);
    }
    for (std::int64_t i = 0; i < nq * nk; ++i) S[i] *= scale;
  } else {
    for (std::int64_t h = 0; h < nq; ++h)
      for (std::int64_t j = 0; j < nk; ++j) S[h * nk + j] = dot(q + h * ldq, k + j * stride, d) * scale;
  }
  for (std::int64_t h = 0; h < nq; ++h) softmax(S + h * nk, nk);
  weighted_sums(v, stride, S, nk, nq, nk, d, out, ldo);
}

}  // namespace apr::engine
