#include "nnse/train/training_data.h"

#include <cmath>
#include <fmt/format.h>
#include <utility>

#include "nnse/data/audio_cache.h"
#include "nnse/data/corpus.h"
#include "nnse/data/skip_log.h"
#include "nnse/util/error.h"

namespace nnse::train {
namespace fs = std::filesystem;

ClipSet clip_set_from(std::shared_ptr<const data::ClipSource> source, std::string description) {
  ClipSet set;
  set.size = source->size();
  set.description = std::move(description);
  set.recipe = source->recipe();
  set.clip_samples = source->clip_samples();
  set.get = [source](std::size_t index, int epoch) { return source->get(index, epoch); };
  return set;
}

std::filesystem::path shard_split_folder(const std::filesystem::path& data_dir, const std::string& split) {
  if (std::filesystem::exists(data_dir / split / "index.json")) return data_dir / split;
  if (std::filesystem::exists(data_dir / "index.json")) return data_dir;
  if (!std::filesystem::is_directory(data_dir)) throw Error(data_dir, "no such data folder");
  throw Error(data_dir, "no shards of split '" + split + "' here (expected " + (data_dir / split / "index.json").string() +
                            "; make them with `nnse data --out " + data_dir.string() + "`)");
}

namespace {

void check_rate(const data::ClipSource& source, const std::string& where, const dsp::FrontendConfig& frontend) {
  if (source.sample_rate() != frontend.sample_rate) {
    throw Error(where, fmt::format("clips are at {} Hz, the front end expects {} Hz", source.sample_rate(),
                                   frontend.sample_rate));
  }
}

ClipSet shard_set(const fs::path& folder, const dsp::FrontendConfig& frontend) {
  auto source = std::make_shared<data::ShardClipSource>(folder);
  check_rate(*source, folder.string(), frontend);
  return clip_set_from(source, "shards in " + folder.string());
}

data::MixConfig mix_config(const DataChoice& choice, const dsp::FrontendConfig& frontend) {
  data::MixConfig config;
  config.seed = choice.seed;
  config.datasize_noise = choice.datasize_noise;
  config.clip_seconds = choice.clip_seconds;
  config.coloration.max_db = choice.eq_db;
  config.speed_perturb = choice.speed_perturb;
  config.formant_warp = choice.formant_warp;
  config.sim_room_prob = choice.sim_room_prob;
  config.babble_prob = choice.babble_prob;
  if (!choice.snr_db.empty()) config.snr_db = choice.snr_db;
  if (choice.reverb_prob) config.reverb_prob = *choice.reverb_prob;
  if (choice.peak_dbfs) {
    config.min_peak = std::pow(10.0, choice.peak_dbfs->first / 20.0);
    config.max_peak = std::pow(10.0, choice.peak_dbfs->second / 20.0);
    config.peak_uniform_in_db = true;
  }
  if (choice.target_late_decay_db_per_s) config.rir.extra_decay_db_per_second = *choice.target_late_decay_db_per_s;
  config.frontend = frontend;
  if (choice.raw_audio) config.frontend.dc_removal = false;
  return config;
}

// The corpus and its decoded-audio cache, shared by the mixers of every split a command reads (one budget).
struct MixingContext {
  std::shared_ptr<const data::Corpus> corpus;
  std::shared_ptr<data::AudioCache> cache;
};

MixingContext mixing_context(const DataChoice& choice, const data::MixConfig& config) {
  data::CorpusSources sources;
  sources.corpus = choice.corpus;
  sources.more_corpora = choice.more_corpora;
  auto skipped = std::make_shared<data::SkipLog>();
  MixingContext context;
  context.corpus = std::make_shared<data::Corpus>(sources, config.frontend.sample_rate, skipped, choice.threads);
  context.cache = std::make_shared<data::AudioCache>(config.frontend.sample_rate, config.frontend.dc_pole,
                                                     config.frontend.dc_removal, choice.cache_mb << 20, skipped);
  return context;
}

ClipSet mixed_set(const DataChoice& choice, const MixingContext& context, data::Split split,
                  const data::MixConfig& config) {
  auto mixer = std::make_shared<data::Mixer>(context.corpus, split, config, context.cache);
  auto source = std::make_shared<data::OnTheFlyClipSource>(std::move(mixer));
  std::string where = choice.corpus.string();
  for (const auto& more : choice.more_corpora) where += " + " + more.string();
  ClipSet set = clip_set_from(source, "mixtures of " + where + " (" + data::to_string(split) + " split)");
  set.dc_removed = config.frontend.dc_removal;
  return set;
}

}  // namespace

TrainingData open_training_data(const DataChoice& choice, const dsp::FrontendConfig& frontend) {
  TrainingData result;
  if (!choice.data.empty() && choice.on_the_fly) {
    throw Error("--on-the-fly", "use either --data (shards) or --corpus with --on-the-fly");
  }
  if (!choice.on_the_fly) {
    // Shards were mixed once by `nnse data`: an augmentation asked for here would silently do nothing.
    const std::pair<const char*, bool> augmentations[] = {
        {"--eq-db", choice.eq_db > 0.0},           {"--speed-perturb", choice.speed_perturb > 0.0},
        {"--formant-warp", choice.formant_warp > 0.0}, {"--sim-room-prob", choice.sim_room_prob > 0.0},
        {"--babble-prob", choice.babble_prob > 0.0}};
    for (const auto& [flag, given] : augmentations) {
      if (given) throw Error(flag, "augments clips as they are mixed, and shards (--data) were mixed once: give --corpus DIR --on-the-fly");
    }
  }
  if (!choice.data.empty()) {
    result.train = shard_set(shard_split_folder(choice.data, "train"), frontend);
  } else if (choice.on_the_fly) {
    if (choice.corpus.empty()) throw Error("--on-the-fly", "needs --corpus DIR");
    const data::MixConfig config = mix_config(choice, frontend);
    const MixingContext context = mixing_context(choice, config);
    result.train = mixed_set(choice, context, data::Split::train, config);
    result.train.description += ", new mixtures every epoch";
    if (!choice.no_valid && choice.valid_data.empty()) {
      // Same recipe; the mixer itself draws N/5 speech files for the held-out splits (reference 2.4).
      result.valid = mixed_set(choice, context, data::Split::valid, config);
    }
  } else {
    throw Error("nnse train", "no training data: give --data DIR (from `nnse data`) or --corpus DIR --on-the-fly");
  }
  if (!choice.no_valid && !result.valid) {
    if (!choice.valid_data.empty()) {
      result.valid = shard_set(shard_split_folder(choice.valid_data, "valid"), frontend);
    } else if (!choice.data.empty() && fs::exists(choice.data / "valid" / "index.json")) {
      result.valid = shard_set(choice.data / "valid", frontend);
    }
  }
  return result;
}

ClipSet open_split_data(const DataChoice& choice, const std::string& split, const dsp::FrontendConfig& frontend,
                        std::size_t max_clips) {
  ClipSet set;
  if (!choice.data.empty()) {
    set = shard_set(shard_split_folder(choice.data, split), frontend);
  } else if (!choice.corpus.empty()) {
    data::MixConfig config = mix_config(choice, frontend);
    set = mixed_set(choice, mixing_context(choice, config), data::split_from_string(split), config);
  } else {
    throw Error("--data", "give --data DIR (shards from `nnse data`) or --corpus DIR");
  }
  if (max_clips > 0 && set.size > max_clips) set.size = max_clips;
  if (set.size == 0) throw Error(set.description, "no clips");
  return set;
}

ClipSet open_snr_sweep(const DataChoice& choice, const std::string& split, const dsp::FrontendConfig& frontend,
                       const std::vector<double>& snrs, std::size_t max_clips) {
  if (choice.corpus.empty()) throw Error("--snr-sweep", "needs --corpus DIR (shards have their SNRs fixed)");
  if (snrs.empty()) throw Error("--snr-sweep", "the SNR list is empty");
  data::MixConfig config = mix_config(choice, frontend);
  config.snr_db = {snrs.front()};
  const MixingContext context = mixing_context(choice, config);
  std::vector<ClipSet> sets;
  for (const double snr : snrs) {
    // One draw from a one-element list: every other draw of a clip, and so the clip, is the same at every SNR.
    config.snr_db = {snr};
    sets.push_back(mixed_set(choice, context, data::split_from_string(split), config));
    if (max_clips > 0 && sets.back().size > max_clips) sets.back().size = max_clips;
  }
  ClipSet sweep;
  const std::size_t per_snr = sets.front().size;
  if (per_snr == 0) throw Error(sets.front().description, "no clips");
  sweep.size = per_snr * sets.size();
  sweep.dc_removed = sets.front().dc_removed;
  sweep.description = sets.front().description + fmt::format(", each clip at {} SNRs", snrs.size());
  sweep.get = [sets, per_snr](std::size_t index, int epoch) { return sets[index / per_snr].get(index % per_snr, epoch); };
  return sweep;
}

}  // namespace nnse::train
