// `nnse eval --peer-cmd`: an external command as the peer (RNNoise in practice, scripts/peers/rnnoise). These
// tests use only /bin/sh tools, so they need neither node nor the RNNoise package.
#include "nnse/eval/command_peer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "nnse/audio/audio_io.h"
#include "nnse/eval/evaluate.h"
#include "nnse/nn/arch.h"
#include "nnse/util/error.h"
#include "nnse/util/shell_command.h"
#include "test_support.h"

namespace nnse::eval {
namespace {
namespace fs = std::filesystem;

constexpr int kRate = 16000;

// Samples a 16-bit WAV holds exactly, so a copy through one comes back bit for bit.
std::vector<float> on_pcm16_grid(std::vector<float> x) {
  for (float& v : x) v = static_cast<float>(audio::to_pcm16(v)) / 32768.0f;
  return x;
}

std::vector<float> noisy_voice(double seconds, std::uint32_t seed) {
  auto x = test::speech_like(seconds, kRate, seed);
  const auto n = test::white_noise(x.size(), seed + 7, 0.05f);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] += n[i];
  return on_pcm16_grid(x);
}

using test::error_of;

TEST(CommandPeer, ACopyReturnsTheInputExactly) {
  const auto x = noisy_voice(0.7, 1);
  const CommandPeer peer("cp {in} {out}", "copy", kRate);
  EXPECT_EQ(peer.name(), "copy");
  EXPECT_EQ(peer.process(x), x);
}

TEST(CommandPeer, RunsTheTemplateWithQuotedPathsAndLeavesNoFilesBehind) {
  test::ScratchDir dir;
  const fs::path log = dir / "paths.txt";
  // The command sees a WAV at {in} and writes {out}; it records both paths so the test can look afterwards.
  const CommandPeer peer("echo {in} {out} > '" + log.string() + "' && test -s {in} && cp {in} {out}", "copy", kRate);
  const auto x = noisy_voice(0.5, 2);
  EXPECT_EQ(peer.process(x), x);
  std::ifstream paths(log);
  std::string in, out;
  paths >> in >> out;
  ASSERT_FALSE(in.empty());
  EXPECT_EQ(fs::path(in).filename(), "in.wav");
  EXPECT_EQ(fs::path(out).filename(), "out.wav");
  EXPECT_FALSE(fs::exists(in));
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(fs::path(in).parent_path())) << "the scratch folder is removed";
}

TEST(CommandPeer, AShortfallWithinTenMillisecondsIsPaddedAndMoreIsAnError) {
  test::ScratchDir dir;
  const auto x = noisy_voice(1.0, 3);
  // A tool that drops the last 5 ms (whole frames): accepted, the missing tail is silence.
  const std::vector<float> shorter(x.begin(), x.end() - kRate / 200);
  audio::write_wav16(dir / "shorter.wav", shorter, kRate);
  const CommandPeer trims("test -f {in} && cp '" + (dir / "shorter.wav").string() + "' {out}", "trim", kRate);
  const auto y = trims.process(x);
  ASSERT_EQ(y.size(), x.size());
  EXPECT_TRUE(std::equal(shorter.begin(), shorter.end(), y.begin()));
  EXPECT_EQ(y.back(), 0.0f);
  // Half the clip: refused, naming the option, the peer, the command and both lengths.
  const std::vector<float> half(x.begin(), x.begin() + static_cast<long>(x.size() / 2));
  audio::write_wav16(dir / "half.wav", half, kRate);
  const CommandPeer halves("test -f {in} && cp '" + (dir / "half.wav").string() + "' {out}", "half", kRate);
  const std::string message = error_of([&] { halves.process(x); });
  EXPECT_NE(message.find("--peer-cmd (half)"), std::string::npos) << message;
  EXPECT_NE(message.find("half.wav"), std::string::npos) << message;
  EXPECT_NE(message.find("8000 samples for an input of 16000"), std::string::npos) << message;
}

TEST(CommandPeer, FailuresNameTheCommandAndTheProblem) {
  test::ScratchDir dir;
  const auto x = noisy_voice(0.5, 4);
  // Non-zero exit: the status and what the tool said on standard error.
  std::string message = error_of([&] { CommandPeer("echo 'model file missing' >&2; exit 3 # {in} {out}", "t", kRate).process(x); });
  EXPECT_NE(message.find("--peer-cmd"), std::string::npos) << message;
  EXPECT_NE(message.find("exit status 3"), std::string::npos) << message;
  EXPECT_NE(message.find("model file missing"), std::string::npos) << message;
  // Success without an output file.
  message = error_of([&] { CommandPeer("true {in} {out}", "t", kRate).process(x); });
  EXPECT_NE(message.find("wrote nothing"), std::string::npos) << message;
  EXPECT_NE(message.find("true '"), std::string::npos) << message;  // the command as run, paths filled in
  // An output that is not audio.
  message = error_of([&] { CommandPeer("echo text > {out} # {in}", "t", kRate).process(x); });
  EXPECT_NE(message.find("not readable audio"), std::string::npos) << message;
  // The wrong rate (the same number of samples, so only the rate is wrong) and more than one channel.
  audio::write_wav16(dir / "8k.wav", x, 8000);
  message = error_of([&] { CommandPeer("cp '" + (dir / "8k.wav").string() + "' {out} # {in}", "t", kRate).process(x); });
  EXPECT_NE(message.find("8000 Hz"), std::string::npos) << message;
  {
    audio::WavWriter stereo(dir / "stereo.wav", kRate, 2);
    std::vector<float> interleaved(2 * x.size());
    for (std::size_t i = 0; i < x.size(); ++i) interleaved[2 * i] = interleaved[2 * i + 1] = x[i];
    stereo.write(interleaved);
    stereo.close();
  }
  message = error_of([&] { CommandPeer("cp '" + (dir / "stereo.wav").string() + "' {out} # {in}", "t", kRate).process(x); });
  EXPECT_NE(message.find("2 channels"), std::string::npos) << message;
}

TEST(CommandPeer, TheTemplateNeedsBothPlaceholdersAndTheNameALabel) {
  EXPECT_NE(error_of([] { CommandPeer("rnnoise {in}", "x", kRate); }).find("{out}"), std::string::npos);
  EXPECT_NE(error_of([] { CommandPeer("rnnoise > {out}", "x", kRate); }).find("{in}"), std::string::npos);
  EXPECT_NE(error_of([] { CommandPeer("cp {in} {out}", "", kRate); }).find("--peer-name"), std::string::npos);
  EXPECT_NE(error_of([] { CommandPeer("cp {in} {out}", "a|b", kRate); }).find("--peer-name"), std::string::npos);
}

// The evaluation with a command peer: `cp {in} {out}` hands back the mixture, so the peer's scores are exactly the
// noisy input's and its change is zero; the report says the peer's name.
const char* kTinyArch =
    "input_neurons 72\ndropprob 0.0\n"
    "layer_type conv1d\nnum_filters 4\nkernel_size 3\nactivation tanh\ndropprob 0.0\n"
    "layer_type lstm\nlayer_neurons 4\nactivation tanh\ndropprob 0.0\n"
    "layer_type fc\nlayer_neurons 257\nactivation sigmoid\n";

train::ClipSet synthetic_clips(std::size_t count) {
  train::ClipSet clips;
  clips.size = count;
  clips.description = "synthetic";
  clips.get = [](std::size_t index, int) {
    data::Clip clip;
    clip.clean = on_pcm16_grid(test::speech_like(1.0, kRate, static_cast<std::uint32_t>(index + 1)));
    clip.noisy = noisy_voice(1.0, static_cast<std::uint32_t>(index + 1));
    clip.meta.split = "test";
    clip.meta.snr_db = index % 2 == 0 ? 0.0 : 10.0;
    return clip;
  };
  return clips;
}

dsp::FeatureStats flat_stats(const dsp::FrontendConfig& config) {
  dsp::FeatureStats stats;
  stats.mean.assign(static_cast<std::size_t>(config.feature_dim()), -3.0f);
  stats.inv_std.assign(static_cast<std::size_t>(config.feature_dim()), 0.5f);
  return stats;
}

TEST(EvaluateWithCommandPeer, ACopyScoresExactlyAsTheNoisyInput) {
  dsp::FrontendConfig config;
  const nn::Model model(nn::parse_arch(kTinyArch, "tiny"), 3);
  EvalOptions options;
  options.threads = 2;
  options.peer_command = "cp {in} {out}";
  options.peer_name = "copy";
  const EvalReport report = evaluate_clips(model, config, flat_stats(config), synthetic_clips(4), options);
  EXPECT_EQ(report.peer_name, "copy");
  ASSERT_EQ(report.clips.size(), 4u);
  for (const auto& clip : report.clips) {
    ASSERT_TRUE(clip.peer.has_value());
    EXPECT_EQ(nlohmann::json(*clip.peer), nlohmann::json(clip.noisy)) << clip.name;
  }
  for (const auto& group : report.groups) {
    for (const auto& m : group.metrics) {
      if (m.count == 0) continue;
      EXPECT_EQ(m.peer, m.noisy) << group.label << " " << m.key;
      EXPECT_EQ(m.peer_improvement(), 0.0) << group.label << " " << m.key;
    }
  }
  EXPECT_NE(format_table(report).find("copy"), std::string::npos);
  EXPECT_NE(format_change_summary(report).find("SI-SDR dB copy"), std::string::npos);
  EXPECT_EQ(to_json(report)["peer"], "copy");
  // Without a command the peer is speexdsp, which changes the signal; without a peer there is none.
  options.peer_command.clear();
  EXPECT_EQ(evaluate_clips(model, config, flat_stats(config), synthetic_clips(1), options).peer_name, "speexdsp");
  options.peer_command = "cp {in} {out}";
  options.run_peer = false;
  const EvalReport none = evaluate_clips(model, config, flat_stats(config), synthetic_clips(1), options);
  EXPECT_TRUE(none.peer_name.empty());
  EXPECT_FALSE(none.clips[0].peer.has_value());
}

TEST(EvaluateWithCommandPeer, AFailingCommandStopsTheEvaluationWithItsError) {
  dsp::FrontendConfig config;
  const nn::Model model(nn::parse_arch(kTinyArch, "tiny"), 3);
  EvalOptions options;
  options.peer_command = "echo 'no such model' >&2; exit 1 # {in} {out}";
  options.peer_name = "broken";
  const std::string message =
      error_of([&] { evaluate_clips(model, config, flat_stats(config), synthetic_clips(3), options); });
  EXPECT_NE(message.find("--peer-cmd (broken)"), std::string::npos) << message;
  EXPECT_NE(message.find("no such model"), std::string::npos) << message;
  // A bad template is refused before any clip is enhanced.
  options.peer_command = "cp {in} somewhere.wav";
  bool clip_read = false;
  train::ClipSet clips = synthetic_clips(1);
  clips.get = [&, get = clips.get](std::size_t i, int epoch) {
    clip_read = true;
    return get(i, epoch);
  };
  EXPECT_NE(error_of([&] { evaluate_clips(model, config, flat_stats(config), clips, options); }).find("{out}"),
            std::string::npos);
  EXPECT_FALSE(clip_read);
}

}  // namespace
}  // namespace nnse::eval
