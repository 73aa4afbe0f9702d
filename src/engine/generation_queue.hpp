// apr-qa engine: the admission queue of `apr-qa serve`. Generation requests run one at a time on
// one engine thread; at most max_admitted requests are admitted at once (one running, the rest
// waiting in arrival order). A request beyond that is refused at once (the server answers 503
// with Retry-After), so queued work and connection threads stay bounded and /health, served on
// its connection's own thread, never waits behind a generation.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace apr::engine {

class GenerationQueue {
 public:
  explicit GenerationQueue(std::size_t max_admitted);
  ~GenerationQueue();  // stop() and join
  GenerationQueue(const GenerationQueue&) = delete;
  GenerationQueue& operator=(const GenerationQueue&) = delete;

  // Runs work on the engine thread and waits for it; an exception it throws is rethrown here.
  // False (work not run) when max_admitted requests are already admitted or after stop().
  bool run(const std::function<void()>& work);
  // Refuses new work; what is admitted still runs (it sees its client gone and stops early).
  void stop();

  std::size_t max_admitted() const { return max_; }
  std::size_t waiting() const;
  bool busy() const;

 private:
  struct Job {
    const std::function<void()>* work;
    bool done = false;
    std::exception_ptr error;
  };
  void loop();

  const std::size_t max_;
  mutable std::mutex mu_;
  std::condition_variable cv_;       // engine thread: a job arrived / stop
  std::condition_variable done_cv_;  // callers: a job finished
  std::deque<Job*> jobs_;
  bool running_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace apr::engine
