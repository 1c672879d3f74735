// Real-time factor of the float enhancer (what `nnse enhance` runs) on one thread, reference architecture.
// Run: build/bench/enhance_bench   (the "rtf" counter is seconds of compute per second of audio; goal <= 0.002)
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>

#include "nnse/dsp/feature_stats.h"
#include "nnse/enhance/enhancer.h"
#include "nnse/nn/model.h"

namespace {

std::vector<float> noisy_signal(double seconds, int rate) {
  std::mt19937 rng(1);
  std::normal_distribution<float> noise(0.0f, 0.05f);
  std::vector<float> x(static_cast<std::size_t>(seconds * rate));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.3f * std::sin(0.05f * static_cast<float>(i)) + noise(rng);
  return x;
}

void BM_EnhanceReferenceArch(benchmark::State& state) {
  const nnse::dsp::FrontendConfig config;
  const auto model = nnse::nn::Model::from_file(std::string(NNSE_SOURCE_DIR) + "/nn_arch/def_se_nn_arch72_mel.txt", 1);
  const auto stats = nnse::dsp::FeatureStats::identity(config.feature_dim());
  const double seconds = 10.0;
  const auto x = noisy_signal(seconds, config.sample_rate);
  nnse::enhance::Enhancer enhancer(model, config, stats, {.block_frames = static_cast<int>(state.range(0))});
  std::vector<float> out;
  out.reserve(x.size() + 1024);
  for (auto _ : state) {
    enhancer.reset();
    out.clear();
    enhancer.process(x, out);
    enhancer.finish(out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["rtf"] = benchmark::Counter(seconds * static_cast<double>(state.iterations()),
                                             benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["x_realtime"] = benchmark::Counter(seconds * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EnhanceReferenceArch)->Arg(1)->Arg(100)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
