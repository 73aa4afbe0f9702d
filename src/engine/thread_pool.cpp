#include "engine/thread_pool.hpp"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define APR_CPU_RELAX() _mm_pause()
#else
#define APR_CPU_RELAX() std::this_thread::yield()
#endif

namespace apr::engine {

ThreadPool::ThreadPool(int threads) {
  int extra = std::max(1, threads) - 1;
  workers_.reserve(static_cast<std::size_t>(extra));
  for (int i = 0; i < extra; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_.store(true);
    generation_.fetch_add(1);
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::run_chunks() {
  for (;;) {
    std::int64_t b = next_.fetch_add(chunk_);
    if (b >= n_) break;
    (*fn_)(b, std::min(n_, b + chunk_));
  }
}

void ThreadPool::worker_loop(int) {
  std::uint64_t seen = 0;
  for (;;) {
    // Spin a little for the next loop, then sleep.
    int spins = 0;
    while (generation_.load(std::memory_order_acquire) == seen && spins < 20000) {
      APR_CPU_RELAX();
      ++spins;
    }
    if (generation_.load(std::memory_order_acquire) == seen) {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return generation_.load() != seen; });
    }
    seen = generation_.load(std::memory_order_acquire);
    if (stop_.load()) return;
    run_chunks();
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::parallel_for(std::int64_t n, const std::function<void(std::int64_t, std::int64_t)>& fn) {
  if (n <= 0) return;
  if (workers_.empty() || n == 1) {
    fn(0, n);
    return;
  }
  const std::int64_t parts = static_cast<std::int64_t>(size()) * 4;
  fn_ = &fn;
  n_ = n;
  chunk_ = std::max<std::int64_t>(1, (n + parts - 1) / parts);
  next_.store(0);
  pending_.store(static_cast<int>(workers_.size()));
  {
    std::lock_guard<std::mutex> lk(mu_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  cv_.notify_all();
  run_chunks();
  while (pending_.load(std::memory_order_acquire) != 0) APR_CPU_RELAX();
  fn_ = nullptr;
}

}  // namespace apr::engine
