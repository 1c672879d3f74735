// The gradient sum of data-parallel training alone (train/distributed.h: MPI_Alltoall, a sum in rank order,
// MPI_Allgather), on the reference model's gradient: 102,209 floats, then the loss (one double), as one training
// step does. Run under mpirun; rank 0 prints the median and quartiles of the time per step.
//
//   mpirun -np 2 [--bind-to none] build/bench/process_sum_bench [STEPS]      (default 400)
//
// Ranks start each step together (a barrier-like first sum of one value), so the figure is the exchange itself,
// not one rank waiting for a slower one as in training.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "nnse/train/distributed.h"

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 400;
  const auto processes = nnse::train::open_processes();
  if (processes->size() == 1) {
    std::printf("one process: nothing to sum (run under mpirun -np N)\n");
    return 0;
  }
  std::vector<float> gradient(102209);
  for (std::size_t i = 0; i < gradient.size(); ++i) gradient[i] = 1e-3f * static_cast<float>(i % 97);
  std::vector<double> seconds;
  double sync = 0.0, loss = 0.0;
  for (int step = 0; step < steps + 20; ++step) {
    processes->sum(std::span<double>(&sync, 1));  // line the ranks up
    const auto start = std::chrono::steady_clock::now();
    processes->sum(gradient);
    loss = 1.0;
    processes->sum(std::span<double>(&loss, 1));
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (step >= 20) seconds.push_back(s);  // the first steps set up buffers and connections
    for (auto& g : gradient) g *= 0.5f;    // keep the values finite and small
  }
  std::sort(seconds.begin(), seconds.end());
  auto at = [&seconds](double q) { return seconds[static_cast<std::size_t>(q * static_cast<double>(seconds.size() - 1))] * 1e6; };
  if (processes->rank() == 0) {
    std::printf("%d ranks, %zu floats (%zu bytes) + 1 double per step, %d steps: median %.0f us, quartiles %.0f-%.0f us\n",
                processes->size(), gradient.size(), gradient.size() * sizeof(float), steps, at(0.5), at(0.25), at(0.75));
  }
  return 0;
}
