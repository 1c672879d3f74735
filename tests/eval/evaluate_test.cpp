#include "nnse/eval/evaluate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "nnse/dsp/context.h"
#include "nnse/enhance/enhancer.h"
#include "nnse/metrics/metrics.h"
#include "nnse/nn/arch.h"
#include "nnse/util/atomic_file.h"
#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::eval {
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
      {"a", 0.2, report(0, 0.6), report(6, 0.7), std::nullopt},
      {"b", -0.3, report(2, std::nullopt), report(10, std::nullopt), std::nullopt},
      {"c", 6.0, report(6, 0.8), report(9, 0.85), std::nullopt},
      {"d", std::nan(""), report(1, 0.5), report(0, 0.4), std::nullopt},
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
  const auto& onset = r.groups[0].metrics[7];  // the onset gain: absent in these reports, listed all the same
  EXPECT_EQ(onset.key, "onset_gain_db");
  EXPECT_EQ(onset.count, 0);

  const std::string table = format_table(r);
  EXPECT_NE(table.find("all (4 clips)"), std::string::npos) << table;
  EXPECT_NE(table.find("SNR 0 dB (2 clips)"), std::string::npos) << table;
  EXPECT_NE(table.find("PESQ"), std::string::npos);
  EXPECT_NE(table.find("absent"), std::string::npos);
  EXPECT_NE(table.find("(worse)"), std::string::npos);  // the unknown-SNR group got worse

  const auto j = to_json(r);
  EXPECT_EQ(j["groups"][0]["metrics"]["si_sdr_db"]["clips"], 4);
  EXPECT_TRUE(j["groups"][0]["metrics"]["pesq"]["noisy"].is_null());
  EXPECT_TRUE(j["groups"][0]["metrics"]["onset_gain_db"]["noisy"].is_null());
  EXPECT_EQ(j["clips"].size(), 4u);
  EXPECT_TRUE(j["clips"][3]["snr_db"].is_null());
  EXPECT_FALSE(to_json(r, false).contains("clips"));
}

TEST(EvalSummary, OnsetGainAveragesOnlyTheClipsWithOnsets) {
  auto with_onset = [](double si_sdr, double onset) {
    auto r = report(si_sdr, 0.7);
    r.onset_gain = onset;
    return r;
  };
  const EvalReport r = summarize({{"a", 5.0, with_onset(5, 0.0), with_onset(8, -3.0), std::nullopt},
                                  {"b", 5.0, report(5, 0.7), report(8, 0.7), std::nullopt},
                                  {"c", 5.0, with_onset(5, 0.5), with_onset(8, -0.5), std::nullopt}});
  const auto& onset = r.groups[0].metrics[7];
  ASSERT_EQ(onset.key, "onset_gain_db");
  EXPECT_EQ(onset.count, 2);  // clip b has no onset
  EXPECT_DOUBLE_EQ(onset.noisy, 0.25);
  EXPECT_DOUBLE_EQ(onset.enhanced, -1.75);
  const std::string table = format_table(r);
  EXPECT_NE(table.find("onset dB"), std::string::npos) << table;
  EXPECT_NE(table.find("(2 clips)"), std::string::npos) << table;  // fewer clips than the group's three
}

TEST(EvalSummary, NoSnrMetadataGivesOnlyTheOverallGroup) {
  const EvalReport r = summarize({{"a", std::nan(""), report(0, 0.6), report(1, 0.7), std::nullopt}});
  ASSERT_EQ(r.groups.size(), 1u);
  EXPECT_EQ(r.groups[0].label, "all");
}

TEST(EvalSummary, NoisyInputsAreAlsoSummarizedPerNoiseType) {
  const double clean = std::numeric_limits<double>::infinity();
  std::vector<ClipEvaluation> clips = {
      {"a", 0.0, report(0, 0.6), report(4, 0.7), report(1, 0.6), {}, {"noise/fx/1.flac"}, "noise/fx"},
      {"b", 5.0, report(5, 0.8), report(7, 0.8), report(6, 0.8), {}, {"noise/fx/3.flac"}, "noise/fx"},
      {"c", 5.0, report(5, 0.8), report(6, 0.9), report(9, 0.9), {}, {"noise/music/1.flac"}, "noise/music"},
      // A clip without a known noise type (shards of an older format) is left out of every type's mean.
      {"d", 5.0, report(5, 0.8), report(5, 0.8), report(5, 0.8), {}, {"noise/fx/4.flac"}, ""},
      // A clean input of a sweep still carries its clip's noise type; it never enters a noise type's mean.
      {"e", clean, report(60, 1.0), report(30, 0.99), std::nullopt, {}, {"noise/music/3.flac"}, "noise/music"},
  };
  const EvalReport r = summarize(clips, "peer");
  ASSERT_EQ(r.noise_types.size(), 2u);
  EXPECT_EQ(r.noise_types[0].label, "noise/fx");
  EXPECT_EQ(r.noise_types[0].clips, 2);
  EXPECT_DOUBLE_EQ(r.noise_types[0].metrics[0].improvement(), ((4 - 0) + (7 - 5)) / 2.0);
  EXPECT_DOUBLE_EQ(r.noise_types[0].metrics[0].peer_improvement(), ((1 - 0) + (6 - 5)) / 2.0);
  EXPECT_EQ(r.noise_types[1].label, "noise/music");
  EXPECT_EQ(r.noise_types[1].clips, 1);
  EXPECT_NEAR(r.noise_types[1].metrics[4].improvement(), 0.1, 1e-12);  // STOI
  EXPECT_FALSE(r.noise_types[1].clean);

  const std::string table = format_noise_type_summary(r);
  EXPECT_NE(table.find("| noise type | clips |"), std::string::npos) << table;
  EXPECT_NE(table.find("| noise/fx | 2 | +3.00 | +1.00 |"), std::string::npos) << table;
  EXPECT_NE(table.find("| noise/music | 1 | +1.00 | +4.00 |"), std::string::npos) << table;
  const auto j = to_json(r);
  ASSERT_EQ(j["noise_types"].size(), 2u);
  EXPECT_EQ(j["noise_types"][1]["label"], "noise/music");
  EXPECT_EQ(j["noise_types"][0]["metrics"]["si_sdr_db"]["improvement"], 3.0);
  EXPECT_EQ(j["clips"][2]["noise_type"], "noise/music");

  // One noise type only: the table would repeat "all", so there is none.
  clips.erase(clips.begin() + 2, clips.end());
  const EvalReport one = summarize(clips);
  EXPECT_TRUE(one.noise_types.empty());
  EXPECT_EQ(format_noise_type_summary(one), "");
  EXPECT_TRUE(to_json(one)["noise_types"].empty());
}

}  // namespace
}  // namespace nnse::eval

namespace nnse::eval {
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

TEST(EvaluateClips, MeasuresEveryClipAndGroupsBySnr) {
  dsp::FrontendConfig config;
  nn::Model model(nn::parse_arch(kEvalArch, "eval-arch"), 9);
  const auto stats = some_stats(config);
  train::ClipSet clips;
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
  std::size_t last_done = 0;
  options.progress = [&](std::size_t done, std::size_t total) {
    EXPECT_EQ(total, 5u);
    last_done = done;
  };
  const EvalReport report = evaluate_clips(model, config, stats, clips, options);
  EXPECT_EQ(last_done, 5u);
  ASSERT_EQ(report.clips.size(), 5u);
  ASSERT_EQ(report.groups.size(), 3u);
  EXPECT_EQ(report.peer_name, "speexdsp");
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
    ASSERT_TRUE(clip.peer.has_value());
    EXPECT_TRUE(std::isfinite(clip.peer->si_sdr));
  }
  // The classical peer removes some of the white noise.
  EXPECT_GT(report.groups[0].metrics[0].peer, report.groups[0].metrics[0].noisy);
}

// Evaluation runs the very enhancer of `nnse enhance`: its output for a clip is enhance_signal's, so a metric of
// the report is the metric of that output.
TEST(EvaluateClips, EnhancesExactlyAsTheStreamingEnhancer) {
  dsp::FrontendConfig config;
  nn::Model model(nn::parse_arch(kEvalArch, "eval-arch"), 5);
  const auto stats = some_stats(config);
  const auto noisy = noisy_signal(0.9, 3);
  const auto clean = test::speech_like(0.9, 16000, 3);
  train::ClipSet clips;
  clips.size = 1;
  clips.dc_removed = false;
  clips.get = [&](std::size_t, int) {
    data::Clip clip;
    clip.noisy = noisy;
    clip.clean = clean;
    return clip;
  };
  EvalOptions options;
  options.run_peer = false;
  options.enhancer.atten_lim_db = 20.0;
  const EvalReport report = evaluate_clips(model, config, stats, clips, options);
  const auto expected = enhance::enhance_signal(model, config, stats, noisy, {.atten_lim_db = 20.0});
  EXPECT_DOUBLE_EQ(report.clips[0].enhanced.si_sdr, metrics::si_sdr(clean, expected));
  EXPECT_TRUE(report.peer_name.empty());
  EXPECT_FALSE(report.clips[0].peer.has_value());
  // Pre-filtered clips are not filtered again for the features.
  options.input_dc_removed = true;
  const EvalReport filtered = evaluate_clips(model, config, stats, clips, options);
  dsp::FrontendConfig no_dc = config;
  no_dc.dc_removal = false;
  const auto expected_filtered = enhance::enhance_signal(model, no_dc, stats, noisy, {.atten_lim_db = 20.0});
  EXPECT_DOUBLE_EQ(filtered.clips[0].enhanced.si_sdr, metrics::si_sdr(clean, expected_filtered));
}

TEST(EvalSummary, CleanInputsFormTheirOwnGroupAfterTheSnrs) {
  std::vector<ClipEvaluation> clips = {
      {"a", 5.0, report(5, 0.8), report(8, 0.85), report(6, 0.82)},
      {"b", std::numeric_limits<double>::infinity(), report(60, 1.0), report(25, 0.999), std::nullopt},
  };
  const EvalReport r = summarize(clips, "speexdsp");
  ASSERT_EQ(r.groups.size(), 3u);
  EXPECT_EQ(r.groups[0].clips, 1);  // "all" is the clips with noise
  EXPECT_EQ(r.groups[1].label, "SNR 5 dB");
  EXPECT_EQ(r.groups[2].label, "clean");
  EXPECT_TRUE(r.groups[2].clean);
  EXPECT_DOUBLE_EQ(r.groups[1].metrics[0].peer, 6.0);
  // The peer did not run on the clean clip: no peer mean there (it would not compare like with like).
  EXPECT_TRUE(std::isnan(r.groups[2].metrics[0].peer));
  const std::string table = format_table(r);
  EXPECT_NE(table.find("speexdsp"), std::string::npos) << table;
  EXPECT_NE(table.find("clean (1 clip)"), std::string::npos) << table;
  const std::string summary = format_change_summary(r);
  EXPECT_NE(summary.find("| SNR 5 dB | 1 | +3.00 | +1.00 |"), std::string::npos) << summary;
  EXPECT_NE(summary.find("| clean (output vs input) | 1 | 25.00 | - |"), std::string::npos) << summary;
  const auto j = to_json(r);
  EXPECT_EQ(j["clips"][1]["snr_db"], "clean");
  EXPECT_EQ(j["peer"], "speexdsp");
}


}  // namespace
}  // namespace nnse::eval
