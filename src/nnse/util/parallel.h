#pragma once
// Runs work(0) on the calling thread and work(1) .. work(workers - 1) on their own threads, waits for all, then
// rethrows the first exception any of them threw (by worker index), so a failure is never lost or swallowed.
#include <exception>
#include <functional>
#include <thread>
#include <vector>

namespace nnse {

inline void run_workers(int workers, const std::function<void(int)>& work) {
  const int count = workers < 1 ? 1 : workers;
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(count));
  auto guarded = [&](int worker) {
    try {
      work(worker);
    } catch (...) {
      errors[static_cast<std::size_t>(worker)] = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < count; ++w) pool.emplace_back(guarded, w);
  guarded(0);
  for (auto& t : pool) t.join();
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

}  // namespace nnse
