// Training throughput of the engine on the reference arch (nn_arch/def_se_nn_arch72_mel.txt): one train_step
// per iteration on a batch of 32 sequences x 250 frames of synthetic normalized features, MSE loss against a
// fixed target, dropout and Adam as in training. Frames per second = 32 * 250 / step time. Compare with
// bench/torch_train_peer.py (same model, batch, chunk); bench/run_train_bench.sh runs both.
//   BM_TrainStep/<threads>        batch 32 x 250 frames
//   BM_TrainStep500/<threads>     batch 32 x 500 frames (the reference's chunk; used for the peak-RSS check)
//   BM_GemmPeak/<threads>         this machine's fp32 matrix-product peak (Eigen, the same kernels the engine
//                                 uses): a 1024 x 1024 x 1024 product, its columns split over the threads. The
//                                 engine's share of that peak replaces a constant measured on another CPU.
#include <benchmark/benchmark.h>

#include "nnse/nn/eigen_diagnostics.h"
NNSE_EIGEN_WARNINGS_OFF
#include <Eigen/Core>
NNSE_EIGEN_WARNINGS_ON

#include <ctime>
#include <thread>
#include <vector>

#include "nnse/nn/model.h"
#include "nnse/nn/random.h"
#include "nnse/train/engine.h"

namespace {

using namespace nnse;

void train_step(benchmark::State& state, int frames) {
  const int threads = static_cast<int>(state.range(0));
  const int sequences = 32;
  nn::Model model = nn::Model::from_file(std::string(NNSE_SOURCE_DIR) + "/nn_arch/def_se_nn_arch72_mel.txt", 1);
  train::EngineOptions options;
  options.threads = threads;
  options.pad_frame.assign(72, -2.0f);
  train::Engine engine(model, options);
  const int D = model.input_dim(), O = model.output_dim();
  std::vector<float> features(static_cast<std::size_t>(sequences) * frames * D);
  nn::Rng rng(1);
  for (float& x : features) x = static_cast<float>(rng.normal());
  std::vector<std::uint8_t> valid(static_cast<std::size_t>(sequences) * frames, 1);
  std::vector<std::uint8_t> new_clip(sequences, 0);
  const float scale = 1.0f / static_cast<float>(sequences * frames);
  train::LossFn loss = [&](int, int count, const float* y, float* g) {
    const Eigen::Index n = static_cast<Eigen::Index>(count) * frames * O;
    Eigen::Map<const Eigen::ArrayXf> Y(y, n);
    Eigen::Map<Eigen::ArrayXf>(g, n) = (Y - 0.5f) * (2.0f * scale);
    return static_cast<double>((Y - 0.5f).square().sum()) * scale;
  };
  train::ChunkInput input{sequences, frames, D, features.data(), valid.data(), new_clip.data()};
  engine.train_step(input, loss);  // warm-up: buffers reach their size
  std::int64_t steps = 0;
  const std::clock_t cpu_start = std::clock();  // the whole process: all worker threads
  for (auto _ : state) {
    new_clip.assign(sequences, steps % 5 == 0);  // a new clip every 5 chunks, like the reference
    benchmark::DoNotOptimize(engine.train_step(input, loss));
    ++steps;
  }
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(steps) * sequences * frames, benchmark::Counter::kIsRate);
  const double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  state.counters["frames/cpu-s"] = static_cast<double>(steps) * sequences * frames / cpu;
  state.counters["threads"] = threads;
  state.counters["macs/frame"] = static_cast<double>(model.macs_per_frame());
}

// Each thread multiplies A by its own contiguous block of B's columns into its block of C: no sharing but A, which
// every thread only reads, so the figure is what the cores do together, as in the engine's per-shard products.
void BM_GemmPeak(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  constexpr int n = 1024;
  const Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n);
  const Eigen::MatrixXf b = Eigen::MatrixXf::Random(n, n);
  Eigen::MatrixXf c(n, n);
  auto block = [&](int t) {
    const int first = n * t / threads, count = n * (t + 1) / threads - first;
    c.middleCols(first, count).noalias() = a * b.middleCols(first, count);
  };
  for (auto _ : state) {
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(block, t);
    block(0);
    for (auto& t : pool) t.join();
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["flop/s"] = benchmark::Counter(2.0 * n * n * n * static_cast<double>(state.iterations()),
                                                benchmark::Counter::kIsRate);
  state.counters["threads"] = threads;
}

void BM_TrainStep(benchmark::State& state) { train_step(state, 250); }
void BM_TrainStep500(benchmark::State& state) { train_step(state, 500); }

BENCHMARK(BM_TrainStep)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);
BENCHMARK(BM_TrainStep500)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_GemmPeak)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
