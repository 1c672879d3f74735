// nnse data: download corpora, and turn speech + noise corpora into training shards (library: nnse/data/).
//   nnse data --corpus CORPUS --split train --out data/shards
//   nnse data --speech DIR --noise DIR [--rir DIR] --split all --out DIR
//   nnse data --download librispeech-dev-clean --download musan --data-dir DIR [--mirror URL]
//   nnse data --verify DIR
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli/mix_options.h"
#include "cli/option_checks.h"
#include "cli/subcommand.h"
#include "nnse/audio/audio_io.h"
#include "nnse/data/clip_source.h"
#include "nnse/data/download.h"
#include "nnse/data/shard.h"
#include "nnse/util/error.h"

namespace nnse::cli {
namespace {
namespace fs = std::filesystem;

volatile std::sig_atomic_t interrupted = 0;
void on_interrupt(int) { interrupted = 1; }

struct DataCliOptions {
  std::string corpus, speech, noise, rir;
  std::string split = "train";
  std::string out;
  data::MixConfig mix;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::size_t records_per_shard = 32;
  std::string sample_format = "int16";
  std::size_t max_clips = 0;
  std::size_t cache_mb = 1024;
  std::size_t preview = 0;
  std::vector<std::string> download;
  std::string data_dir;
  std::string mirror;
  bool keep_archive = false;
  bool list_downloads = false;
  std::string verify;
};

void list_downloads() {
  for (const auto& entry : data::download_table()) {
    std::printf("%-28s %8.2f GB  sha256 %s  %s\n", entry.name.c_str(), static_cast<double>(entry.size) / 1e9,
                entry.sha256.empty() ? "(not published; size + md5 verified)" : "verified", entry.description.c_str());
  }
}

void run_downloads(const DataCliOptions& o) {
  if (o.data_dir.empty()) throw Error("--download", "needs --data-dir DIR (where the corpora go)");
  data::DownloadOptions options;
  options.mirror = data::resolve_mirror(o.mirror);
  options.keep_archive = o.keep_archive;
  for (const auto& name : o.download) {
    const auto& entry = data::find_download(name);
    const auto result = data::fetch_dataset(entry, o.data_dir, options);
    std::printf("%s: %s %s\n", entry.name.c_str(), result.already_present ? "already in" : "extracted to",
                result.folder.c_str());
  }
}

void verify_folder(const fs::path& folder) {
  std::vector<fs::path> splits;
  if (fs::exists(folder / "index.json")) splits.push_back(folder);
  for (const char* split : {"train", "valid", "test"}) {
    if (fs::exists(folder / split / "index.json")) splits.push_back(folder / split);
  }
  if (splits.empty()) throw Error(folder, "no index.json here or in train/, valid/, test/");
  for (const auto& split : splits) {
    const data::ShardClipSource source(split, true);
    std::printf("%s: OK, %zu clips in %zu shards, every record checksum verified\n", split.c_str(), source.size(),
                source.shard_count());
  }
}

void write_preview(const data::Mixer& mixer, const fs::path& folder, std::size_t count) {
  const int rate = mixer.config().frontend.sample_rate;
  for (std::size_t i = 0; i < std::min(count, mixer.size()); ++i) {
    const data::Clip clip = mixer.make(i, 0);
    const std::string stem = fmt::format("clip-{:05}", i);
    audio::write_wav16(folder / (stem + "-noisy.wav"), clip.noisy, rate);
    audio::write_wav16(folder / (stem + "-clean.wav"), clip.clean, rate);
  }
  std::printf("  preview: %zu noisy/clean WAV pairs in %s\n", std::min(count, mixer.size()), folder.c_str());
}

void run_data(const DataCliOptions& o) {
  if (o.list_downloads) {
    list_downloads();
    return;
  }
  if (!o.verify.empty()) {
    verify_folder(o.verify);
    return;
  }
  if (!o.download.empty()) run_downloads(o);
  data::CorpusSources sources;
  sources.corpus = o.corpus;
  sources.speech = o.speech;
  sources.noise = o.noise;
  sources.rir = o.rir;
  if (o.corpus.empty() && o.speech.empty() && o.noise.empty() && !o.data_dir.empty()) sources.corpus = o.data_dir;
  if (o.out.empty()) {
    if (!o.download.empty()) return;  // download only
    throw Error("--out", "is required (the folder the shards go to)");
  }
  if (sources.corpus.empty() && (sources.speech.empty() || sources.noise.empty())) {
    throw Error("--corpus", "give --corpus DIR, or --speech DIR and --noise DIR");
  }
  o.mix.validate();
  const auto format = data::sample_format_from_string(o.sample_format);
  auto skipped = std::make_shared<data::SkipLog>();
  auto corpus = std::make_shared<data::Corpus>(sources, o.mix.frontend.sample_rate, skipped, o.threads);
  auto cache = std::make_shared<data::AudioCache>(o.mix.frontend.sample_rate, o.mix.frontend.dc_pole,
                                                  o.mix.frontend.dc_removal, o.cache_mb << 20, skipped);
  interrupted = 0;
  auto previous = std::signal(SIGINT, &on_interrupt);
  auto previous_term = std::signal(SIGTERM, &on_interrupt);
  struct Restore {
    decltype(previous) a, b;
    ~Restore() {
      std::signal(SIGINT, a);
      std::signal(SIGTERM, b);
    }
  } restore{previous, previous_term};

  bool all_complete = true;
  for (const data::Split split : data::splits_from_option(o.split)) {
    const data::Mixer mixer(corpus, split, o.mix, cache);
    const fs::path folder = fs::path(o.out) / data::to_string(split);
    std::printf("%s: %zu clips of %.1f s (%zu noise types x %zu; %zu speech files per type), %zu RIRs%s -> %s\n",
                data::to_string(split).c_str(), mixer.size(), o.mix.clip_seconds, mixer.noise_types().size(),
                mixer.clips_per_type(), mixer.speech_per_type(), corpus->files(split).rir.size(),
                corpus->files(split).rir.empty() && o.mix.reverb_prob > 0 ? " (no reverberation in this split)" : "",
                folder.c_str());
    std::fflush(stdout);
    data::ShardJobOptions job;
    job.out = folder;
    job.records_per_shard = o.records_per_shard;
    job.format = format;
    job.threads = o.threads;
    job.max_clips = o.max_clips;
    job.should_stop = [] { return interrupted != 0; };
    const auto result = data::write_shards(mixer, job);
    if (!result.complete) {
      all_complete = false;
      std::printf("%s: interrupted after %zu new shards; every shard on disk is complete. Run the same command again "
                  "to resume.\n",
                  data::to_string(split).c_str(), result.written);
      break;
    }
    const double hours = static_cast<double>(std::min(mixer.size(), o.max_clips ? o.max_clips : mixer.size())) *
                         o.mix.clip_seconds / 3600.0;
    std::printf("%s: done, %zu shards (%zu written, %zu already complete, %zu replaced), %.2f h of audio", 
                data::to_string(split).c_str(), result.shards, result.written, result.reused, result.replaced, hours);
    if (result.written > 0) std::printf(", %.0fx real time", result.audio_seconds / std::max(result.wall_seconds, 1e-9));
    std::printf("\n");
    if (o.preview > 0) write_preview(mixer, folder / "preview", o.preview);
    std::fflush(stdout);
  }
  const auto skipped_files = skipped->entries();
  std::printf("skipped %zu unreadable corpus file%s%s\n", skipped_files.size(), skipped_files.size() == 1 ? "" : "s",
              skipped_files.empty() ? "" : " (each reported above; listed in index.json)");
  for (const auto& [file, reason] : skipped_files) std::printf("  skipped %s: %s\n", file.c_str(), reason.c_str());
  if (!all_complete) throw Error(o.out, "interrupted; the shards written so far are kept, run again to resume");
}

void setup_data(CLI::App& parent) {
  auto o = std::make_shared<DataCliOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "data",
      "Make training shards: noisy/clean clips mixed from speech and noise corpora (deterministic from --seed), "
      "written as checksummed shards to OUT/<split>/ (resumable); or download corpora (--download)");
  cmd->add_option(flag("corpus"), o->corpus,
                  "Corpus folder with MANIFEST.tsv (e.g. the starter corpus), or a --data-dir holding LibriSpeech/ and "
                  "musan/");
  cmd->add_option(flag("speech"), o->speech, "Speech folder (plain, LibriSpeech layout, or with MANIFEST.tsv)");
  cmd->add_option(flag("noise"), o->noise, "Noise folder (plain, MUSAN layout, or with MANIFEST.tsv)");
  cmd->add_option(flag("rir"), o->rir, "Room impulse responses folder (optional)");
  cmd->add_option(flag("split"), o->split, "train, valid, test or all")
      ->check(CLI::IsMember({"train", "valid", "test", "all"}))
      ->capture_default_str();
  cmd->add_option(flag("out"), o->out, "Output folder: shards go to OUT/<split>/ with an index.json");
  cmd->add_option(flag("seed"), o->mix.seed, "Seed: the same seed and corpus give byte-identical shards")
      ->capture_default_str();
  cmd->add_option(flag("datasize-noise"), o->mix.datasize_noise,
                  "Speech files drawn per noise type (train; valid and test use N/5), -1 = all (reference 2.4)")
      ->check(finite_in(-1, 1e12))
      ->capture_default_str();
  cmd->add_option(flag("clip-seconds"), o->mix.clip_seconds, "Clip length in seconds (at least one 30 ms frame)")->check(clip_seconds())->capture_default_str();
  cmd->add_option(flag("eq-db"), o->mix.coloration.max_db, "Augmentation: random peaking-EQ coloration of training speech and noise, each band up to +-N dB (train split only; 0: off)")
      ->check(finite_in(0, 24))
      ->capture_default_str();
  cmd->add_option(flag("reverb-prob"), o->mix.reverb_prob, "Share of clips reverberated with an RIR of the split")
      ->check(finite_in(0, 1))
      ->capture_default_str();
  add_snr_option(*cmd, o->mix.snr_db);
  cmd->add_option(flag("threads"), o->threads, "Worker threads")->check(thread_count())->capture_default_str();
  cmd->add_option(flag("records-per-shard"), o->records_per_shard, "Clips per shard file")->check(finite_in(1, 1e6))->capture_default_str();
  cmd->add_option(flag("sample-format"), o->sample_format, "Stored samples: int16 or float32")
      ->check(CLI::IsMember({"int16", "float32"}))
      ->capture_default_str();
  cmd->add_option(flag("max-clips"), o->max_clips, "Write only the first N clips of each split (0 = all)")
      ->capture_default_str();
  cmd->add_option(flag("cache-mb"), o->cache_mb, "Memory for decoded corpus audio")->capture_default_str();
  cmd->add_option(flag("preview"), o->preview, "Also write the first N clips of each split as WAV pairs")
      ->capture_default_str();
  cmd->add_option(flag("download"), o->download,
                  "Download and extract a corpus into --data-dir (repeatable): librispeech-train-clean-100, "
                  "librispeech-train-clean-360, librispeech-dev-clean, librispeech-test-clean, musan");
  cmd->add_option(flag("data-dir"), o->data_dir, "Folder for downloaded corpora (and the corpus when no --corpus)");
  cmd->add_option(flag("mirror"), o->mirror, "Base URL instead of https://www.openslr.org (or env NNSE_MIRROR)");
  cmd->add_flag(flag("keep-archive"), o->keep_archive, "Keep the downloaded archive after extraction");
  cmd->add_flag(flag("list-downloads"), o->list_downloads, "List the downloadable corpora");
  cmd->add_option(flag("verify"), o->verify, "Check every shard and record checksum of a `nnse data` output folder");
  cmd->callback([o] { run_data(*o); });
}

const Registration registration{"data", 20, &setup_data};

}  // namespace
}  // namespace nnse::cli
