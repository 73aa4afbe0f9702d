// apr-qa engine: causal attention of one head for a block of consecutive queries.
//
// attend_block() computes, for queries t < tt at positions pos0 + t, exactly what attend_head()
// computes for each alone (kernels.hpp): scores dot(q_t, k_j) * scale for j <= pos0 + t, the
// same softmax, then out_t = sum over j in order of p_tj * v_j (mul then add per element). Only
// the loop order across queries changes: each key row is loaded once for the whole block instead
// of once per query, on AVX-512 the scores come from the register-blocked product
// (gemm_avx512.hpp), whose values have dot()'s bits, and each query's output sums are kept in
// registers over all its positions (kernels.hpp weighted_sum(): the same mul and add per element
// in the same order as attend_head()'s axpy loop). So prefill (blocks of queries) and decoding (a
// block of one) still give bitwise identical logits.
#pragma once

#include <cstdint>
#include <vector>

namespace apr::engine {

struct AttendScratch {
  std::vector<float> scores;        // tt x (pos0 + tt)
  std::vector<const float*> keys;   // pos0 + tt row pointers
};

// q: query t at q + t * ldq (d floats); k, v: position 0 of this kv head, positions `stride`
// floats apart; out: query t's d outputs at out + t * ldo.
void attend_block(const float* q, std::int64_t ldq, std::int64_t tt, const float* k, const float* v,
                  std::int64_t stride, std::int64_t d, std::int64_t pos0, float scale, AttendScratch& s,
                  float* out, std::int64_t ldo);

// Decoding with grouped-query attention: nq query heads (query h at q + h * ldq, output at
// out + h * ldo) that share one kv head, all at position pos. Each output has attend_head()'s
// bits; the group's values are read once for all its heads (kernels.hpp weighted_sums(), whose
// independent running sums also hide the add latency that bounds a single head's chain).
void attend_group(const float* q, std::int64_t ldq, std::int64_t nq, const float* k, const float* v,
                  std::int64_t stride, std::int64_t d, std::int64_t pos, float scale, AttendScratch& s,
                  float* out, std::int64_t ldo);

}  // namespace apr::engine
