#include "nnse/train/evaluate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "nnse/dsp/context.h"
#include "nnse/enhance/enhancer.h"
#include "nnse/nn/arch.h"
#include "nnse/util/atomic_file.h"
#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::train {
namespace {

metrics::MetricReport report(double si_sdr, std::optional<double> stoi) {
  metrics::MetricReport r;
  r.si_sdr = si_sdr;
  r.snr = si_sdr + 1;
  r.segmental_snr = si_sdr / 2;
  r.lsd = 10 - si_sdr / 4;
  r.stoi = stoi;
  r.estoi = stoi ? std::optional<double>(*stoi - 0.1) : std::nullopt;
  return r;
}

TEST(EvalSummary, GroupsBySnrAndAveragesLikeWithLike) {
  std::vector<ClipEvaluation> clips = {
      {"a", 0.2, report(0, 0.6), report(6, 0.7)},
      {"b", -0.3, report(2, std::nullopt), report(10, std::nullopt)},
      {"c", 6.0, report(6, 0.8), report(9, 0.85)},
      {"d", std::nan(""), report(1, 0.5), report(0, 0.4)},
  };
  const EvalReport r = summarize(clips);
  ASSERT_EQ(r.groups.size(), 4u);
  EXPECT_EQ(r.groups[0].label, "all");
  EXPECT_EQ(r.groups[0].clips, 4);
  EXPECT_EQ(r.groups[1].label, "SNR 0 dB");
  EXPECT_EQ(r.groups[1].snr_db, 0);
  EXPECT_EQ(r.groups[1].clips, 2);
  EXPECT_EQ(r.groups[2].label, "SNR 6 dB");
  EXPECT_EQ(r.groups[3].label, "SNR unknown");

  const auto& si = r.groups[0].metrics[0];
  EXPECT_EQ(si.key, "si_sdr_db");
  EXPECT_EQ(si.count, 4);
  EXPECT_DOUBLE_EQ(si.noisy, (0 + 2 + 6 + 1) / 4.0);
  EXPECT_DOUBLE_EQ(si.enhanced, (6 + 10 + 9 + 0) / 4.0);
  const auto& stoi0 = r.groups[1].metrics[4];
  EXPECT_EQ(stoi0.key, "stoi");
  EXPECT_EQ(stoi0.count, 1);  // clip b has no STOI
  EXPECT_DOUBLE_EQ(stoi0.noisy, 0.6);
  EXPECT_NEAR(stoi0.improvement(), 0.1, 1e-12);
  const auto& pesq = r.groups[0].metrics[6];
  EXPECT_EQ(pesq.key, "pesq");
  EXPECT_EQ(pesq.count, 0);

  const std::string table = format_table(r);
  EXPECT_NE(table.find("all (4 clips)"), std::string::npos) << table;
  EXPECT_NE(table.find("SNR 0 dB (2 clips)"), std::string::npos) << table;
  EXPECT_NE(table.find("PESQ"), std::string::npos);
  EXPECT_NE(table.find("absent"), std::string::npos);
  EXPECT_NE(table.find("(worse)"), std::string::npos);  // the unknown-SNR group got worse

  const auto j = to_json(r);
  EXPECT_EQ(j["groups"][0]["metrics"]["si_sdr_db"]["clips"], 4);
  EXPECT_TRUE(j["groups"][0]["metrics"]["pesq"]["noisy"].is_null());
  EXPECT_EQ(j["clips"].size(), 4u);
  EXPECT_TRUE(j["clips"][3]["snr_db"].is_null());
  EXPECT_FALSE(to_json(r, false).contains("clips"));
}

TEST(EvalSummary, NoSnrMetadataGivesOnlyTheOverallGroup) {
  const EvalReport r = summarize({{"a", std::nan(""), report(0, 0.6), report(1, 0.7)}});
  ASSERT_EQ(r.groups.size(), 1u);
  EXPECT_EQ(r.groups[0].label, "all");
}

}  // namespace
}  // namespace nnse::train

namespace nnse::train {
namespace {

const char* kEvalArch =
    "input_neurons 72\n"
    "dropprob 0.0\n"
    "layer_type conv1d\n"
    "num_filters 5\n"
    "kernel_size 4\n"
    "activation tanh\n"
    "dropprob 0.0\n"
    "layer_type lstm\n"
    "layer_neurons 5\n"
    "activation tanh\n"
    "dropprob 0.0\n"
    "layer_type fc\n"
    "layer_neurons 257\n"
    "activation sigmoid\n";

dsp::FeatureStats some_stats(const dsp::FrontendConfig& config) {
  dsp::FeatureStats stats;
  for (int i = 0; i < config.feature_dim(); ++i) {
    stats.mean.push_back(-3.0f + 0.02f * static_cast<float>(i));
    stats.inv_std.push_back(0.6f);
  }
  return stats;
}

std::vector<float> noisy_signal(double seconds, std::uint32_t seed) {
  auto x = test::speech_like(seconds, 16000, seed);
  const auto n = test::white_noise(x.size(), seed + 100, 0.03f);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] += n[i];
  return x;
}

// With the last layer saturated open (gain ~ 1) the enhancer must return its input, sample-aligned, over the
// whole length including the last (win - hop) samples.
TEST(BlockEnhancer, AllPassGainReturnsTheInputAligned) {
  const dsp::FrontendConfig config;
  nn::Model model(nn::parse_arch(kEvalArch, "eval-arch"), 3);
  auto& last_bias = model.parameters().back();
  auto& last_weight = model.parameters()[model.parameters().size() - 2];
  ASSERT_TRUE(last_bias.is_bias);
  last_weight.value.setZero();
  last_bias.value.setConstant(30.0f);
  const auto stats = some_stats(config);
  EngineOptions engine_options;
  engine_options.pad_frame = dsp::context_fill_frame(config, &stats);
  Engine engine(model, engine_options);
  BlockEnhancer enhancer(engine, config, stats);
  const auto a = noisy_signal(0.73, 1);
  const auto b = noisy_signal(0.41, 2);
  const auto out = enhancer.enhance({a, b});
  ASSERT_EQ(out.size(), 2u);
  ASSERT_EQ(out[0].size(), a.size());
  ASSERT_EQ(out[1].size(), b.size());
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, static_cast<double>(std::fabs(out[0][i] - a[i])));
  for (std::size_t i = 0; i < b.size(); ++i) worst = std::max(worst, static_cast<double>(std::fabs(out[1][i] - b[i])));
  EXPECT_LT(worst, 1e-5);
}

// Several clips of different lengths in one call give what each gives alone, and what the streaming enhancer
// gives (without its own DC removal: the mixer already applied it).
TEST(BlockEnhancer, BatchedEqualsSingleAndStreaming) {
  dsp::FrontendConfig config;
  nn::Model model(nn::parse_arch(kEvalArch, "eval-arch"), 5);
  const auto stats = some_stats(config);
  EngineOptions engine_options;
  engine_options.threads = 2;
  engine_options.pad_frame = dsp::context_fill_frame(config, &stats);
  Engine engine(model, engine_options);
  BlockEnhancer enhancer(engine, config, stats);
  const std::vector<std::vector<float>> inputs = {noisy_signal(0.9, 3), noisy_signal(0.35, 4), noisy_signal(0.6, 5)};
  const auto together = enhancer.enhance({inputs[0], inputs[1], inputs[2]});
  dsp::FrontendConfig no_dc = config;
  no_dc.dc_removal = false;
  for (std::size_t c = 0; c < inputs.size(); ++c) {
    const auto alone = enhancer.enhance({inputs[c]});
    const auto streamed = enhance::enhance_signal(model, no_dc, stats, inputs[c]);
    ASSERT_EQ(together[c].size(), inputs[c].size());
    ASSERT_EQ(streamed.size(), inputs[c].size());
    double d_alone = 0, d_stream = 0, level = 0;
    for (std::size_t i = 0; i < inputs[c].size(); ++i) {
      d_alone = std::max(d_alone, static_cast<double>(std::fabs(together[c][i] - alone[0][i])));
      d_stream = std::max(d_stream, static_cast<double>(std::fabs(together[c][i] - streamed[i])));
      level = std::max(level, static_cast<double>(std::fabs(together[c][i])));
    }
    EXPECT_GT(level, 1e-3);
    EXPECT_LT(d_alone, 1e-5) << "clip " << c;
    EXPECT_LT(d_stream, 1e-4) << "clip " << c;
  }
}

TEST(EvaluateClips, MeasuresEveryClipAndGroupsBySnr) {
  dsp::FrontendConfig config;
  nn::Model model(nn::parse_arch(kEvalArch, "eval-arch"), 9);
  const auto stats = some_stats(config);
  ClipSet clips;
  clips.size = 5;
  clips.description = "synthetic";
  clips.get = [](std::size_t index, int) {
    data::Clip clip;
    clip.clean = test::speech_like(1.0, 16000, static_cast<std::uint32_t>(index + 1));
    const auto noise = test::white_noise(clip.clean.size(), static_cast<std::uint32_t>(index + 50), 0.05f);
    clip.noisy = clip.clean;
    for (std::size_t i = 0; i < noise.size(); ++i) clip.noisy[i] += noise[i];
    clip.meta.split = "test";
    clip.meta.snr_db = index < 3 ? 0.0 : 6.0;
    return clip;
  };
  EvalOptions options;
  options.clips_per_batch = 2;
  std::size_t last_done = 0;
  options.progress = [&](std::size_t done, std::size_t total) {
    EXPECT_EQ(total, 5u);
    last_done = done;
  };
  const EvalReport report = evaluate_clips(model, config, stats, clips, options);
  EXPECT_EQ(last_done, 5u);
  ASSERT_EQ(report.clips.size(), 5u);
  ASSERT_EQ(report.groups.size(), 3u);
  EXPECT_EQ(report.groups[1].clips, 3);
  EXPECT_EQ(report.groups[2].clips, 2);
  EXPECT_EQ(report.clips[4].name, "test#4");
  // The noisy side is measured against the true clean signal: its SNR is what was mixed in.
  const auto expected = test::snr_db(clips.get(0, 0).clean, clips.get(0, 0).noisy);
  EXPECT_NEAR(report.clips[0].noisy.snr, expected, 1e-6);
  for (const auto& clip : report.clips) {
    EXPECT_TRUE(clip.enhanced.stoi.has_value());
    EXPECT_TRUE(std::isfinite(clip.enhanced.si_sdr));
    EXPECT_FALSE(clip.enhanced.pesq.has_value());
  }
}


TEST(LossComparison, WritesMarkdownCsvAndPictureIncludingFailedRuns) {
  test::ScratchDir dir;
  LossComparison comparison;
  comparison.command = "nnse compare-losses --nn-arch a.txt --losses all --epochs 2";
  comparison.budget = {{"epochs", 2}, {"seed", 1}};
  auto run_with = [](const std::string& loss, double gain, LossRun::Status status) {
    LossRun run;
    run.loss = loss;
    run.describe = loss + ": E[(|S| - |G Y|)^2]";
    run.status = status;
    run.epochs = 2;
    run.train_loss = 0.5;
    run.valid_loss = 0.6;
    run.eval = summarize({{"a", 0.0, report(0, 0.6), report(gain, 0.6 + gain / 100)},
                          {"b", 6.0, report(4, 0.8), report(4 + gain, 0.8 + gain / 100)}});
    return run;
  };
  comparison.runs.push_back(run_with("cmix", 5, LossRun::Status::trained));
  comparison.runs.push_back(run_with("mag_mse", 3, LossRun::Status::trained));
  LossRun diverged = run_with("si_sdr", 1, LossRun::Status::diverged);
  diverged.message = "training diverged: 10 consecutive steps";
  comparison.runs.push_back(diverged);
  LossRun failed;
  failed.loss = "wsdr";
  failed.status = LossRun::Status::failed;
  failed.message = "boom";
  comparison.runs.push_back(failed);

  const std::string md = write_loss_comparison(dir.path(), comparison);
  EXPECT_EQ(md, read_file_bytes(dir / "loss_comparison.md"));
  EXPECT_NE(md.find(comparison.command), std::string::npos);
  EXPECT_NE(md.find("| noisy input | | | 2.00 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| cmix | trained | 2 | **7.00 (+5.00)** |"), std::string::npos) << md;
  EXPECT_NE(md.find("| mag_mse | trained | 2 | 5.00 (+3.00) |"), std::string::npos) << md;
  EXPECT_NE(md.find("| wsdr | failed | 0 | - |"), std::string::npos) << md;
  EXPECT_NE(md.find("**si_sdr** diverged: training diverged: 10 consecutive steps (the table shows its last good"),
            std::string::npos) << md;
  EXPECT_NE(md.find("**wsdr** failed: boom"), std::string::npos);
  EXPECT_NE(md.find("E[(\\|S\\| - \\|G Y\\|)^2]"), std::string::npos) << "pipes escaped in table cells";
  EXPECT_NE(md.find("| absent |"), std::string::npos);  // PESQ

  const std::string csv = read_file_bytes(dir / "loss_comparison.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);
  EXPECT_NE(csv.find("cmix,trained,2,0.5,0.6,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("si_sdr_db_noisy,si_sdr_db_enhanced,si_sdr_db_improvement"), std::string::npos);
  const std::string png = read_file_bytes(dir / "loss_comparison.png");
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
}

}  // namespace
}  // namespace nnse::train
