#include "nnse/train/trainer.h"
#include "nnse/train/training_stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <cmath>
#include <cstring>
#include <limits>

#include "data/data_fixtures.h"
#include "nnse/data/clip_source.h"
#include "nnse/data/corpus.h"
#include "nnse/data/shard.h"
#include "nnse/model/checkpoint.h"
#include "nnse/util/atomic_file.h"
#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::train {
namespace {
namespace fs = std::filesystem;

// Small enough to train in milliseconds, but with every kind of carried state (conv1d history, lstm) and dropout.
const char* kTinyArch =
    "input_neurons 72\n"
    "dropprob 0.1\n"
    "layer_type conv1d\n"
    "num_filters 6\n"
    "kernel_size 3\n"
    "activation tanh\n"
    "dropprob 0.1\n"
    "layer_type lstm\n"
    "layer_neurons 6\n"
    "activation tanh\n"
    "dropprob 0.0\n"
    "layer_type fc\n"
    "layer_neurons 257\n"
    "activation sigmoid\n";

fs::path write_arch(const test::ScratchDir& dir, const std::string& text, const std::string& name = "def_tiny.txt") {
  const fs::path path = dir / name;
  write_file_atomic(path, text);
  return path;
}

// Speech-like target plus white noise; lengths vary so chunks end at different places.
ClipSet synthetic_clips(std::size_t count, std::uint32_t seed, float noise = 0.05f, bool poison = false) {
  ClipSet set;
  set.size = count;
  set.description = "synthetic";
  set.get = [seed, noise, poison](std::size_t index, int) {
    const double seconds = 0.2 + 0.05 * static_cast<double>((index * 7 + seed) % 6);
    data::Clip clip;
    clip.clean = test::speech_like(seconds, 16000, static_cast<std::uint32_t>(seed * 100 + index));
    clip.noisy = test::white_noise(clip.clean.size(), static_cast<std::uint32_t>(seed * 1000 + index), noise);
    for (std::size_t i = 0; i < clip.noisy.size(); ++i) clip.noisy[i] += clip.clean[i];
    if (poison) {
      for (std::size_t i = 0; i < clip.noisy.size(); i += 100) clip.noisy[i] = std::numeric_limits<float>::quiet_NaN();
    }
    clip.meta.snr_db = 5.0;
    return clip;
  };
  return set;
}

TrainOptions tiny_options(const fs::path& arch, const fs::path& models, int epochs, const std::string& loaded) {
  TrainOptions o;
  o.arch_file = arch;
  o.models_dir = models;
  o.epochs = epochs;
  o.epoch_loaded = model::EpochSelection::parse(loaded);
  o.batch_size = 3;
  o.chunk_frames = 16;
  o.threads = 1;
  o.seed = 7;
  o.learning_rate = 3e-3;
  return o;
}

void expect_bit_identical(const model::Checkpoint& a, const model::Checkpoint& b) {
  ASSERT_EQ(a.parameters.size(), b.parameters.size());
  for (std::size_t i = 0; i < a.parameters.size(); ++i) {
    const auto& x = a.parameters[i].value;
    const auto& y = b.parameters[i].value;
    ASSERT_EQ(x.size(), y.size());
    EXPECT_EQ(0, std::memcmp(x.data(), y.data(), static_cast<std::size_t>(x.size()) * sizeof(float)))
        << a.parameters[i].name;
    EXPECT_EQ(0, std::memcmp(a.adam.first_moment[i].data(), b.adam.first_moment[i].data(),
                             static_cast<std::size_t>(x.size()) * sizeof(float)));
    EXPECT_EQ(0, std::memcmp(a.adam.second_moment[i].data(), b.adam.second_moment[i].data(),
                             static_cast<std::size_t>(x.size()) * sizeof(float)));
  }
  EXPECT_EQ(a.adam.step, b.adam.step);
  EXPECT_EQ(a.rng_state, b.rng_state);
  ASSERT_EQ(a.train_loss.size(), b.train_loss.size());
  EXPECT_EQ(0, std::memcmp(a.train_loss.data(), b.train_loss.data(), a.train_loss.size() * sizeof(double)));
  EXPECT_EQ(0, std::memcmp(a.valid_loss.data(), b.valid_loss.data(), a.valid_loss.size() * sizeof(double)));
  EXPECT_EQ(a.feature_mean, b.feature_mean);
  EXPECT_EQ(a.feature_inv_std, b.feature_inv_std);
}

TEST(Trainer, ResumeReproducesTheUninterruptedRunBitForBit) {
  test::ScratchDir dir;
  const fs::path arch = write_arch(dir, kTinyArch);
  const ClipSet train_clips = synthetic_clips(7, 1);
  const ClipSet valid_clips = synthetic_clips(3, 2);

  const TrainResult whole = train(tiny_options(arch, dir / "a", 3, "random"), train_clips, &valid_clips);
  ASSERT_EQ(whole.status, TrainResult::Status::completed);
  ASSERT_EQ(whole.epochs.size(), 3u);
  EXPECT_EQ(whole.model_dir, dir / "a" / "tiny");

  const TrainResult first = train(tiny_options(arch, dir / "b", 2, "random"), train_clips, &valid_clips);
  ASSERT_EQ(first.epochs.size(), 2u);
  const TrainResult resumed = train(tiny_options(arch, dir / "b", 3, "latest"), train_clips, &valid_clips);
  ASSERT_EQ(resumed.status, TrainResult::Status::completed);
  EXPECT_EQ(resumed.first_epoch, 2);
  ASSERT_EQ(resumed.epochs.size(), 1u);
  EXPECT_EQ(resumed.epochs[0].epoch, 2);

  const model::Checkpoint a = model::load_checkpoint(whole.model_dir / "checkpoints" / "epoch_2");
  const model::Checkpoint b = model::load_checkpoint(resumed.model_dir / "checkpoints" / "epoch_2");
  expect_bit_identical(a, b);
  EXPECT_EQ(b.train_loss.size(), 3u);
  EXPECT_EQ(model::latest_epoch(resumed.model_dir), 2);

  // Resuming from an explicit older epoch continues from there and gives the same epoch again.
  const TrainResult again = train(tiny_options(arch, dir / "b", 3, "1"), train_clips, &valid_clips);
  EXPECT_EQ(again.first_epoch, 2);
  expect_bit_identical(a, model::load_checkpoint(again.model_dir / "checkpoints" / "epoch_2"));

  // Nothing left to do.
  const TrainResult done = train(tiny_options(arch, dir / "b", 3, "latest"), train_clips, &valid_clips);
  EXPECT_EQ(done.status, TrainResult::Status::nothing_to_do);
  EXPECT_TRUE(fs::exists(whole.model_dir / "feature_stats.json"));
  EXPECT_TRUE(fs::exists(whole.model_dir / "loss_history.csv"));
  EXPECT_TRUE(fs::exists(whole.model_dir / "loss_history.png"));
  const std::string csv = read_file_bytes(whole.model_dir / "loss_history.csv");
  EXPECT_EQ(csv.rfind("epoch,train_loss,valid_loss\n0,", 0), 0u) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4);
}

TEST(Trainer, TheLearningRateScheduleChangesTheStepsAndAResumeFollowsIt) {
  test::ScratchDir dir;
  const fs::path arch = write_arch(dir, kTinyArch);
  const ClipSet train_clips = synthetic_clips(7, 1);
  auto scheduled = [&](const fs::path& models, int epochs, const std::string& loaded) {
    TrainOptions o = tiny_options(arch, models, epochs, loaded);
    o.final_learning_rate = 1e-5;
    o.lr_decay_start = 0;
    return o;
  };
  // Epoch 0 runs at --lr either way; epoch 1 (the last of 2) at the final rate, so the weights part.
  const TrainResult constant = train(tiny_options(arch, dir / "c", 2, "random"), train_clips, nullptr);
  const TrainResult decayed = train(scheduled(dir / "d", 2, "random"), train_clips, nullptr);
  ASSERT_EQ(decayed.status, TrainResult::Status::completed);
  expect_bit_identical(model::load_checkpoint(constant.epochs[0].checkpoint),
                       model::load_checkpoint(decayed.epochs[0].checkpoint));
  const auto c1 = model::load_checkpoint(constant.epochs[1].checkpoint);
  const auto d1 = model::load_checkpoint(decayed.epochs[1].checkpoint);
  // The final rate is 300x smaller: epoch 1 moves the weights far less than at the constant rate.
  const auto c0 = model::load_checkpoint(constant.epochs[0].checkpoint);
  double moved_constant = 0.0, moved_decayed = 0.0;
  for (std::size_t i = 0; i < c0.parameters.size(); ++i) {
    moved_constant += (c1.parameters[i].value - c0.parameters[i].value).squaredNorm();
    moved_decayed += (d1.parameters[i].value - c0.parameters[i].value).squaredNorm();
  }
  EXPECT_LT(moved_decayed, 1e-3 * moved_constant);
  EXPECT_EQ(d1.options.at("final_learning_rate"), 1e-5);
  EXPECT_FALSE(c1.options.contains("final_learning_rate"));

  // Three epochs in one run = two, then one more resumed with the same schedule.
  const TrainResult whole = train(scheduled(dir / "a", 3, "random"), train_clips, nullptr);
  train(scheduled(dir / "b", 3, "random"), train_clips, nullptr);  // writes epochs 0..2; resume from 1 below
  const TrainResult resumed = train(scheduled(dir / "b", 3, "1"), train_clips, nullptr);
  ASSERT_EQ(resumed.first_epoch, 2);
  expect_bit_identical(model::load_checkpoint(whole.epochs[2].checkpoint),
                       model::load_checkpoint(resumed.epochs[0].checkpoint));
}

TEST(Trainer, TwoThreadsAreDeterministic) {
  test::ScratchDir dir;
  const fs::path arch = write_arch(dir, kTinyArch);
  const ClipSet train_clips = synthetic_clips(6, 3);
  auto options = tiny_options(arch, dir / "a", 2, "random");
  options.threads = 2;
  const TrainResult a = train(options, train_clips, nullptr);
  options.models_dir = dir / "b";
  const TrainResult b = train(options, train_clips, nullptr);
  ASSERT_EQ(a.epochs.size(), 2u);
  EXPECT_TRUE(std::isnan(a.epochs[0].valid_loss));
  expect_bit_identical(model::load_checkpoint(a.epochs[1].checkpoint), model::load_checkpoint(b.epochs[1].checkpoint));
}

TEST(Trainer, LossGoesDownOnASmallSyntheticTask) {
  test::ScratchDir dir;
  const fs::path arch = write_arch(dir, kTinyArch);
  const ClipSet train_clips = synthetic_clips(8, 4, 0.1f);
  const ClipSet valid_clips = synthetic_clips(4, 5, 0.1f);
  auto options = tiny_options(arch, dir / "m", 12, "random");
  options.learning_rate = 1e-2;
  std::vector<std::string> lines;
  const TrainResult r =
      train(options, train_clips, &valid_clips, [&](const EpochReport& e) { lines.push_back(format_epoch(e)); });
  ASSERT_EQ(r.epochs.size(), 12u);
  ASSERT_EQ(lines.size(), 12u);
  EXPECT_NE(lines[0].find("epoch 0: train loss"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("data wait"), std::string::npos);
  EXPECT_NE(lines[0].find("peak memory"), std::string::npos) << lines[0];
  EXPECT_GT(r.epochs.front().peak_memory_mib, 1.0);
  const auto& first = r.epochs.front();
  const auto& last = r.epochs.back();
  EXPECT_LT(last.train_loss, 0.8 * first.train_loss) << lines.front() << "\n" << lines.back();
  EXPECT_LT(last.valid_loss, 0.8 * first.valid_loss) << lines.front() << "\n" << lines.back();
  for (const auto& e : r.epochs) {
    EXPECT_EQ(e.skipped_steps, 0);
    EXPECT_GT(e.frames, 0);
    EXPECT_GE(e.data_wait_share, 0.0);
    EXPECT_LE(e.data_wait_share, 1.0);
  }
}

TEST(Trainer, RepeatedDivergenceStopsAndKeepsTheLastGoodCheckpoint) {
  test::ScratchDir dir;
  const fs::path arch = write_arch(dir, kTinyArch);
  auto options = tiny_options(arch, dir / "m", 1, "random");
  const TrainResult good = train(options, synthetic_clips(4, 6), nullptr);
  ASSERT_EQ(good.last_good_epoch, 0);
  const std::string before = read_file_bytes(good.model_dir / "checkpoints" / "epoch_0");

  // Every clip now carries a NaN: every step is non-finite.
  options.epochs = 3;
  options.epoch_loaded = model::EpochSelection::parse("latest");
  options.batch_size = 1;
  options.max_consecutive_skips = 4;
  const TrainResult bad = train(options, synthetic_clips(12, 6, 0.05f, true), nullptr);
  EXPECT_EQ(bad.status, TrainResult::Status::diverged);
  EXPECT_EQ(bad.last_good_epoch, 0);
  EXPECT_TRUE(bad.epochs.empty());
  EXPECT_NE(bad.message.find("4 consecutive steps"), std::string::npos) << bad.message;
  EXPECT_NE(bad.message.find("epoch_0"), std::string::npos) << bad.message;
  EXPECT_EQ(model::latest_epoch(good.model_dir), 0);
  EXPECT_FALSE(fs::exists(good.model_dir / "checkpoints" / "epoch_1"));
  EXPECT_EQ(read_file_bytes(good.model_dir / "checkpoints" / "epoch_0"), before);

  // An epoch too short to reach the limit but with nothing finite is a non-finite epoch: also a stop.
  options.max_consecutive_skips = 100;
  const TrainResult short_bad = train(options, synthetic_clips(2, 6, 0.05f, true), nullptr);
  EXPECT_EQ(short_bad.status, TrainResult::Status::diverged);
  EXPECT_NE(short_bad.message.find("non-finite"), std::string::npos);
  EXPECT_EQ(model::latest_epoch(good.model_dir), 0);
}

TEST(Trainer, ResumingWithAnotherArchOrFrontEndIsRefused) {
  test::ScratchDir dir;
  const fs::path arch = write_arch(dir, kTinyArch);
  const ClipSet clips = synthetic_clips(3, 8);
  train(tiny_options(arch, dir / "m", 1, "random"), clips, nullptr);

  std::string changed = kTinyArch;
  changed.replace(changed.find("layer_neurons 6"), 15, "layer_neurons 5");
  write_arch(dir, changed);
  try {
    train(tiny_options(arch, dir / "m", 2, "latest"), clips, nullptr);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("epoch_0"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("different nn_arch"), std::string::npos) << e.what();
  }

  write_arch(dir, kTinyArch);
  auto options = tiny_options(arch, dir / "m", 2, "0");
  options.frontend.mel_weight_bits = 0;
  try {
    train(options, clips, nullptr);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mel_weight_bits"), std::string::npos) << e.what();
  }
  EXPECT_THROW(train(tiny_options(arch, dir / "m", 2, "5"), clips, nullptr), Error);
}

TEST(Trainer, ArchMustMatchTheFrontEnd) {
  test::ScratchDir dir;
  std::string wrong_input = kTinyArch;
  wrong_input.replace(0, std::string("input_neurons 72").size(), "input_neurons 64");
  const fs::path arch = write_arch(dir, wrong_input);
  EXPECT_THROW(train(tiny_options(arch, dir / "m", 1, "random"), synthetic_clips(2, 1), nullptr), Error);
  std::string wrong_output = kTinyArch;
  wrong_output.replace(wrong_output.find("257"), 3, "100");
  const fs::path arch2 = write_arch(dir, wrong_output, "def_tiny2.txt");
  EXPECT_THROW(train(tiny_options(arch2, dir / "m", 1, "random"), synthetic_clips(2, 1), nullptr), Error);
}

TEST(Trainer, AFreshRunReusesTheStatisticsOfTheSameRecipe) {
  test::ScratchDir dir;
  const fs::path arch = write_arch(dir, kTinyArch);
  // Counts the clips read, so the test sees whether the statistics were computed (one read per clip).
  auto reads = std::make_shared<std::atomic<int>>(0);
  ClipSet clips = synthetic_clips(5, 11);
  clips.recipe = {{"synthetic", 11}};
  clips.get = [inner = clips.get, reads](std::size_t index, int epoch) {
    ++*reads;
    return inner(index, epoch);
  };
  auto options = tiny_options(arch, dir / "a", 1, "random");
  options.stats_cache_dir = dir / "cache";
  const TrainResult first = train(options, clips, nullptr);
  const int first_reads = reads->exchange(0);
  options.models_dir = dir / "b";  // a new model folder: no feature_stats.json of its own
  const TrainResult second = train(options, clips, nullptr);
  EXPECT_EQ(first_reads - reads->exchange(0), 5);  // the second run read the clips for training only
  const auto a = dsp::load_feature_stats(first.model_dir / "feature_stats.json");
  const auto b = dsp::load_feature_stats(second.model_dir / "feature_stats.json");
  EXPECT_EQ(a, b);
  // Same losses: the cached statistics are exactly the computed ones.
  EXPECT_EQ(first.epochs[0].train_loss, second.epochs[0].train_loss);

  // Another recipe is computed afresh.
  clips.recipe = {{"synthetic", 12}};
  options.models_dir = dir / "c";
  train(options, clips, nullptr);
  EXPECT_EQ(reads->exchange(0), first_reads);
}

TEST(Trainer, ProfileChargesEachEpochsWorkToItsStages) {
  test::ScratchDir dir;
  const fs::path arch = write_arch(dir, kTinyArch);
  const ClipSet train_clips = synthetic_clips(7, 13);
  auto options = tiny_options(arch, dir / "a", 2, "random");
  options.profile = true;
  const TrainResult result = train(options, train_clips, nullptr);
  ASSERT_EQ(result.epochs.size(), 2u);
  for (const EpochReport& r : result.epochs) {
    ASSERT_TRUE(r.profiled);
    auto calls = [&r](profile::Stage s) { return r.profile.calls[static_cast<std::size_t>(s)]; };
    auto seconds = [&r](profile::Stage s) { return r.profile.seconds[static_cast<std::size_t>(s)]; };
    EXPECT_EQ(calls(profile::Stage::features), 7);  // every clip prepared once per epoch
    EXPECT_EQ(calls(profile::Stage::optimizer), r.steps);
    EXPECT_EQ(calls(profile::Stage::loss), calls(profile::Stage::forward_backward));  // one loss call per shard
    EXPECT_GE(calls(profile::Stage::forward_backward), r.steps);
    EXPECT_EQ(calls(profile::Stage::checkpoint), 1);
    EXPECT_EQ(calls(profile::Stage::validation), 0);
    EXPECT_EQ(calls(profile::Stage::mix), 0);  // synthetic clips: nothing mixed
    EXPECT_GT(seconds(profile::Stage::forward_backward), 0.0);
    const std::string table = format_profile(r);
    EXPECT_NE(table.find("profile epoch " + std::to_string(r.epoch)), std::string::npos) << table;
    for (int i = 0; i < profile::kStageCount; ++i) {
      EXPECT_NE(table.find(std::string(profile::stage_name(static_cast<profile::Stage>(i)))), std::string::npos);
    }
  }
  EXPECT_TRUE(format_profile(EpochReport{}).empty());  // not profiled: nothing
  profile::set_enabled(false);
}

TEST(Trainer, StatsDoNotDependOnThreadCount) {
  const ClipSet clips = synthetic_clips(70, 9);
  dsp::FrontendConfig config;
  std::int64_t frames1 = 0, frames3 = 0;
  const auto one = compute_training_stats(clips, config, 1, &frames1);
  const auto three = compute_training_stats(clips, config, 3, &frames3);
  EXPECT_EQ(one, three);
  EXPECT_EQ(frames1, frames3);
  EXPECT_GT(frames1, 70 * 20);
  EXPECT_EQ(one.dim(), 72);
}

}  // namespace
}  // namespace nnse::train

// The whole command-line path on shards written by the data pipeline from a tiny synthetic corpus.
namespace nnse::train {
namespace {

TEST(TrainCli, TrainsResumesEvaluatesAndComparesFromShards) {
  test::ScratchDir dir;
  test::TinyCorpusOptions corpus_options;
  corpus_options.speech_files = 15;
  corpus_options.noise_files_per_group = 3;
  corpus_options.rirs = 2;
  test::make_manifest_corpus(dir / "corpus", corpus_options);
  auto corpus = std::make_shared<data::Corpus>(data::CorpusSources{.corpus = dir / "corpus"}, 16000,
                                               std::make_shared<data::SkipLog>());
  data::MixConfig mix;
  mix.clip_seconds = 1.5;
  mix.datasize_noise = -1;
  for (auto split : {data::Split::train, data::Split::valid, data::Split::test}) {
    const data::Mixer mixer(corpus, split, mix);
    data::ShardJobOptions job;
    job.out = dir / "shards" / data::to_string(split);
    job.records_per_shard = 4;
    ASSERT_TRUE(data::write_shards(mixer, job).complete);
  }
  const fs::path arch = write_arch(dir, kTinyArch);
  const std::string common = "--nn-arch " + arch.string() + " --data " + (dir / "shards").string() +
                             " --models-dir " + (dir / "models").string() +
                             " --batch-size 4 --chunk-frames 40 --threads 1 --lr 0.003";

  auto first = test::run_nnse("train " + common + " --epochs 2 2>&1");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("epoch 0: train loss"), std::string::npos) << first.output;
  EXPECT_NE(first.output.find("epoch 1: train loss"), std::string::npos);
  EXPECT_EQ(first.output.find("valid loss -"), std::string::npos) << "DIR/valid is used by default";

  // The reference's underscore spellings work too.
  auto resumed = test::run_nnse("train " + common + " --epochs 3 --epoch_loaded latest --loss_c 0.3 2>&1");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(resumed.output.find("epoch 1:"), std::string::npos) << resumed.output;
  EXPECT_NE(resumed.output.find("epoch 2: train loss"), std::string::npos) << resumed.output;

  const fs::path json = dir / "eval.json";
  auto eval = test::run_nnse("eval --nn-arch " + arch.string() + " --models-dir " + (dir / "models").string() +
                             " --epoch-loaded 2 --data " + (dir / "shards").string() + " --split test --json " +
                             json.string() + " --threads 1 2>&1");
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  EXPECT_NE(eval.output.find("all ("), std::string::npos) << eval.output;
  EXPECT_NE(eval.output.find("SI-SDR dB"), std::string::npos);
  EXPECT_NE(eval.output.find("SNR "), std::string::npos);
  const auto report = nlohmann::json::parse(read_file_bytes(json));
  EXPECT_EQ(report["groups"][0]["label"], "all");
  EXPECT_GT(report["clips"].size(), 0u);

  // A damaged checkpoint is refused with one line naming it.
  const fs::path checkpoint = dir / "models" / "tiny" / "checkpoints" / "epoch_2";
  std::string bytes = read_file_bytes(checkpoint);
  bytes[bytes.size() / 2] ^= 0x40;
  write_file_atomic(checkpoint, bytes);
  auto broken = test::run_nnse("eval --nn-arch " + arch.string() + " --models-dir " + (dir / "models").string() +
                               " --epoch-loaded latest --data " + (dir / "shards").string() + " 2>&1");
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.output.find(checkpoint.string() + ": checkpoint is corrupt"), std::string::npos) << broken.output;
  auto broken_train = test::run_nnse("train " + common + " --epochs 4 --epoch-loaded latest 2>&1");
  EXPECT_EQ(broken_train.exit_code, 1);
  EXPECT_NE(broken_train.output.find("corrupt"), std::string::npos) << broken_train.output;

  auto no_data = test::run_nnse("train --nn-arch " + arch.string() + " --epochs 1 2>&1");
  EXPECT_EQ(no_data.exit_code, 1);
  EXPECT_NE(no_data.output.find("no training data"), std::string::npos) << no_data.output;

  const fs::path out = dir / "comparison";
  auto compare = test::run_nnse("compare-losses --nn-arch " + arch.string() + " --data " +
                                (dir / "shards").string() + " --losses cmix,mag_mse --epochs 1 --batch-size 4 "
                                "--chunk-frames 40 --threads 1 --out " + out.string() + " 2>&1");
  ASSERT_EQ(compare.exit_code, 0) << compare.output;
  const std::string md = read_file_bytes(out / "loss_comparison.md");
  EXPECT_NE(md.find("| cmix | trained | 1 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| mag_mse | trained | 1 |"), std::string::npos) << md;
  EXPECT_NE(md.find("nnse compare-losses --nn-arch"), std::string::npos);
  EXPECT_TRUE(fs::exists(out / "loss_comparison.csv"));
  EXPECT_TRUE(fs::exists(out / "loss_comparison.png"));
  // Both runs used the same statistics.
  EXPECT_EQ(read_file_bytes(out / "models" / "cmix" / "tiny" / "feature_stats.json"),
            read_file_bytes(out / "models" / "mag_mse" / "tiny" / "feature_stats.json"));
}

}  // namespace
}  // namespace nnse::train
