// Cost of each training loss (value + gradient) on one step's worth of bins: 16 sequences x 500 frames x 257 bins,
// the STFTs of random clean and noisy signals, gains in (0, 1). BM_LossSignals/<time-domain loss>: the same with
// the time signals passed along (LossBatch::noisy_signal, as `nnse train` does). Frames per second here can be set against the engine's training rate
// (bench/train_bench.cpp): a loss much slower than the network would dominate training.
//   build/bench/loss_bench [--benchmark_filter=cmix]
#include <benchmark/benchmark.h>

#include <complex>
#include <random>
#include <vector>

#include "nnse/dsp/frontend_config.h"
#include "nnse/dsp/stft.h"
#include "nnse/train/loss.h"

namespace {

void BM_Loss(benchmark::State& state, const std::string& name, bool signals) {
  const nnse::dsp::FrontendConfig frontend;
  const int sequences = 16, frames = 500, bins = frontend.bins();
  const auto per_sequence = static_cast<std::size_t>(frames) * static_cast<std::size_t>(bins);
  const auto samples = static_cast<std::size_t>(frames) * static_cast<std::size_t>(frontend.hop_length);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::uniform_real_distribution<float> unit(0.01f, 0.99f);
  std::vector<std::complex<float>> noisy, clean;
  std::vector<std::vector<float>> noisy_signals, clean_signals;
  for (int s = 0; s < sequences; ++s) {
    std::vector<float> x(samples), y(samples);
    for (std::size_t i = 0; i < samples; ++i) {
      x[i] = normal(rng);
      y[i] = x[i] + normal(rng);
    }
    const auto cs = nnse::dsp::stft(x, frontend), ns = nnse::dsp::stft(y, frontend);
    clean.insert(clean.end(), cs.values.begin(), cs.values.end());
    noisy.insert(noisy.end(), ns.values.begin(), ns.values.end());
    clean_signals.push_back(std::move(x));
    noisy_signals.push_back(std::move(y));
  }
  std::vector<float> gain(per_sequence * sequences), grad(gain.size());
  for (float& g : gain) g = unit(rng);
  nnse::train::LossConfig config;
  config.name = name;
  const auto loss = nnse::train::make_loss(config, frontend);
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
  std::vector<const float*> noisy_from, clean_from;
  for (int s = 0; s < sequences; ++s) {
    noisy_from.push_back(noisy_signals[static_cast<std::size_t>(s)].data());
    clean_from.push_back(clean_signals[static_cast<std::size_t>(s)].data());
  }
  if (signals) {
    batch.noisy_signal = noisy_from.data();
    batch.clean_signal = clean_from.data();
  }
  for (auto _ : state) benchmark::DoNotOptimize(loss->evaluate(batch, grad.data()));
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * sequences * frames,
                                                  benchmark::Counter::kIsRate);
}

const bool registered = [] {
  for (const auto& name : nnse::train::loss_names()) {
    benchmark::RegisterBenchmark(("BM_Loss/" + name).c_str(), BM_Loss, name, false)->Unit(benchmark::kMillisecond);
    if (nnse::train::make_loss({name}, nnse::dsp::FrontendConfig{})->uses_signals()) {
      benchmark::RegisterBenchmark(("BM_LossSignals/" + name).c_str(), BM_Loss, name, true)->Unit(benchmark::kMillisecond);
    }
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
