// Cost of each training loss (value + gradient) on one step's worth of bins: 16 sequences x 500 frames x 257 bins,
// random spectra and gains in (0, 1). Frames per second here can be set against the engine's training rate
// (bench/train_bench.cpp): a loss much slower than the network would dominate training.
//   build/bench/loss_bench [--benchmark_filter=cmix]
#include <benchmark/benchmark.h>

#include <complex>
#include <random>
#include <vector>

#include "nnse/dsp/frontend_config.h"
#include "nnse/train/loss.h"

namespace {

void BM_Loss(benchmark::State& state, const std::string& name) {
  const int sequences = 16, frames = 500, bins = 257;
  const auto n = static_cast<std::size_t>(sequences) * frames * bins;
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::uniform_real_distribution<float> unit(0.01f, 0.99f);
  std::vector<std::complex<float>> noisy(n), clean(n);
  std::vector<float> gain(n), grad(n);
  for (std::size_t i = 0; i < n; ++i) {
    clean[i] = {normal(rng), normal(rng)};
    noisy[i] = clean[i] + std::complex<float>(normal(rng), normal(rng));
    gain[i] = unit(rng);
  }
  nnse::train::LossConfig config;
  config.name = name;
  const auto loss = nnse::train::make_loss(config, nnse::dsp::FrontendConfig{});
  nnse::train::LossBatch batch;
  batch.sequences = sequences;
  batch.frames = frames;
  batch.bins = bins;
  const auto noisy_rows = nnse::train::sequence_rows(noisy, sequences, frames, bins);
  const auto clean_rows = nnse::train::sequence_rows(clean, sequences, frames, bins);
  batch.noisy = noisy_rows.data();
  batch.clean = clean_rows.data();
  batch.gain = gain.data();
  batch.total_valid_frames = static_cast<double>(sequences) * frames;
  batch.total_sequences = sequences;
  for (auto _ : state) benchmark::DoNotOptimize(loss->evaluate(batch, grad.data()));
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * sequences * frames,
                                                  benchmark::Counter::kIsRate);
}

const bool registered = [] {
  for (const auto& name : nnse::train::loss_names()) {
    benchmark::RegisterBenchmark(("BM_Loss/" + name).c_str(), BM_Loss, name)->Unit(benchmark::kMillisecond);
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
