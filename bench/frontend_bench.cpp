// Front-end throughput on one core: DC removal + streaming STFT + features (+ log), frame by frame as the
// real-time path runs it. Reported as frames/s ("items_per_second") and as a multiple of real time
// ("x_realtime": frames/s divided by the frame rate, 100 frames = 1 s at the defaults).
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "nnse/dsp/fft.h"
#include "nnse/dsp/frame_fft.h"
#include "nnse/dsp/frontend.h"
#include "nnse/dsp/stft.h"

namespace {

using nnse::dsp::Complex;
using nnse::dsp::FeatureType;
using nnse::dsp::FrontendConfig;

std::vector<float> test_signal(std::size_t length) {
  std::mt19937 rng(1);
  std::normal_distribution<float> noise(0.0f, 0.05f);
  std::vector<float> x(length);
  for (std::size_t n = 0; n < length; ++n) {
    x[n] = 0.3f * static_cast<float>(std::sin(0.07 * static_cast<double>(n))) + noise(rng);
  }
  return x;
}

void run_frontend(benchmark::State& state, FeatureType type) {
  FrontendConfig config;
  config.feature_type = type;
  const auto hop = static_cast<std::size_t>(config.hop_length);
  const std::size_t frames = 1000;  // 10 s of audio, cycled
  const auto signal = test_signal(frames * hop);
  nnse::dsp::StreamingFrontend frontend(config);
  std::vector<Complex> bins(static_cast<std::size_t>(config.bins()));
  std::vector<float> features(static_cast<std::size_t>(config.feature_dim()));
  std::size_t t = 0;
  for (auto _ : state) {
    frontend.process_hop(std::span<const float>(signal).subspan((t % frames) * hop, hop), bins, features);
    benchmark::DoNotOptimize(features.data());
    benchmark::ClobberMemory();
    ++t;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["x_realtime"] =
      benchmark::Counter(static_cast<double>(state.iterations()) / config.frame_rate(), benchmark::Counter::kIsRate);
}

void BM_FrontendMel(benchmark::State& state) { run_frontend(state, FeatureType::mel); }
void BM_FrontendPspec(benchmark::State& state) { run_frontend(state, FeatureType::pspec); }
// melflat: mel plus a log10 per bin and a second filterbank pass (the flatness).
void BM_FrontendMelflat(benchmark::State& state) { run_frontend(state, FeatureType::melflat); }

// Block mode as training uses it: whole 10 s signal -> [frames x 72] (DC + block STFT + mel + log).
void BM_BlockMel10s(benchmark::State& state) {
  const FrontendConfig config;
  const auto signal = test_signal(static_cast<std::size_t>(10 * config.sample_rate));
  std::int64_t frames = 0;
  for (auto _ : state) {
    const auto features = nnse::dsp::extract_features(signal, config);
    benchmark::DoNotOptimize(features.values.data());
    frames += features.frames;
  }
  state.SetItemsProcessed(frames);
  state.counters["x_realtime"] =
      benchmark::Counter(static_cast<double>(frames) / config.frame_rate(), benchmark::Counter::kIsRate);
}

// The front end's 512-point real FFT over 32 frames (a block of the block STFT): kissfft one frame at a time (the
// STFT's transform before issue 17; still RealFft) against FrameFft's batched transform. Items: frames.
template <class Fft, bool Many>
void run_fft(benchmark::State& state) {
  const FrontendConfig config;
  const auto n = static_cast<std::size_t>(config.fft_size), bins = static_cast<std::size_t>(config.bins());
  const std::size_t frames = 32;
  const auto signal = test_signal(frames * n);
  std::vector<Complex> out(frames * bins);
  Fft fft(config.fft_size);
  for (auto _ : state) {
    if constexpr (Many) {
      fft.forward_many(signal, out);
    } else {
      for (std::size_t f = 0; f < frames; ++f) fft.forward({signal.data() + f * n, n}, {out.data() + f * bins, bins});
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(frames));
}

void BM_Fft512Kiss(benchmark::State& state) { run_fft<nnse::dsp::RealFft, false>(state); }
void BM_Fft512FrameOne(benchmark::State& state) { run_fft<nnse::dsp::FrameFft, false>(state); }
void BM_Fft512FrameMany(benchmark::State& state) { run_fft<nnse::dsp::FrameFft, true>(state); }

}  // namespace

BENCHMARK(BM_Fft512Kiss);
BENCHMARK(BM_Fft512FrameOne);
BENCHMARK(BM_Fft512FrameMany);
BENCHMARK(BM_FrontendMel);
BENCHMARK(BM_FrontendPspec);
BENCHMARK(BM_FrontendMelflat);
BENCHMARK(BM_BlockMel10s)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
