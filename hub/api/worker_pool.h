// A fixed set of threads that run the hub's blocking work (database transactions) so
// gRPC's callback threads never block. The queue is bounded: when it is full, Submit
// refuses and the caller answers RESOURCE_EXHAUSTED instead of queueing without end.
#ifndef LOYALTY_HUB_API_WORKER_POOL_H_
#define LOYALTY_HUB_API_WORKER_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace loyalty {

// Thread-safe.
class WorkerPool {
 public:
  // REQUIRES: threads >= 1, max_queue >= 1.
  WorkerPool(int threads, int max_queue);
  // Runs what is queued, then joins the threads.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `work`; false if the queue is full or the pool is shutting down.
  bool Submit(std::function<void()> work);

 private:
  void Run();

  const size_t max_queue_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_API_WORKER_POOL_H_
