#include "nnse/metrics/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "nnse/metrics/report.h"
#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::metrics {
namespace {

constexpr int kRate = 16000;

std::vector<float> mix(const std::vector<float>& a, const std::vector<float>& b, double gain_b) {
  std::vector<float> out(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) out[i] = a[i] + static_cast<float>(gain_b) * b[i];
  return out;
}

std::vector<float> scaled(const std::vector<float>& a, float gain) {
  std::vector<float> out(a);
  for (auto& x : out) x *= gain;
  return out;
}

double energy(const std::vector<float>& x) {
  double e = 0.0;
  for (float v : x) e += static_cast<double>(v) * v;
  return e;
}

// Noise scaled so that speech / noise energy is `snr_db`.
std::vector<float> at_snr(const std::vector<float>& speech, const std::vector<float>& noise, double snr_db) {
  return mix(speech, noise, std::sqrt(energy(speech) / energy(noise) * std::pow(10.0, -snr_db / 10.0)));
}

TEST(SiSdr, MatchesTheCorrelationClosedForm) {
  // With zero-mean signals and rho their correlation coefficient, SI-SDR = 10 log10(rho^2 / (1 - rho^2)).
  const auto s = test::speech_like(1.0, kRate, 1);
  const auto e = mix(scaled(s, 0.7f), test::white_noise(s.size(), 2, 0.05f), 1.0);
  double ms = 0.0, me = 0.0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    ms += s[i];
    me += e[i];
  }
  ms /= static_cast<double>(s.size());
  me /= static_cast<double>(s.size());
  double se = 0.0, ss = 0.0, ee = 0.0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    se += (s[i] - ms) * (e[i] - me);
    ss += (s[i] - ms) * (s[i] - ms);
    ee += (e[i] - me) * (e[i] - me);
  }
  const double rho2 = se * se / (ss * ee);
  EXPECT_NEAR(si_sdr(s, e), 10.0 * std::log10(rho2 / (1.0 - rho2)), 1e-9);
}

TEST(SiSdr, InvariantToLevelAndOffsetAndHighForIdentical) {
  const auto s = test::speech_like(1.0, kRate, 3);
  const auto e = at_snr(s, test::white_noise(s.size(), 4), 5.0);
  const double v = si_sdr(s, e);
  EXPECT_NEAR(si_sdr(s, scaled(e, 0.1f)), v, 1e-6);
  EXPECT_NEAR(si_sdr(scaled(s, 3.7f), e), v, 1e-6);
  std::vector<float> shifted(e);
  for (auto& x : shifted) x += 0.01f;
  EXPECT_NEAR(si_sdr(s, shifted), v, 1e-5);
  EXPECT_EQ(si_sdr(s, s), kDbLimit);
  EXPECT_EQ(si_sdr(s, scaled(s, 0.5f)), kDbLimit);
  EXPECT_EQ(si_sdr(s, std::vector<float>(s.size(), 0.0f)), -kDbLimit);
  EXPECT_EQ(si_sdr(std::vector<float>(s.size(), 0.0f), s), -kDbLimit);
}

TEST(Snr, ClosedFormAndLevelSensitive) {
  const auto s = test::speech_like(1.0, kRate, 5);
  const auto n = test::white_noise(s.size(), 6);
  const auto e = mix(s, n, 0.3);
  EXPECT_NEAR(snr(s, e), 10.0 * std::log10(energy(s) / (0.09 * energy(n))), 1e-4);
  EXPECT_NEAR(snr(s, scaled(s, 0.5f)), 10.0 * std::log10(4.0), 1e-6);  // SI-SDR would say: perfect
  EXPECT_EQ(snr(s, s), kDbLimit);
}

TEST(SegmentalSnr, ClampsFramesAndAverages) {
  const auto noise = test::white_noise(kRate, 7, 0.1f);
  // The error is a fixed fraction of the reference in every frame: every frame has the same SNR.
  EXPECT_NEAR(segmental_snr(noise, scaled(noise, 1.1f), kRate), 20.0, 1e-4);
  EXPECT_NEAR(segmental_snr(noise, scaled(noise, 1.0001f), kRate), kSegSnrCeilingDb, 1e-9);
  EXPECT_EQ(segmental_snr(noise, noise, kRate), kSegSnrCeilingDb);
  // Silent reference frames count at the floor.
  EXPECT_EQ(segmental_snr(std::vector<float>(noise.size(), 0.0f), noise, kRate), kSegSnrFloorDb);
  // Half silent, half at 20 dB: frames = 30 ms with a 15 ms hop; count them to predict the mean.
  std::vector<float> half(noise);
  std::fill(half.begin(), half.begin() + kRate / 2, 0.0f);
  const std::size_t frame = 480, hop = 240;
  double expected = 0.0;
  int frames = 0;
  for (std::size_t start = 0; start + frame <= half.size(); start += hop, ++frames) {
    expected += start + frame <= static_cast<std::size_t>(kRate / 2) ? kSegSnrFloorDb : 20.0;
  }
  EXPECT_NEAR(segmental_snr(half, scaled(half, 1.1f), kRate), expected / frames, 1e-4);
  EXPECT_THROW(segmental_snr(std::vector<float>(100, 0.1f), std::vector<float>(100, 0.1f), kRate), Error);
}

TEST(LogSpectralDistance, ZeroForIdenticalAndTheGainInDb) {
  const auto noise = test::white_noise(kRate, 8, 0.1f);
  EXPECT_EQ(log_spectral_distance(noise, noise, kRate), 0.0);
  // A gain of 2 shifts every (well above the floor) bin by 20 log10(2) dB.
  EXPECT_NEAR(log_spectral_distance(noise, scaled(noise, 2.0f), kRate), 20.0 * std::log10(2.0), 1e-3);
  const auto s = test::speech_like(1.0, kRate, 9);
  double last = 1e9;
  for (double snr_db : {-10.0, 0.0, 10.0, 20.0}) {
    const double v = log_spectral_distance(s, at_snr(s, test::white_noise(s.size(), 10), snr_db), kRate);
    EXPECT_LT(v, last) << snr_db;
    last = v;
  }
}

TEST(SiSdr, MonotonicInSnr) {
  const auto s = test::speech_like(2.0, kRate, 11);
  const auto n = test::white_noise(s.size(), 12);
  double last = -1e9;
  for (double snr_db = -10.0; snr_db <= 20.0; snr_db += 5.0) {
    const double v = si_sdr(s, at_snr(s, n, snr_db));
    EXPECT_NEAR(v, snr_db, 0.5);  // independent noise: SI-SDR is close to the mixing SNR
    EXPECT_GT(v, last);
    last = v;
  }
}

TEST(MetricReport, ComputesEverythingAndRoundTripsJson) {
  const auto s = test::speech_like(2.0, kRate, 13);
  const auto e = at_snr(s, test::white_noise(s.size(), 14), 10.0);
  const MetricReport r = compute_metrics(s, e, kRate);
  EXPECT_EQ(r.si_sdr, si_sdr(s, e));
  EXPECT_EQ(r.snr, snr(s, e));
  EXPECT_EQ(r.segmental_snr, segmental_snr(s, e, kRate));
  EXPECT_EQ(r.lsd, log_spectral_distance(s, e, kRate));
  ASSERT_TRUE(r.stoi && r.estoi);
  EXPECT_GT(*r.stoi, 0.5);
  EXPECT_FALSE(r.pesq);
  const nlohmann::json j = r;
  EXPECT_TRUE(j.at("pesq").is_null());
  EXPECT_EQ(j.at("stoi").get<double>(), *r.stoi);
  EXPECT_EQ(r.onset_gain, onset_gain(s, e, kRate));
  const auto back = j.get<MetricReport>();
  EXPECT_FALSE(r.onset_gain);  // continuous speech-like signal: no pause before a word
  EXPECT_TRUE(j.at("onset_gain_db").is_null());
  EXPECT_EQ(back.si_sdr, r.si_sdr);
  EXPECT_EQ(back.lsd, r.lsd);
  EXPECT_EQ(back.estoi, r.estoi);
  EXPECT_FALSE(back.pesq);
  // Too short for STOI: absent, the rest still there.
  const std::vector<float> short_clip(s.begin(), s.begin() + kRate / 5);
  const MetricReport brief = compute_metrics(short_clip, short_clip, kRate);
  EXPECT_FALSE(brief.stoi);
  EXPECT_FALSE(brief.estoi);
  EXPECT_EQ(brief.si_sdr, kDbLimit);
  EXPECT_TRUE(nlohmann::json(brief).at("stoi").is_null());
  // Lengths that differ: the common part.
  std::vector<float> longer(e);
  longer.resize(e.size() + 77, 0.3f);
  EXPECT_EQ(compute_metrics(s, longer, kRate).snr, r.snr);
}

// Three 0.5 s words after 0.4 s pauses: the onsets the metric must find at 0.4, 1.3 and 2.2 s.
constexpr std::size_t kWordStarts[] = {kRate * 2 / 5, kRate * 13 / 10, kRate * 22 / 10};

std::vector<float> words_with_pauses() {
  const auto word = test::speech_like(0.5, kRate, 21);
  std::vector<float> out;
  for (int w = 0; w < 3; ++w) {
    out.insert(out.end(), static_cast<std::size_t>(kRate * 2 / 5), 0.0f);
    out.insert(out.end(), word.begin(), word.end());
  }
  out.insert(out.end(), static_cast<std::size_t>(kRate / 5), 0.0f);
  return out;
}

TEST(OnsetGain, ZeroForTheInputAndTheGainOfAFlatScale) {
  const auto s = words_with_pauses();
  ASSERT_TRUE(onset_gain(s, s, kRate));
  EXPECT_NEAR(*onset_gain(s, s, kRate), 0.0, 1e-9);
  EXPECT_NEAR(*onset_gain(s, scaled(s, 0.5f), kRate), 20.0 * std::log10(0.5), 1e-6);
  // A silent estimate sits at the floor, not at minus infinity.
  EXPECT_NEAR(*onset_gain(s, std::vector<float>(s.size(), 0.0f), kRate), -kOnset.floor_db, 1e-9);
}

TEST(OnsetGain, MeasuresALateOpeningAndIgnoresTheRestOfTheWord) {
  const auto s = words_with_pauses();
  // An enhancer that keeps each word's first 40 ms at a tenth and the rest at full level: over the 80 ms windows
  // the least-squares gain is the energy-weighted mean of 0.1 and 1.
  std::vector<float> late(s);
  const std::size_t hop = kRate / 100;
  for (std::size_t start : kWordStarts) {
    for (std::size_t i = start; i < start + 4 * hop; ++i) late[i] *= 0.1f;
  }
  double expected = 0.0;
  for (std::size_t start : kWordStarts) {
    double head = 0.0, all = 0.0;
    for (std::size_t i = start; i < start + 8 * hop; ++i) {
      all += static_cast<double>(s[i]) * s[i];
      if (i < start + 4 * hop) head += static_cast<double>(s[i]) * s[i];
    }
    expected += 20.0 * std::log10((0.1 * head + (all - head)) / all) / 3.0;
  }
  ASSERT_TRUE(onset_gain(s, late, kRate));
  EXPECT_NEAR(*onset_gain(s, late, kRate), expected, 1e-6);
  EXPECT_LT(expected, -1.0);
  // Cutting the words' ends instead leaves the onsets alone.
  std::vector<float> tails(s);
  for (std::size_t start : kWordStarts) {
    for (std::size_t i = start + 20 * hop; i < start + kRate / 2; ++i) tails[i] = 0.0f;
  }
  EXPECT_NEAR(*onset_gain(s, tails, kRate), 0.0, 1e-9);
}

TEST(OnsetGain, NoiseInTheEstimateLeavesItNearTheGainApplied) {
  const auto s = words_with_pauses();
  const auto noisy = mix(scaled(s, 0.5f), test::white_noise(s.size(), 22, 0.05f), 1.0);
  ASSERT_TRUE(onset_gain(s, noisy, kRate));
  EXPECT_NEAR(*onset_gain(s, noisy, kRate), 20.0 * std::log10(0.5), 0.5);
}

TEST(OnsetGain, InTheReportAndItsJson) {
  const auto s = words_with_pauses();
  const auto e = scaled(s, 0.5f);
  const MetricReport r = compute_metrics(s, e, kRate);
  ASSERT_TRUE(r.onset_gain);
  EXPECT_EQ(*r.onset_gain, *onset_gain(s, e, kRate));
  nlohmann::json j = r;
  EXPECT_EQ(j.at("onset_gain_db").get<double>(), *r.onset_gain);
  EXPECT_EQ(j.get<MetricReport>().onset_gain, r.onset_gain);
  j.erase("onset_gain_db");  // a report written before the onset gain existed
  EXPECT_FALSE(j.get<MetricReport>().onset_gain);
}

TEST(OnsetGain, AbsentWithoutAPauseBeforeAWord) {
  const auto s = test::speech_like(2.0, kRate, 23);  // continuous: no frame stands 20 dB above the 300 ms before it
  EXPECT_FALSE(onset_gain(s, s, kRate));
  EXPECT_FALSE(onset_gain({}, {}, kRate));
  std::vector<float> silent(kRate, 0.0f);
  EXPECT_FALSE(onset_gain(silent, silent, kRate));
  EXPECT_THROW(onset_gain(s, s, 0), Error);
}

TEST(ExternalPesq, ParsesTheScoreLineAndReportsFailures) {
  test::ScratchDir dir("nnse-pesq-test");
  const auto ref = dir / "it's a ref.wav";  // quoting: spaces and a quote in the path
  const auto deg = dir / "deg.wav";
  std::ofstream(ref) << "x";
  std::ofstream(deg) << "y";
  const auto tool = dir / "tool.sh";
  std::ofstream(tool) << "#!/bin/sh\n[ -f \"$1\" ] && [ -f \"$2\" ] || exit 3\n"
                         "echo 'P.862 Prediction (Raw MOS, MOS-LQO):  = 2.875   3.125'\n";
  const std::string sh = "sh '" + tool.string() + "'";
  EXPECT_EQ(external_pesq(sh, ref, deg), 3.125);               // paths appended
  EXPECT_EQ(external_pesq(sh + " {ref} {deg}", ref, deg), 3.125);
  EXPECT_EQ(external_pesq(sh + " {deg} {ref}", ref, deg), 3.125);
  // A failing tool or an output without a score is an error naming --pesq-cmd, not a silently absent PESQ.
  EXPECT_THROW(external_pesq(sh + " {ref} /nonexistent", ref, deg), Error);
  EXPECT_THROW(external_pesq("test -f {ref} && echo no score here", ref, deg), Error);
  EXPECT_THROW(external_pesq("exit 1 {ref}", ref, deg), Error);
  EXPECT_EQ(external_pesq("echo 4.5e-1 {ref} >/dev/null; echo 'MOS: 4.5e-1'", ref, deg), 0.45);
  // Through compute_metrics: the WAV files it hands over exist while the tool runs.
  const auto s = test::speech_like(1.0, kRate, 15);
  const MetricReport r = compute_metrics(s, s, kRate, {sh});
  EXPECT_EQ(r.pesq, 3.125);
}

}  // namespace
}  // namespace nnse::metrics
