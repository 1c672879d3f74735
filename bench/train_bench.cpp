// GCC 12 reports -W(maybe-)uninitialized inside its own AVX-512 intrinsics when Eigen's packet code is inlined
// (a known false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
// Training throughput of the engine on the reference arch (nn_arch/def_se_nn_arch72_mel.txt): one train_step
// per iteration on a batch of 32 sequences x 250 frames of synthetic normalized features, MSE loss against a
// fixed target, dropout and Adam as in training. Frames per second = 32 * 250 / step time. Compare with
// bench/torch_train_peer.py (same model, batch, chunk); bench/run_train_bench.sh runs both.
//   BM_TrainStep/<threads>        batch 32 x 250 frames
//   BM_TrainStep500/<threads>     batch 32 x 500 frames (the reference's chunk; used for the peak-RSS check)
#include <benchmark/benchmark.h>

#include <Eigen/Core>

#include <ctime>
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
}

void BM_TrainStep(benchmark::State& state) { train_step(state, 250); }
void BM_TrainStep500(benchmark::State& state) { train_step(state, 500); }

BENCHMARK(BM_TrainStep)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);
BENCHMARK(BM_TrainStep500)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
