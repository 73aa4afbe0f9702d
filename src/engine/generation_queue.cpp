#include "engine/generation_queue.hpp"

namespace apr::engine {

GenerationQueue::GenerationQueue(std::size_t max_admitted) : max_(max_admitted < 1 ? 1 : max_admitted) {
  thread_ = std::thread([this] { loop(); });
}

GenerationQueue::~GenerationQueue() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void GenerationQueue::stop() {
  std::lock_guard<std::mutex> lk(mu_);
  stopping_ = true;
  cv_.notify_all();
}

std::size_t GenerationQueue::waiting() const {
  std::lock_guard<std::mutex> lk(mu_);
  return jobs_.size();
}

bool GenerationQueue::busy() const {
  std::lock_guard<std::mutex> lk(mu_);
  return running_;
}

bool GenerationQueue::run(const std::function<void()>& work) {
  Job job{&work, false, nullptr};
  std::unique_lock<std::mutex> lk(mu_);
  if (stopping_ || jobs_.size() + (running_ ? 1 : 0) >= max_) return false;
  jobs_.push_back(&job);
  cv_.notify_all();
  done_cv_.wait(lk, [&] { return job.done; });
  if (job.error) std::rethrow_exception(job.error);
  return true;
}

void GenerationQueue::loop() {
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    cv_.wait(lk, [&] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping and drained
    Job* job = jobs_.front();
    jobs_.pop_front();
    running_ = true;
    lk.unlock();
    try {
      (*job->work)();
    } catch (...) {
      job->error = std::current_exception();
    }
    lk.lock();
    running_ = false;
    job->done = true;
    done_cv_.notify_all();
  }
}

}  // namespace apr::engine
