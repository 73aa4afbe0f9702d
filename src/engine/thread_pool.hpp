// apr-qa engine: a small fixed-size thread pool for data-parallel loops.
//
// parallel_for(n, fn) calls fn(begin, end) on disjoint chunks covering [0, n) and returns when
// all are done. The caller's thread takes part. The engine only parallelises work whose result
// per index does not depend on the chunking (output rows, attention heads), so the thread
// count never changes a bit of the results. Workers spin briefly before sleeping so decode
// steps (hundreds of small loops per token) do not pay a wake-up per loop.
// Not re-entrant: fn must not call parallel_for on the same pool.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace apr::engine {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // threads >= 1 (1 = run on the caller only)
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }
  void parallel_for(std::int64_t n, const std::function<void(std::int64_t, std::int64_t)>& fn);

 private:
  void worker_loop(int index);
  void run_chunks();

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<std::int64_t> next_{0};
  std::atomic<bool> stop_{false};
  const std::function<void(std::int64_t, std::int64_t)>* fn_ = nullptr;
  std::int64_t n_ = 0;
  std::int64_t chunk_ = 1;
};

}  // namespace apr::engine
