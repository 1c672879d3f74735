// Data pipeline throughput, in x real time (seconds of 16 kHz audio produced per second of wall time):
//   BM_MixAndWriteShards/2   mixing + int16 shard writing (atomic, fsync'ed) on 2 threads, 25 s clips
//   BM_Mix/1                 one thread mixing 25 s clips (what on-the-fly training costs per loader thread)
//   BM_MixReverb/1           the same with every clip reverberated (FFT convolution with a 1 s RIR)
//   BM_ShardRead/1           one thread reading clips back from shards (CRC check + int16 -> float)
//   BM_Prefetch/2            ClipPrefetcher over on-the-fly mixing, 2 workers
//   BM_FormantWarp           --formant-warp on 10 s of speech (alpha 1.1), against its peer in the same run:
//   BM_SpeedPerturb          --speed-perturb's resampling of the same 10 s (speed 1.1), the other voice augmentation
// Corpus: the starter corpus (docs/reference-facts.md section 6; train split) when present, otherwise a synthetic one made in /tmp. Decoded audio is
// cached across iterations (steady state of a long run; a cold end-to-end run is in docs/perf-data.md).
// Run: build/bench/data_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numbers>
#include <random>

#include "nnse/audio/audio_io.h"
#include "nnse/audio/resample.h"
#include "nnse/data/clip_source.h"
#include "nnse/data/formant_warp.h"
#include "nnse/data/mixer.h"
#include "nnse/data/shard.h"

namespace {

using namespace nnse;
namespace fs = std::filesystem;

fs::path scratch_root() {
  static const fs::path root = fs::temp_directory_path() / ("nnse-data-bench-" + std::to_string(::getpid()));
  return root;
}

// Holds its own copy of the path: scratch_root()'s static may be destroyed first at exit.
struct Cleanup {
  fs::path root = scratch_root();
  ~Cleanup() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
} cleanup;

// A manifest-layout corpus of speech-like harmonic bursts, noise and RIRs (used without the starter corpus).
fs::path synthetic_corpus() {
  const fs::path root = scratch_root() / "corpus";
  if (fs::exists(root / "MANIFEST.tsv")) return root;
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  fs::create_directories(root);
  std::ofstream m(root / "MANIFEST.tsv");
  m << "path\tkind\tsource\tspeaker_or_group\tlicense\tduration_s\n";
  for (int i = 0; i < 200; ++i) {
    const double seconds = 2.0 + (i % 7) * 0.5;
    std::vector<float> x(static_cast<std::size_t>(seconds * 16000));
    const double f0 = 100.0 + 10.0 * (i % 12);
    for (std::size_t n = 0; n < x.size(); ++n) {
      const double t = static_cast<double>(n) / 16000.0;
      double v = 0;
      for (int h = 1; h < 20; ++h) v += std::sin(2 * std::numbers::pi * h * f0 * t) / h;
      x[n] = static_cast<float>(0.1 * v * std::max(0.0, std::sin(2 * std::numbers::pi * 3.0 * t)));
    }
    const std::string rel = "speech/s/u" + std::to_string(i) + ".wav";
    fs::create_directories((root / rel).parent_path());
    audio::write_wav16(root / rel, x, 16000);
    m << rel << "\tspeech\tsynthetic\ts\tCC0\t" << seconds << "\n";
  }
  for (int i = 0; i < 20; ++i) {
    std::vector<float> x(static_cast<std::size_t>((i < 10 ? 60.0 : 0.3) * 16000));
    for (auto& v : x) v = 0.1f * normal(rng);
    const std::string rel = std::string(i < 10 ? "noise/long/n" : "noise/keys/k") + std::to_string(i) + ".wav";
    fs::create_directories((root / rel).parent_path());
    audio::write_wav16(root / rel, x, 16000);
    m << rel << "\tnoise\tsynthetic\tg\tCC0\t" << static_cast<double>(x.size()) / 16000.0 << "\n";
  }
  for (int i = 0; i < 3; ++i) {
    std::vector<float> h(16000);
    h[20] = 1.0f;
    for (std::size_t n = 40; n < h.size(); ++n) h[n] = 0.2f * normal(rng) * std::exp(-static_cast<float>(n) / 2400.0f);
    const std::string rel = "rir/r/r" + std::to_string(i) + ".wav";
    fs::create_directories((root / rel).parent_path());
    audio::write_wav16(root / rel, h, 16000);
    m << rel << "\trir\tsynthetic\tr\tCC0\t1.0\n";
  }
  return root;
}

fs::path bench_corpus() {
  const fs::path shared = fs::path(NNSE_SOURCE_DIR) / ".." / "shared" / "corpus";
  if (fs::exists(shared / "MANIFEST.tsv")) return fs::weakly_canonical(shared);
  return synthetic_corpus();
}

std::shared_ptr<data::Mixer> mixer(double reverb_prob) {
  static std::shared_ptr<data::Corpus> corpus;
  static std::shared_ptr<data::AudioCache> cache;
  if (!corpus) {
    corpus = std::make_shared<data::Corpus>(data::CorpusSources{.corpus = bench_corpus()}, 16000,
                                            std::make_shared<data::SkipLog>(), 2);
    cache = std::make_shared<data::AudioCache>(16000, data::MixConfig{}.frontend.dc_pole, true, std::size_t{1} << 30,
                                               corpus->skipped());
  }
  data::MixConfig config;
  config.reverb_prob = reverb_prob;
  return std::make_shared<data::Mixer>(corpus, data::Split::train, config, cache);
}

void set_rate(benchmark::State& state, std::size_t clips, double clip_seconds) {
  state.counters["x_realtime"] =
      benchmark::Counter(static_cast<double>(clips) * clip_seconds, benchmark::Counter::kIsRate);
  state.counters["clips_per_s"] = benchmark::Counter(static_cast<double>(clips), benchmark::Counter::kIsRate);
}

void BM_MixAndWriteShards(benchmark::State& state) {
  const auto m = mixer(0.2);
  for (std::size_t i = 0; i < 64; ++i) (void)m->make(i);  // decode the files once (the cache's steady state)
  const std::size_t clips = 64;
  std::size_t total = 0, run = 0;
  for (auto _ : state) {
    const fs::path out = scratch_root() / ("shards-" + std::to_string(run++));
    data::ShardJobOptions options;
    options.out = out;
    options.records_per_shard = 16;
    options.threads = static_cast<int>(state.range(0));
    options.max_clips = clips;
    const auto result = data::write_shards(*m, options);
    if (!result.complete) state.SkipWithError("incomplete");
    total += clips;
    state.PauseTiming();
    fs::remove_all(out);
    state.ResumeTiming();
  }
  set_rate(state, total, m->config().clip_seconds);
}

void mix_loop(benchmark::State& state, double reverb_prob) {
  const auto m = mixer(reverb_prob);
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(m->make(i++ % m->size()));
  set_rate(state, i, m->config().clip_seconds);
}
void BM_Mix(benchmark::State& state) { mix_loop(state, 0.2); }
void BM_MixReverb(benchmark::State& state) { mix_loop(state, 1.0); }

void BM_ShardRead(benchmark::State& state) {
  const auto m = mixer(0.2);
  const fs::path out = scratch_root() / "read";
  if (!fs::exists(out / "index.json")) {
    data::ShardJobOptions options;
    options.out = out;
    options.threads = 2;
    options.max_clips = 64;
    data::write_shards(*m, options);
  }
  const data::ShardClipSource source(out);
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(source.get(i++ % source.size(), 0));
  set_rate(state, i, m->config().clip_seconds);
}

void BM_Prefetch(benchmark::State& state) {
  auto source = std::make_shared<data::OnTheFlyClipSource>(mixer(0.2));
  std::size_t total = 0;
  int epoch = 0;
  for (auto _ : state) {
    std::vector<std::size_t> order(32);
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = k * 7 % source->size();
    data::ClipPrefetcher prefetcher(source, order, epoch++, static_cast<int>(state.range(0)), 8);
    data::Clip clip;
    while (prefetcher.next(clip)) ++total;
  }
  set_rate(state, total, source->mixer().config().clip_seconds);
}

// 10 s of a vowel-like test signal (a 140 Hz pulse train through two resonances): what one training clip's speech
// costs the augmentation.
std::vector<float> ten_seconds_of_voice() {
  std::vector<float> x(160000, 0.0f);
  for (std::size_t i = 0; i < x.size(); i += 114) x[i] = 0.5f;
  for (const double f : {700.0, 1900.0}) {
    const double r = 0.97, w = 2.0 * std::numbers::pi * f / 16000.0, a1 = -2.0 * r * std::cos(w), a2 = r * r;
    double y1 = 0.0, y2 = 0.0;
    for (auto& v : x) {
      const double y = v - a1 * y1 - a2 * y2;
      y2 = y1;
      y1 = y;
      v = static_cast<float>(0.05 * y);
    }
  }
  return x;
}

// Times `augment` on the 10 s voice, in clips of 10 s per second.
template <class Augment>
void time_on_voice(benchmark::State& state, Augment augment) {
  const std::vector<float> x = ten_seconds_of_voice();
  std::size_t n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(augment(x));
    ++n;
  }
  set_rate(state, n, 10.0);
}

void BM_FormantWarp(benchmark::State& state) {
  time_on_voice(state, [](const std::vector<float>& x) { return data::warp_formants(x, 1.1, 16000); });
}

void BM_SpeedPerturb(benchmark::State& state) {
  time_on_voice(state, [](const std::vector<float>& x) { return audio::resample(x, 17600, 16000); });
}

BENCHMARK(BM_MixAndWriteShards)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);
BENCHMARK(BM_Mix)->Arg(1)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_MixReverb)->Arg(1)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_ShardRead)->Arg(1)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_Prefetch)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);
BENCHMARK(BM_FormantWarp)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_SpeedPerturb)->Unit(benchmark::kMillisecond)->MinTime(1.0);

}  // namespace

BENCHMARK_MAIN();
