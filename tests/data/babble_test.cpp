// Babble augmentation: a training clip's noise made of other stretches of the training speech, drawn from the
// clip's own random stream, for the train split only.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <numbers>
#include <regex>

#include "data_fixtures.h"
#include "nnse/data/mixer.h"
#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::data {
namespace {

// The noise the mixer added: without reverberation and coloration the clean target is the scaled input speech.
std::vector<double> noise_part(const Clip& clip) {
  std::vector<double> noise(clip.noisy.size());
  for (std::size_t k = 0; k < noise.size(); ++k) noise[k] = static_cast<double>(clip.noisy[k]) - clip.clean[k];
  return noise;
}

// Share of the energy above `hz` in a Hann-windowed stretch of 2048 samples from the middle (a plain DFT).
double share_above(const std::vector<double>& x, double hz) {
  constexpr std::size_t n = 2048;
  static const auto [cosine, sine] = [] {
    std::vector<double> c(n), s(n);
    for (std::size_t k = 0; k < n; ++k) {
      c[k] = std::cos(2.0 * std::numbers::pi * static_cast<double>(k) / n);
      s[k] = std::sin(2.0 * std::numbers::pi * static_cast<double>(k) / n);
    }
    return std::pair{c, s};
  }();
  const std::size_t from = x.size() / 2 - n / 2;
  std::vector<double> windowed(n);
  for (std::size_t k = 0; k < n; ++k) windowed[k] = (0.5 - 0.5 * cosine[k]) * x[from + k];
  double high = 0.0, all = 0.0;
  for (std::size_t bin = 1; bin < n / 2; ++bin) {
    double re = 0.0, im = 0.0;
    for (std::size_t k = 0; k < n; ++k) {
      re += windowed[k] * cosine[bin * k % n];
      im -= windowed[k] * sine[bin * k % n];
    }
    const double power = re * re + im * im;
    all += power;
    if (static_cast<double>(bin) * 16000.0 / n > hz) high += power;
  }
  return high / all;
}

double correlation(const std::vector<double>& a, const std::vector<float>& b) {
  double ab = 0.0, aa = 0.0, bb = 0.0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    ab += a[k] * b[k];
    aa += a[k] * a[k];
    bb += static_cast<double>(b[k]) * b[k];
  }
  return ab / std::sqrt(aa * bb);
}

class Babble : public ::testing::Test {
 protected:
  void SetUp() override {
    // Speech of this corpus is tones of 200-2000 Hz, its noise coloured broadband noise: babble is told apart
    // by its spectrum.
    test::TinyCorpusOptions options;
    options.speech_files = 60;
    options.keyboard = false;
    test::make_manifest_corpus(dir_.path(), options);
    corpus_ = std::make_shared<Corpus>(CorpusSources{.corpus = dir_.path()}, 16000, nullptr);
    config_.seed = 5;
    config_.clip_seconds = 2.0;
    config_.datasize_noise = -1;
    config_.reverb_prob = 0.0;
    config_.snr_db = {0.0};
  }
  test::ScratchDir dir_{"nnse-babble"};
  std::shared_ptr<Corpus> corpus_;
  MixConfig config_;
};

TEST_F(Babble, TrainingClipsGetSpeechOfOtherStretchesAsNoise) {
  config_.babble_prob = 1.0;
  const Mixer train(corpus_, Split::train, config_);
  const std::regex label("babble of ([0-9]+) talkers");
  for (std::size_t i = 0; i < 4; ++i) {
    const Clip clip = train.make(i, 1);
    ASSERT_EQ(clip.meta.noise_files.size(), 1u);
    std::smatch match;
    ASSERT_TRUE(std::regex_match(clip.meta.noise_files[0], match, label)) << clip.meta.noise_files[0];
    const int talkers = std::stoi(match[1]);
    EXPECT_GE(talkers, 3);
    EXPECT_LE(talkers, 8);
    const auto noise = noise_part(clip);
    EXPECT_LT(share_above(noise, 2300.0), 0.01) << "clip " << i;  // tones only: no broadband recording
    EXPECT_LT(std::abs(correlation(noise, clip.clean)), 0.2) << "clip " << i << ": the clip's own speech is in its noise";
    EXPECT_EQ(clip.noisy, train.make(i, 1).noisy);  // deterministic from the seed
  }
}

TEST_F(Babble, IsDrawnPerClipAndOnlyForTraining) {
  config_.babble_prob = 0.5;
  const Mixer train(corpus_, Split::train, config_);
  int babble = 0;
  for (std::size_t i = 0; i < train.size(); ++i) {
    const Clip clip = train.make(i);
    const bool is_babble = clip.meta.noise_files.size() == 1 && clip.meta.noise_files[0].starts_with("babble");
    babble += is_babble;
    if (!is_babble) {
      EXPECT_GT(share_above(noise_part(clip), 2300.0), 0.05) << "clip " << i;  // a recording
    }
  }
  EXPECT_GT(babble, 0);
  EXPECT_LT(babble, static_cast<int>(train.size()));
  config_.babble_prob = 1.0;
  const Mixer valid(corpus_, Split::valid, config_);
  for (std::size_t i = 0; i < valid.size(); ++i) {
    EXPECT_FALSE(valid.make(i).meta.noise_files.at(0).starts_with("babble")) << "valid clip " << i;
  }
}

TEST_F(Babble, IsPartOfTheRecipeOnlyWhenOn) {
  EXPECT_FALSE(nlohmann::json(config_).contains("babble"));  // recipes made without it keep their identity
  config_.babble_prob = 0.25;
  config_.babble_min_talkers = 2;
  config_.babble_max_talkers = 5;
  const auto back = nlohmann::json(config_).get<MixConfig>();
  EXPECT_EQ(back.babble_prob, 0.25);
  EXPECT_EQ(back.babble_min_talkers, 2);
  EXPECT_EQ(back.babble_max_talkers, 5);
  config_.babble_prob = 1.5;
  EXPECT_THROW(config_.validate(), Error);
  config_.babble_prob = 0.5;
  config_.babble_min_talkers = 6;
  EXPECT_THROW(config_.validate(), Error);
}

}  // namespace
}  // namespace nnse::data
