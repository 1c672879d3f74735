// Mixtures: determinism, split isolation, SNR on active speech, level, reverberation, one-shot sequencing,
// --datasize-noise, on-the-fly source.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "data_fixtures.h"
#include "nnse/audio/audio_io.h"
#include "nnse/data/clip_source.h"
#include "nnse/data/level.h"
#include "nnse/data/mixer.h"
#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::data {
namespace {
namespace fs = std::filesystem;

struct Fixture {
  test::ScratchDir dir{"nnse-mixer"};
  std::shared_ptr<Corpus> corpus;
  explicit Fixture(const test::TinyCorpusOptions& options = {}) {
    test::make_manifest_corpus(dir.path(), options);
    corpus = std::make_shared<Corpus>(CorpusSources{.corpus = dir.path()}, 16000, std::make_shared<SkipLog>());
  }
};

MixConfig small_config() {
  MixConfig c;
  c.seed = 11;
  c.clip_seconds = 4.0;
  c.datasize_noise = -1;
  return c;
}

std::vector<float> difference(const std::vector<float>& a, const std::vector<float>& b) {
  std::vector<float> d(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
  return d;
}

TEST(Mixer, SameSeedSameClipInAnyOrderDifferentSeedDiffers) {
  Fixture f;
  const Mixer a(f.corpus, Split::train, small_config());
  auto other_corpus = std::make_shared<Corpus>(CorpusSources{.corpus = f.dir.path()}, 16000, nullptr);
  const Mixer b(other_corpus, Split::train, small_config());
  ASSERT_GE(a.size(), 6u);
  const Clip late_first = b.make(5);
  for (std::size_t i = 0; i < 6; ++i) {
    const Clip x = a.make(i), y = b.make(i);
    EXPECT_EQ(x.noisy, y.noisy) << i;
    EXPECT_EQ(x.clean, y.clean) << i;
    EXPECT_EQ(nlohmann::json(x.meta), nlohmann::json(y.meta));
  }
  EXPECT_EQ(late_first.noisy, a.make(5).noisy);
  EXPECT_EQ(a.recipe(), b.recipe());
  MixConfig other = small_config();
  other.seed = 12;
  const Mixer c(f.corpus, Split::train, other);
  EXPECT_NE(c.make(0).noisy, a.make(0).noisy);
  EXPECT_NE(c.recipe(), a.recipe());
  // Epochs give new mixtures of the same split.
  EXPECT_NE(a.make(0, 1).noisy, a.make(0, 0).noisy);
}

TEST(Mixer, ClipsOfASplitUseOnlyThatSplitsFiles) {
  Fixture f;
  MixConfig config = small_config();
  config.reverb_prob = 0.5;
  for (const Split split : {Split::train, Split::valid, Split::test}) {
    const Mixer mixer(f.corpus, split, config);
    std::set<std::string> own;
    for (const Kind kind : {Kind::speech, Kind::noise, Kind::rir}) {
      for (const auto& file : f.corpus->files(split).of(kind)) own.insert(file.name);
    }
    std::size_t reverberant = 0;
    for (std::size_t i = 0; i < mixer.size(); ++i) {
      for (const int epoch : {0, 3}) {
        const Clip clip = mixer.make(i, epoch);
        EXPECT_EQ(clip.meta.split, to_string(split));
        for (const auto& piece : clip.meta.speech) EXPECT_TRUE(own.count(piece.file)) << piece.file;
        for (const auto& noise : clip.meta.noise_files) EXPECT_TRUE(own.count(noise)) << noise;
        if (clip.meta.reverb) {
          EXPECT_TRUE(own.count(clip.meta.rir)) << clip.meta.rir;
          ++reverberant;
        }
      }
    }
    EXPECT_GT(reverberant, 0u) << to_string(split);
  }
}

TEST(Mixer, RealizedSnrOnActiveSpeechIsTheDrawnSnr) {
  Fixture f;
  MixConfig config = small_config();
  config.reverb_prob = 0.0;
  const Mixer mixer(f.corpus, Split::train, config);
  std::set<double> seen;
  for (std::size_t i = 0; i < std::min<std::size_t>(mixer.size(), 40); ++i) {
    const Clip clip = mixer.make(i);
    if (!clip.meta.snr_db) continue;
    // Oracle independent of level.h: the synthetic speech is active on every sample it occupies, so active
    // power = power over the speech pieces the metadata lists.
    double speech_energy = 0.0;
    std::size_t speech_samples = 0;
    for (const auto& piece : clip.meta.speech) {
      for (std::int64_t k = piece.clip_offset; k < piece.clip_offset + piece.length; ++k) {
        speech_energy += static_cast<double>(clip.clean[static_cast<std::size_t>(k)]) * clip.clean[static_cast<std::size_t>(k)];
      }
      speech_samples += static_cast<std::size_t>(piece.length);
    }
    ASSERT_GT(speech_samples, 0u);
    const auto noise = difference(clip.noisy, clip.clean);
    const double realized = 10 * std::log10((speech_energy / static_cast<double>(speech_samples)) / mean_power(noise));
    EXPECT_NEAR(realized, *clip.meta.snr_db, 0.5) << "clip " << i;
    seen.insert(*clip.meta.snr_db);
    for (const double snr : {*clip.meta.snr_db}) {
      EXPECT_TRUE(std::find(config.snr_db.begin(), config.snr_db.end(), snr) != config.snr_db.end());
    }
  }
  EXPECT_GE(seen.size(), 5u);  // the draw covers the list
}

TEST(Mixer, PeakLevelIsUniformInRange) {
  Fixture f;
  const Mixer mixer(f.corpus, Split::train, small_config());
  double low = 1.0, high = 0.0;
  for (std::size_t i = 0; i < std::min<std::size_t>(mixer.size(), 60); ++i) {
    const Clip clip = mixer.make(i);
    float peak = 0.0f, clean_peak = 0.0f;
    for (const float v : clip.noisy) peak = std::max(peak, std::fabs(v));
    for (const float v : clip.clean) clean_peak = std::max(clean_peak, std::fabs(v));
    EXPECT_GE(peak, 0.01f - 1e-6f);
    EXPECT_LE(peak, 0.95f + 1e-6f);
    EXPECT_NEAR(peak, clip.meta.peak, 1e-5);
    EXPECT_LT(clean_peak, 1.0f);  // fits 16-bit storage
    low = std::min(low, static_cast<double>(peak));
    high = std::max(high, static_cast<double>(peak));
  }
  EXPECT_LT(low, 0.2);   // about 40 dB of level augmentation is used
  EXPECT_GT(high, 0.7);
}

TEST(Mixer, PeakLevelUniformInDbMakesQuietClipsCommon) {
  // 0.001-1 uniform in dB: half the clips peak below -30 dBFS (uniform in amplitude: about 3 %).
  Fixture f;
  MixConfig config = small_config();
  config.min_peak = 0.001;
  config.max_peak = 1.0;
  config.peak_uniform_in_db = true;
  const Mixer mixer(f.corpus, Split::train, config);
  std::size_t quiet = 0, clips = 0;
  for (std::size_t i = 0; i < std::min<std::size_t>(mixer.size(), 60); ++i, ++clips) {
    const Clip clip = mixer.make(i);
    float peak = 0.0f;
    for (const float v : clip.noisy) peak = std::max(peak, std::fabs(v));
    EXPECT_GE(peak, 0.001f * (1.0f - 1e-4f));
    EXPECT_LE(peak, 1.0f);
    if (peak < 0.0316f) ++quiet;
  }
  EXPECT_GT(quiet, clips / 4);
  EXPECT_LT(quiet, 3 * clips / 4);
  // Only a recipe that uses it names it, so recipes made without it keep their identity.
  EXPECT_TRUE(nlohmann::json(config).contains("peak_uniform_in_db"));
  EXPECT_FALSE(nlohmann::json(small_config()).contains("peak_uniform_in_db"));
  EXPECT_TRUE(nlohmann::json(config).get<MixConfig>().peak_uniform_in_db);
}

double correlation(const std::vector<float>& x, const std::vector<float>& y, std::size_t from) {
  double xy = 0, xx = 0, yy = 0;
  for (std::size_t n = from; n < x.size(); ++n) {
    xy += static_cast<double>(x[n]) * y[n];
    xx += static_cast<double>(x[n]) * x[n];
    yy += static_cast<double>(y[n]) * y[n];
  }
  return xy / std::sqrt(xx * yy);
}

TEST(Mixer, ReverbTargetKeepsTheDirectPathAndEarlyReflections) {
  Fixture f;
  MixConfig dry_config = small_config(), wet_config = small_config();
  dry_config.reverb_prob = 0.0;
  wet_config.reverb_prob = 1.0;
  const Mixer dry(f.corpus, Split::train, dry_config), wet(f.corpus, Split::train, wet_config);
  std::size_t checked = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    // The reverb draw changes nothing else: same speech window, SNR, noise file and level draws.
    const Clip a = dry.make(i), b = wet.make(i);
    ASSERT_TRUE(b.meta.reverb);
    ASSERT_FALSE(a.meta.reverb);
    if (!a.meta.snr_db) continue;
    // Rebuild the expected target from the dry clip and the RIR the metadata names: dry speech convolved with
    // the shortened RIR, aligned on its (negative) peak.
    const auto h = audio::read_mono(f.dir / b.meta.rir, 16000, false);
    const auto rir = prepare_rir(h, 16000, wet_config.rir);
    const auto expected = fft_convolve(a.clean, {rir.target, rir.full}, rir.peak, a.clean.size());
    const std::size_t from = 8000;  // past the part that depends on speech before the window
    EXPECT_GT(correlation(b.clean, expected[0], from), 0.999) << "clip " << i;
    EXPECT_LT(correlation(b.clean, expected[1], from), correlation(b.clean, expected[0], from));
    ++checked;
  }
  EXPECT_GT(checked, 3u);
}

TEST(Mixer, ReverbInputIsTheFullRirAndTargetTheShortenedOne) {
  // Direct check on the signals the mixer builds: compare the reverberant input's and target's late energy.
  Fixture f;
  MixConfig config = small_config();
  config.reverb_prob = 1.0;
  config.snr_db = {30};
  const Mixer mixer(f.corpus, Split::train, config);
  const Clip clip = mixer.make(0);
  ASSERT_TRUE(clip.meta.reverb);
  const auto& input = clip.noisy;  // reverberant speech + noise 30 dB down
  // After every utterance ends, the input rings on (full RIR) while the target decays faster.
  double input_tail = 0, target_tail = 0;
  for (const auto& piece : clip.meta.speech) {
    const auto end = piece.clip_offset + piece.length;
    for (std::int64_t k = end + 800; k < end + 3200 && k < static_cast<std::int64_t>(clip.clean.size()); ++k) {
      input_tail += static_cast<double>(input[static_cast<std::size_t>(k)]) * input[static_cast<std::size_t>(k)];
      target_tail += static_cast<double>(clip.clean[static_cast<std::size_t>(k)]) * clip.clean[static_cast<std::size_t>(k)];
    }
  }
  EXPECT_GT(input_tail, 1.5 * target_tail);
}

TEST(Mixer, TargetWithoutLateDecayKeepsTheRoomOfTheInput) {
  // --target-late-decay 0: the target is the input's own reverberant speech, so a clean clip's target equals its
  // input; with the default decay the same clip's target has less reverberation than its input.
  Fixture f;
  MixConfig keep = small_config(), decay = small_config();
  for (MixConfig* c : {&keep, &decay}) {
    c->reverb_prob = 1.0;
    c->snr_db = {std::numeric_limits<double>::infinity()};
  }
  keep.rir.extra_decay_db_per_second = 0.0;
  const Mixer keeping(f.corpus, Split::train, keep), decaying(f.corpus, Split::train, decay);
  for (std::size_t i = 0; i < 4; ++i) {
    const Clip a = keeping.make(i), b = decaying.make(i);
    ASSERT_TRUE(a.meta.reverb);
    ASSERT_EQ(a.meta.rir, b.meta.rir);
    ASSERT_EQ(a.noisy.size(), a.clean.size());
    double worst = 0.0, scale = 0.0;
    for (std::size_t n = 0; n < a.noisy.size(); ++n) {
      worst = std::max(worst, static_cast<double>(std::fabs(a.noisy[n] - a.clean[n])));
      scale = std::max(scale, static_cast<double>(std::fabs(a.clean[n])));
    }
    EXPECT_LT(worst, 1e-5 * scale) << "clip " << i;
    // The input is the same signal (its level may follow the target's: levels are set on both together).
    EXPECT_GT(correlation(a.noisy, b.noisy, 0), 0.999999) << "clip " << i;
    EXPECT_LT(correlation(b.noisy, b.clean, 0), 0.9999) << "clip " << i;
  }
}

TEST(Mixer, OneShotsAreSequencedIntoATypingStream) {
  Fixture f;
  MixConfig config = small_config();
  config.clip_seconds = 6.0;
  const Mixer mixer(f.corpus, Split::train, config);
  const auto& types = mixer.noise_types();
  const auto keys = static_cast<std::size_t>(std::find(types.begin(), types.end(), "noise/keys") - types.begin());
  ASSERT_LT(keys, types.size());
  const Clip clip = mixer.make(keys);  // clip i has type i mod T
  EXPECT_EQ(clip.meta.noise_type, "noise/keys");
  EXPECT_TRUE(clip.meta.one_shot_stream);
  EXPECT_GE(clip.meta.noise_files.size(), 3u);
  // Count key onsets in the noise: 10 ms frames whose energy jumps by 10 dB over the previous frame.
  const auto noise = difference(clip.noisy, clip.clean);
  std::vector<double> energy;
  for (std::size_t s = 0; s + 160 <= noise.size(); s += 160) {
    double e = 0;
    for (std::size_t k = s; k < s + 160; ++k) e += static_cast<double>(noise[k]) * noise[k];
    energy.push_back(e + 1e-12);
  }
  int onsets = 0;
  for (std::size_t t = 1; t < energy.size(); ++t) onsets += energy[t] > 10 * energy[t - 1] ? 1 : 0;
  EXPECT_GE(onsets, 10);  // typing at 3-12 keys per second, with pauses
  EXPECT_LE(onsets, 80);
  // A long noise file is cropped, not sequenced.
  const auto hum = static_cast<std::size_t>(std::find(types.begin(), types.end(), "noise/hum") - types.begin());
  EXPECT_FALSE(mixer.make(hum).meta.one_shot_stream);
}

TEST(Mixer, DatasizeNoiseDrawsNSpeechFilesPerNoiseType) {
  Fixture f;
  MixConfig config = small_config();
  config.datasize_noise = 6;
  config.clip_seconds = 2.0;
  const Mixer train(f.corpus, Split::train, config);
  EXPECT_EQ(train.speech_per_type(), 6u);
  const Mixer valid(f.corpus, Split::valid, config);
  EXPECT_EQ(valid.speech_per_type(), 2u);  // N/5 rounded up, as the reference's test set
  const auto types = train.noise_types().size();
  EXPECT_EQ(train.size(), types * train.clips_per_type());
  std::map<std::string, std::set<std::string>> per_type;
  for (std::size_t i = 0; i < train.size(); ++i) {
    const Clip clip = train.make(i);
    for (const auto& piece : clip.meta.speech) per_type[clip.meta.noise_type].insert(piece.file);
  }
  for (const auto& [type, files] : per_type) EXPECT_LE(files.size(), 6u) << type;
  config.datasize_noise = -1;
  EXPECT_EQ(Mixer(f.corpus, Split::train, config).speech_per_type(), f.corpus->files(Split::train).speech.size());
}

TEST(Mixer, EveryUtteranceIsUsedOncePerTypeAndClipsAreFilledWithSpeech) {
  Fixture f;
  MixConfig config = small_config();
  config.clip_seconds = 3.0;
  const Mixer mixer(f.corpus, Split::train, config);
  std::map<std::string, std::set<std::string>> per_type;
  double active = 0;
  for (std::size_t i = 0; i < mixer.size(); ++i) {
    const Clip clip = mixer.make(i);
    for (const auto& piece : clip.meta.speech) per_type[clip.meta.noise_type].insert(piece.file);
    active += clip.meta.active_fraction;
  }
  const auto speech = f.corpus->files(Split::train).speech.size();
  for (const auto& [type, files] : per_type) EXPECT_GE(files.size(), speech - 2) << type;
  // Utterances 1-2.5 s with 0.25-2 s silences on both sides: speech is about 45 % of the time.
  EXPECT_GT(active / static_cast<double>(mixer.size()), 0.3);
}

TEST(Mixer, ConfigRoundTripsThroughJsonAndIsValidated) {
  MixConfig c = small_config();
  c.reverb_prob = 0.3;
  c.snr_db = {0, 5};
  const nlohmann::json j = c;
  const MixConfig back = j.get<MixConfig>();
  EXPECT_EQ(nlohmann::json(back), j);
  MixConfig bad = c;
  bad.reverb_prob = 1.5;
  EXPECT_THROW(bad.validate(), Error);
  bad = c;
  bad.datasize_noise = 0;
  EXPECT_THROW(bad.validate(), Error);
}

MixConfig colored_config(double eq_db) {
  MixConfig c = small_config();
  c.reverb_prob = 0.0;
  c.coloration.max_db = eq_db;
  return c;
}

TEST(Mixer, ColorationTouchesTrainingClipsOnlyAndKeepsTheSnr) {
  Fixture f;
  const Mixer plain(f.corpus, Split::train, colored_config(0.0));
  const Mixer colored(f.corpus, Split::train, colored_config(6.0));
  EXPECT_EQ(plain.recipe(), Mixer(f.corpus, Split::train, MixConfig(colored_config(0.0))).recipe());
  EXPECT_NE(plain.recipe(), colored.recipe());
  EXPECT_FALSE(nlohmann::json(colored_config(0.0)).contains("coloration"));  // recipes without it are unchanged
  int compared = 0;
  for (std::size_t i = 0; i < std::min<std::size_t>(plain.size(), 8); ++i) {
    const Clip a = plain.make(i), b = colored.make(i);
    if (!b.meta.snr_db) continue;
    ++compared;
    // Same draws otherwise (SNR, noise file, offset), different signals.
    EXPECT_EQ(a.meta.snr_db, b.meta.snr_db);
    EXPECT_EQ(a.meta.noise_files, b.meta.noise_files);
    EXPECT_NE(a.noisy, b.noisy);
    EXPECT_NE(a.clean, b.clean);
    // The SNR is set after coloring: measured on the colored speech and noise it is still the drawn one.
    std::vector<float> noise(b.noisy.size());
    for (std::size_t k = 0; k < noise.size(); ++k) noise[k] = b.noisy[k] - b.clean[k];
    const double speech = active_speech_level(b.clean, 16000).power;
    EXPECT_NEAR(10 * std::log10(speech / mean_power(noise)), *b.meta.snr_db, 0.05) << i;
    EXPECT_EQ(b.noisy, colored.make(i).noisy);  // deterministic
  }
  EXPECT_GT(compared, 0);
  for (const Split split : {Split::valid, Split::test}) {
    const Mixer held_out_plain(f.corpus, split, colored_config(0.0));
    const Mixer held_out_colored(f.corpus, split, colored_config(6.0));
    ASSERT_GT(held_out_plain.size(), 0u);
    EXPECT_EQ(held_out_plain.make(0).noisy, held_out_colored.make(0).noisy);
  }
}

TEST(Mixer, ColorationConfigRoundTripsAndIsValidated) {
  MixConfig c = colored_config(4.5);
  c.coloration.bands = 2;
  const nlohmann::json j = c;
  EXPECT_EQ(nlohmann::json(j.get<MixConfig>()), j);
  MixConfig bad = colored_config(30.0);
  EXPECT_THROW(bad.validate(), Error);
  bad = colored_config(-1.0);
  EXPECT_THROW(bad.validate(), Error);
  EXPECT_NO_THROW(colored_config(6.0).validate());
}

TEST(Mixer, CleanSnrAddsNoNoiseAndRoundTripsThroughJson) {
  Fixture f;
  MixConfig config = small_config();
  config.reverb_prob = 0.0;
  config.snr_db = {std::numeric_limits<double>::infinity()};
  const Mixer mixer(f.corpus, Split::test, config);
  int speech_clips = 0;
  for (std::size_t i = 0; i < std::min<std::size_t>(mixer.size(), 6); ++i) {
    const Clip clip = mixer.make(i);
    EXPECT_EQ(clip.noisy, clip.clean) << i;  // nothing added
    if (!clip.meta.snr_db) continue;
    ++speech_clips;
    EXPECT_TRUE(std::isinf(*clip.meta.snr_db));
    const nlohmann::json meta = clip.meta;
    EXPECT_EQ(meta["snr_db"], "clean");
    EXPECT_TRUE(std::isinf(*meta.get<ClipMeta>().snr_db));
  }
  EXPECT_GT(speech_clips, 0);
  const nlohmann::json j = config;
  EXPECT_EQ(j["snr_db"][0], "clean");
  EXPECT_EQ(j.get<MixConfig>().snr_db, config.snr_db);
}

TEST(Mixer, OneSnrListPerMixerGivesTheSameClipAtEverySnr) {
  // The evaluation's SNR sweep relies on this: with a one-element SNR list, everything else about clip i is the
  // same whatever that SNR is.
  Fixture f;
  MixConfig a = small_config(), b = small_config();
  a.snr_db = {0.0};
  b.snr_db = {std::numeric_limits<double>::infinity()};
  const Mixer ma(f.corpus, Split::test, a), mb(f.corpus, Split::test, b);
  for (std::size_t i = 0; i < std::min<std::size_t>(ma.size(), 4); ++i) {
    const Clip x = ma.make(i), y = mb.make(i);
    EXPECT_EQ(x.meta.noise_files, y.meta.noise_files);
    EXPECT_EQ(x.meta.speech.size(), y.meta.speech.size());
    EXPECT_EQ(x.meta.reverb, y.meta.reverb);
    // Clean speech identical up to the level gain (set by each mixture's own peak).
    double dot = 0, xx = 0, yy = 0;
    for (std::size_t k = 0; k < x.clean.size(); ++k) {
      dot += double(x.clean[k]) * y.clean[k];
      xx += double(x.clean[k]) * x.clean[k];
      yy += double(y.clean[k]) * y.clean[k];
    }
    if (xx > 0) {
      EXPECT_NEAR(dot / std::sqrt(xx * yy), 1.0, 1e-6) << i;
    }
  }
}

TEST(Mixer, SnrTextAcceptsNumbersAndCleanOnly) {
  EXPECT_EQ(snr_list_from_string("-5,0,7.5,clean"),
            (std::vector<double>{-5.0, 0.0, 7.5, std::numeric_limits<double>::infinity()}));
  EXPECT_EQ(snr_to_string(std::numeric_limits<double>::infinity()), "clean");
  EXPECT_EQ(snr_to_string(-5.0), "-5");
  for (const char* bad : {"", "x", "5dB", "nan", ",", "1e400"}) EXPECT_THROW(snr_list_from_string(bad), Error) << bad;
  MixConfig c = small_config();
  c.snr_db = {-1000.0};
  EXPECT_THROW(c.validate(), Error);
  c.snr_db = {-std::numeric_limits<double>::infinity()};
  EXPECT_THROW(c.validate(), Error);
}

// A speech augmentation (`set` turns it on at `amount`, recorded in the recipe JSON under `key`): it changes
// training speech only, deterministically, leaves every other draw and the held-out splits alone, and is absent
// from recipes without it; `set` at 0.5 is refused.
template <class Set>
void expect_training_speech_augmentation(const char* key, Set set) {
  Fixture f;
  MixConfig plain = small_config(), changed_config = small_config();
  plain.reverb_prob = changed_config.reverb_prob = 0.0;
  set(changed_config, 0.15);
  EXPECT_FALSE(nlohmann::json(plain).contains(key));  // recipes without it are unchanged
  EXPECT_EQ(nlohmann::json(changed_config).at(key).get<double>(), 0.15);
  EXPECT_EQ(nlohmann::json(nlohmann::json(changed_config).get<MixConfig>()), nlohmann::json(changed_config));
  const Mixer a(f.corpus, Split::train, plain), b(f.corpus, Split::train, changed_config);
  int changed = 0;
  for (std::size_t i = 0; i < std::min<std::size_t>(a.size(), 6); ++i) {
    const Clip x = a.make(i), y = b.make(i);
    ASSERT_EQ(y.noisy.size(), x.noisy.size());
    EXPECT_EQ(x.meta.noise_files, y.meta.noise_files);  // the other draws are untouched
    EXPECT_EQ(x.meta.snr_db, y.meta.snr_db);
    if (x.clean != y.clean) ++changed;
    EXPECT_EQ(y.noisy, b.make(i).noisy);  // deterministic
    for (float v : y.noisy) ASSERT_TRUE(std::isfinite(v));
  }
  EXPECT_GT(changed, 0) << key;
  for (const Split held : {Split::valid, Split::test}) {  // held-out splits are never changed
    const Mixer held_plain(f.corpus, held, plain), held_changed(f.corpus, held, changed_config);
    EXPECT_EQ(held_plain.make(0).noisy, held_changed.make(0).noisy) << key;
  }
  MixConfig bad = small_config();
  set(bad, 0.5);
  EXPECT_THROW(bad.validate(), Error) << key;
}

TEST(Mixer, SpeedPerturbationChangesTrainingSpeechOnlyDeterministically) {
  expect_training_speech_augmentation("speed_perturb", [](MixConfig& c, double v) { c.speed_perturb = v; });
}

TEST(Mixer, FormantWarpChangesTrainingSpeechOnlyDeterministically) {
  expect_training_speech_augmentation("formant_warp", [](MixConfig& c, double v) { c.formant_warp = v; });
}

TEST(OnTheFlyClipSource, GivesMixerClipsAndNewMixturesPerEpoch) {
  Fixture f;
  const OnTheFlyClipSource source({.corpus = f.dir.path()}, Split::valid, small_config());
  ASSERT_GT(source.size(), 0u);
  EXPECT_TRUE(source.varies_with_epoch());
  EXPECT_EQ(source.clip_samples(), 64000u);
  const Clip a = source.get(0, 0), b = source.get(0, 1);
  EXPECT_EQ(a.noisy.size(), 64000u);
  EXPECT_NE(a.noisy, b.noisy);
  EXPECT_EQ(a.noisy, source.get(0, 0).noisy);
}

TEST(OnTheFlyClipSource, PrefetcherReturnsClipsInOrder) {
  Fixture f;
  auto source = std::make_shared<OnTheFlyClipSource>(CorpusSources{.corpus = f.dir.path()}, Split::train, small_config());
  std::vector<std::size_t> order = {4, 1, 3, 0, 2, 5, 1};
  ClipPrefetcher prefetcher(source, order, 2, 3, 3);
  Clip clip;
  std::size_t k = 0;
  while (prefetcher.next(clip)) {
    ASSERT_LT(k, order.size());
    EXPECT_EQ(clip.meta.index, order[k]);
    EXPECT_EQ(clip.noisy, source->get(order[k], 2).noisy);
    ++k;
  }
  EXPECT_EQ(k, order.size());
}

}  // namespace
}  // namespace nnse::data
