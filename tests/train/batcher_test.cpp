#include "nnse/train/batcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <stdexcept>

#include "nnse/dsp/stft.h"
#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::train {
namespace {

// Synthetic clip i has lengths[i] frames; every value encodes (clip, frame) so the test can trace it.
PreparedClip synthetic_clip(std::size_t index, int frames, int epoch, int dim = 3, int bins = 2) {
  PreparedClip c;
  c.index = index;
  c.frames = frames;
  c.feature_dim = dim;
  c.bins = bins;
  for (int t = 0; t < frames; ++t) {
    for (int d = 0; d < dim; ++d) c.features.push_back(static_cast<float>(index * 1000 + t) + 0.1f * d);
    for (int k = 0; k < bins; ++k) {
      c.noisy.emplace_back(static_cast<float>(index * 1000 + t), static_cast<float>(k + epoch));
      c.clean.emplace_back(static_cast<float>(k), static_cast<float>(index * 1000 + t));
    }
  }
  return c;
}

ClipPreparer preparer_for(std::vector<int> lengths) {
  return [lengths](std::size_t index, int epoch) { return synthetic_clip(index, lengths.at(index), epoch); };
}

// Sequence s's noisy (or clean) spectrum over the batch's valid frames, as the loss reads it.
std::vector<std::complex<float>> valid_spectrum(const Batch& b, int s, bool noisy) {
  int frames = 0;
  while (frames < b.frames && b.valid[static_cast<std::size_t>(s * b.frames + frames)]) ++frames;
  const std::complex<float>* rows = noisy ? b.noisy(s) : b.clean(s);
  if (!rows) return {};
  return {rows, rows + static_cast<std::size_t>(frames * b.bins)};
}

std::vector<std::unique_ptr<Batch>> drain(Batcher& batcher, int epoch) {
  batcher.start_epoch(epoch);
  std::vector<std::unique_ptr<Batch>> out;
  while (auto batch = batcher.next()) out.push_back(std::move(batch));
  return out;
}

TEST(EpochOrder, IsAPermutationThatDependsOnSeedAndEpoch) {
  const auto a = epoch_order(100, 1, 0, true);
  std::vector<std::size_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < 100; ++i) EXPECT_EQ(sorted[i], i);
  EXPECT_EQ(a, epoch_order(100, 1, 0, true));
  EXPECT_NE(a, epoch_order(100, 1, 1, true));
  EXPECT_NE(a, epoch_order(100, 2, 0, true));
  const auto plain = epoch_order(5, 1, 3, false);
  EXPECT_EQ(plain, (std::vector<std::size_t>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(epoch_order(0, 1, 0, true).empty());
}

TEST(Batcher, EverySlotWalksConsecutiveChunksOfItsClip) {
  const std::vector<int> lengths = {7, 3, 12, 5, 1, 9, 4};
  BatcherOptions options;
  options.batch_size = 3;
  options.chunk_frames = 4;
  options.shuffle = true;
  options.seed = 11;
  Batcher batcher(lengths.size(), preparer_for(lengths), options);
  const auto batches = drain(batcher, 2);
  ASSERT_FALSE(batches.empty());

  std::map<std::int64_t, int> next_frame;  // clip -> next expected frame
  std::vector<std::int64_t> clip_in_slot(3, -1);
  std::vector<std::int64_t> first_seen;
  std::int64_t total_valid = 0;
  for (const auto& b : batches) {
    EXPECT_EQ(b->sequences, 3);
    EXPECT_EQ(b->frames, 4);
    EXPECT_EQ(b->epoch, 2);
    std::int64_t valid_here = 0;
    for (int s = 0; s < 3; ++s) {
      const std::int64_t clip = b->clip_index[s];
      if (clip < 0) {
        EXPECT_EQ(b->new_clip[s], 1);
        EXPECT_EQ(b->noisy(s), nullptr);
        EXPECT_EQ(b->clean(s), nullptr);
        for (int t = 0; t < 4; ++t) EXPECT_EQ(b->valid[s * 4 + t], 0);
        clip_in_slot[s] = -1;
        continue;
      }
      if (b->new_clip[s]) {
        EXPECT_EQ(next_frame.count(clip), 0u) << "clip " << clip << " started twice";
        next_frame[clip] = 0;
        first_seen.push_back(clip);
      } else {
        EXPECT_EQ(clip_in_slot[s], clip) << "state carried into a different clip";
      }
      clip_in_slot[s] = clip;
      for (int t = 0; t < 4; ++t) {
        const std::size_t i = static_cast<std::size_t>(s * 4 + t);
        const int frame = next_frame[clip];
        if (frame < lengths[static_cast<std::size_t>(clip)]) {
          EXPECT_EQ(b->valid[i], 1);
          EXPECT_FLOAT_EQ(b->features[i * 3 + 1], static_cast<float>(clip * 1000 + frame) + 0.1f);
          EXPECT_EQ(b->noisy(s)[t * 2 + 1], std::complex<float>(static_cast<float>(clip * 1000 + frame), 3.0f));
          EXPECT_EQ(b->clean(s)[t * 2], std::complex<float>(0.0f, static_cast<float>(clip * 1000 + frame)));
          ++next_frame[clip];
          ++valid_here;
        } else {
          EXPECT_EQ(b->valid[i], 0);
          EXPECT_EQ(b->features[i * 3], 0.0f);
        }
      }
    }
    EXPECT_EQ(b->valid_frames, valid_here);
    total_valid += valid_here;
  }
  // Every clip was consumed completely and exactly once, in the epoch's order.
  for (std::size_t c = 0; c < lengths.size(); ++c) EXPECT_EQ(next_frame[static_cast<std::int64_t>(c)], lengths[c]);
  std::int64_t expected_total = 0;
  for (int n : lengths) expected_total += n;
  EXPECT_EQ(total_valid, expected_total);
  const auto order = epoch_order(lengths.size(), 11, 2, true);
  ASSERT_EQ(first_seen.size(), order.size());
  for (std::size_t i = 0; i < order.size(); ++i) EXPECT_EQ(first_seen[i], static_cast<std::int64_t>(order[i]));
}

TEST(Batcher, PrefetchGivesTheSameBatchesAsInlineProduction) {
  const std::vector<int> lengths = {30, 8, 17, 25, 3, 11, 40, 2, 9};
  BatcherOptions options;
  options.batch_size = 4;
  options.chunk_frames = 6;
  options.prefetch = 0;
  Batcher inline_batcher(lengths.size(), preparer_for(lengths), options);
  options.prefetch = 3;
  Batcher threaded(lengths.size(), preparer_for(lengths), options);
  options.prepare_threads = 3;
  options.prepare_depth = 2;
  Batcher parallel(lengths.size(), preparer_for(lengths), options);
  for (int epoch = 0; epoch < 3; ++epoch) {
    const auto a = drain(inline_batcher, epoch);
    const auto b = drain(epoch == 1 ? parallel : threaded, epoch);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i]->index, static_cast<int>(i));
      EXPECT_EQ(a[i]->features, b[i]->features);
      for (int s = 0; s < a[i]->sequences; ++s) {
        EXPECT_EQ(valid_spectrum(*a[i], s, true), valid_spectrum(*b[i], s, true));
        EXPECT_EQ(valid_spectrum(*a[i], s, false), valid_spectrum(*b[i], s, false));
      }
      EXPECT_EQ(a[i]->valid, b[i]->valid);
      EXPECT_EQ(a[i]->new_clip, b[i]->new_clip);
      EXPECT_EQ(a[i]->clip_index, b[i]->clip_index);
    }
  }
}

TEST(Batcher, RecycledBuffersAndRestartedEpochsGiveIdenticalBatches) {
  const std::vector<int> lengths = {13, 5, 21, 8};
  BatcherOptions options;
  options.batch_size = 2;
  options.chunk_frames = 5;
  Batcher batcher(lengths.size(), preparer_for(lengths), options);
  const auto reference = drain(batcher, 4);
  options.prepare_threads = 2;
  Batcher parallel(lengths.size(), preparer_for(lengths), options);
  // Start the epoch, stop half-way, start again, recycling every batch.
  parallel.start_epoch(4);
  for (int i = 0; i < 2; ++i) parallel.recycle(parallel.next());
  parallel.start_epoch(4);
  for (std::size_t i = 0; auto batch = parallel.next(); ++i) {
    ASSERT_LT(i, reference.size());
    EXPECT_EQ(batch->features, reference[i]->features);
  }
  batcher.start_epoch(4);
  for (int i = 0; i < 2; ++i) batcher.recycle(batcher.next());
  batcher.start_epoch(4);
  std::size_t i = 0;
  while (auto batch = batcher.next()) {
    ASSERT_LT(i, reference.size());
    EXPECT_EQ(batch->features, reference[i]->features);
    EXPECT_EQ(batch->valid, reference[i]->valid);
    EXPECT_EQ(batch->index, reference[i]->index);
    batcher.recycle(std::move(batch));
    ++i;
  }
  EXPECT_EQ(i, reference.size());
}

TEST(Batcher, BatchesReferToTheirClipsOnlyUntilRecycled) {
  const std::vector<int> lengths = {13, 5, 21, 8, 30};
  BatcherOptions options;
  options.batch_size = 2;
  options.chunk_frames = 5;
  options.prefetch = 2;
  options.prepare_threads = 2;
  Batcher batcher(lengths.size(), preparer_for(lengths), options);
  batcher.start_epoch(0);
  std::vector<std::weak_ptr<const PreparedClip>> seen;
  std::unique_ptr<Batch> kept;
  while (auto batch = batcher.next()) {
    for (const auto& clip : batch->clips) {
      if (clip) seen.push_back(clip);
    }
    if (!kept) {
      kept = std::move(batch);  // held by the consumer: its clips must stay valid
    } else {
      batcher.recycle(std::move(batch));
    }
  }
  ASSERT_FALSE(seen.empty());
  ASSERT_TRUE(kept->clips[0]);
  EXPECT_EQ(valid_spectrum(*kept, 0, true).size(), 5u * 2u);
  EXPECT_EQ(kept->noisy(0)[1], std::complex<float>(static_cast<float>(kept->clip_index[0] * 1000), 1.0f));
  kept.reset();
  // With the epoch done and every batch recycled or dropped, no clip is held any more.
  for (const auto& clip : seen) EXPECT_TRUE(clip.expired());
}

TEST(Batcher, NoShuffleKeepsNaturalOrder) {
  const std::vector<int> lengths = {2, 2, 2};
  BatcherOptions options;
  options.batch_size = 1;
  options.chunk_frames = 2;
  options.shuffle = false;
  Batcher batcher(lengths.size(), preparer_for(lengths), options);
  const auto batches = drain(batcher, 7);
  ASSERT_EQ(batches.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(batches[static_cast<std::size_t>(i)]->clip_index[0], i);
}

TEST(Batcher, EmptyClipsAreSkippedAndEmptySourcesGiveNoBatches) {
  const std::vector<int> lengths = {0, 4, 0};
  BatcherOptions options;
  options.batch_size = 2;
  options.chunk_frames = 4;
  Batcher batcher(lengths.size(), preparer_for(lengths), options);
  const auto batches = drain(batcher, 0);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0]->valid_frames, 4);
  Batcher none(0, preparer_for({}), options);
  EXPECT_TRUE(drain(none, 0).empty());
}

TEST(Batcher, PreparerErrorsReachTheConsumer) {
  BatcherOptions options;
  options.batch_size = 2;
  options.chunk_frames = 3;
  options.shuffle = false;
  auto failing = [](std::size_t index, int epoch) -> PreparedClip {
    if (index == 3) throw Error("clip_3.wav", "unreadable");
    return synthetic_clip(index, 4, epoch);
  };
  for (int threads : {0, 2}) {
    options.prepare_threads = threads;
    Batcher batcher(6, failing, options);
    batcher.start_epoch(0);
    bool thrown = false;
    try {
      while (batcher.next()) {
      }
    } catch (const Error& e) {
      thrown = true;
      EXPECT_NE(std::string(e.what()).find("clip_3.wav"), std::string::npos);
    }
    EXPECT_TRUE(thrown) << threads << " threads";
  }
}

TEST(Batcher, InconsistentClipLayoutIsAnError) {
  BatcherOptions options;
  options.batch_size = 2;
  options.chunk_frames = 3;
  options.shuffle = false;
  auto mixed = [](std::size_t index, int epoch) { return synthetic_clip(index, 4, epoch, index == 0 ? 3 : 4); };
  Batcher batcher(2, mixed, options);
  batcher.start_epoch(0);
  EXPECT_THROW(batcher.next(), Error);
}

TEST(Batcher, RejectsBadOptions) {
  BatcherOptions options;
  options.batch_size = 0;
  EXPECT_THROW(Batcher(1, preparer_for({1}), options), Error);
  options.batch_size = 1;
  options.chunk_frames = 0;
  EXPECT_THROW(Batcher(1, preparer_for({1}), options), Error);
}

TEST(ClipFeaturizer, GivesNormalizedNoisyFeaturesAndBothSpectra) {
  dsp::FrontendConfig config;
  const auto clean = test::speech_like(0.5, config.sample_rate, 3);
  auto noisy = test::white_noise(clean.size(), 9, 0.05f);
  for (std::size_t i = 0; i < noisy.size(); ++i) noisy[i] += clean[i];
  dsp::FeatureStats stats;
  for (int i = 0; i < config.feature_dim(); ++i) {
    stats.mean.push_back(-3.0f + 0.01f * static_cast<float>(i));
    stats.inv_std.push_back(0.5f + 0.001f * static_cast<float>(i));
  }
  ClipFeaturizer featurizer(config, stats);
  const PreparedClip clip = featurizer.prepare(noisy, clean, 5.0);
  EXPECT_EQ(clip.frames, dsp::stft_frame_count(noisy.size(), config));
  EXPECT_EQ(clip.feature_dim, config.feature_dim());
  EXPECT_EQ(clip.bins, config.bins());
  EXPECT_EQ(clip.snr_db, 5.0);
  const auto noisy_spectrum = dsp::stft(noisy, config).values;
  const auto clean_spectrum = dsp::stft(clean, config).values;
  EXPECT_TRUE(std::equal(clip.noisy.begin(), clip.noisy.end(), noisy_spectrum.begin(), noisy_spectrum.end()));
  EXPECT_TRUE(std::equal(clip.clean.begin(), clip.clean.end(), clean_spectrum.begin(), clean_spectrum.end()));
  dsp::FeatureMatrix expected = dsp::compute_features(dsp::stft(noisy, config), config);
  stats.normalize(expected);
  ASSERT_EQ(clip.features.size(), expected.values.size());
  for (std::size_t i = 0; i < expected.values.size(); ++i) EXPECT_FLOAT_EQ(clip.features[i], expected.values[i]);
  const dsp::FeatureMatrix raw = featurizer.raw_features(noisy);
  EXPECT_EQ(raw.values, dsp::compute_features(dsp::stft(noisy, config), config).values);

  EXPECT_THROW(featurizer.prepare(noisy, std::span<const float>(clean).first(100)), Error);
  EXPECT_THROW(ClipFeaturizer(config, dsp::FeatureStats::identity(10)), Error);
}

// For a time-domain loss the clip keeps its time signals, zero-padded to whole hops; a batch's slots point at the
// chunk's first hop in them (LossBatch::noisy_signal / clean_signal). Without keep_signals nothing is kept.
TEST(ClipFeaturizer, KeepsTheTimeSignalsOnlyWhenAsked) {
  const dsp::FrontendConfig config;
  const auto hop = static_cast<std::size_t>(config.hop_length);
  const auto clean = test::speech_like(0.7331, config.sample_rate, 4);  // not a whole number of hops
  auto noisy = test::white_noise(clean.size(), 5, 0.05f);
  for (std::size_t i = 0; i < noisy.size(); ++i) noisy[i] += clean[i];
  ASSERT_NE(clean.size() % hop, 0u);
  const auto stats = dsp::FeatureStats::identity(config.feature_dim());
  const PreparedClip plain = ClipFeaturizer(config, stats).prepare(noisy, clean);
  EXPECT_TRUE(plain.noisy_signal.empty());
  EXPECT_TRUE(plain.clean_signal.empty());
  const PreparedClip kept = ClipFeaturizer(config, stats, true).prepare(noisy, clean);
  EXPECT_EQ(kept.noisy, plain.noisy);  // the spectra do not depend on it
  ASSERT_EQ(kept.clean_signal.size(), static_cast<std::size_t>(kept.frames) * hop);
  ASSERT_EQ(kept.noisy_signal.size(), kept.clean_signal.size());
  EXPECT_TRUE(std::equal(clean.begin(), clean.end(), kept.clean_signal.begin()));
  EXPECT_TRUE(std::equal(noisy.begin(), noisy.end(), kept.noisy_signal.begin()));
  EXPECT_TRUE(std::all_of(kept.clean_signal.begin() + static_cast<std::ptrdiff_t>(clean.size()), kept.clean_signal.end(),
                          [](float v) { return v == 0.0f; }));

  // Chunks of 20 frames: the second batch's slot starts at frame 20, i.e. sample 20 hops.
  const auto shared = std::make_shared<const PreparedClip>(kept);
  Batcher batcher(1, [&](std::size_t, int) { return *shared; }, BatcherOptions{1, 20, false, 1, 0, 0, 0});
  batcher.start_epoch(0);
  const auto first = batcher.next();
  const auto second = batcher.next();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*first->clean_signal(0), kept.clean_signal[0]);
  EXPECT_EQ(second->first_frame[0], 20);
  const float* rows = second->noisy_signal(0);
  ASSERT_NE(rows, nullptr);
  EXPECT_TRUE(std::equal(rows, rows + 20 * hop, noisy.begin() + static_cast<std::ptrdiff_t>(20 * hop)));
  EXPECT_EQ(second->clean_signal(0), second->clips[0]->clean_signal.data() + 20 * hop);

  // Without clean rows (a loss that reads only the signals): no clean spectrum, the same everything else, and a
  // batch whose slots have no clean rows.
  const PreparedClip lean = ClipFeaturizer(config, stats, true, false).prepare(noisy, clean);
  EXPECT_TRUE(lean.clean.empty());
  EXPECT_EQ(lean.noisy, kept.noisy);
  EXPECT_EQ(lean.features, kept.features);
  EXPECT_EQ(lean.clean_signal, kept.clean_signal);
  EXPECT_FALSE(ClipFeaturizer(config, stats, false, false).prepare(noisy, clean).clean.empty())
      << "without the signals the clean rows are the only clean data: kept";
  const auto lean_shared = std::make_shared<const PreparedClip>(lean);
  Batcher lean_batcher(1, [&](std::size_t, int) { return *lean_shared; }, BatcherOptions{1, 20, false, 1, 0, 0, 0});
  lean_batcher.start_epoch(0);
  const auto lean_first = lean_batcher.next();
  ASSERT_TRUE(lean_first);
  EXPECT_EQ(lean_first->clean(0), nullptr);
  EXPECT_NE(lean_first->clean_signal(0), nullptr);
}

}  // namespace
}  // namespace nnse::train

namespace nnse::train {
namespace {

// Data parallel over processes (BatcherOptions::slot_count): each process's batcher builds its slots of the whole
// batch, and together they build exactly the batches of one batcher over all slots, preparing each clip once.
TEST(Batcher, ProcessesBuildTheirSlotsOfTheWholeBatch) {
  const int clips = 11, frames = 9, batch_size = 4, processes = 2;  // the last round holds 3 clips
  std::atomic<int> prepared{0};
  const auto preparer = [&prepared](std::size_t index, int epoch) {
    ++prepared;
    return synthetic_clip(index, frames, epoch);
  };
  BatcherOptions whole_options;
  whole_options.batch_size = batch_size;
  whole_options.chunk_frames = 4;
  whole_options.seed = 5;
  for (int prepare_threads : {0, 2}) {
    whole_options.prepare_threads = prepare_threads;
    Batcher whole(clips, preparer, whole_options);
    const auto expected = drain(whole, 1);
    std::vector<std::vector<std::unique_ptr<Batch>>> parts;
    prepared = 0;
    for (int rank = 0; rank < processes; ++rank) {
      BatcherOptions options = whole_options;
      options.slot_count = batch_size / processes;
      options.first_slot = rank * options.slot_count;
      options.clip_frames = frames;
      options.feature_dim = 3;
      options.bins = 2;
      Batcher part(clips, preparer, options);
      parts.push_back(drain(part, 1));
    }
    EXPECT_EQ(prepared.load(), clips);  // every clip by one process only
    ASSERT_EQ(parts[0].size(), expected.size());
    ASSERT_EQ(parts[1].size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const Batch& e = *expected[i];
      std::vector<float> features;
      std::vector<std::uint8_t> valid, new_clip;
      std::vector<std::int64_t> clip_index;
      for (const auto& part : parts) {
        const Batch& p = *part[i];
        EXPECT_EQ(p.sequences, batch_size / processes);
        // Every process knows the whole batch's totals, which the loss normalizes by.
        EXPECT_EQ(p.whole.sequences, batch_size);
        EXPECT_EQ(p.whole.valid_frames, e.valid_frames);
        EXPECT_EQ(p.whole.busy, e.whole.busy);
        features.insert(features.end(), p.features.begin(), p.features.end());
        valid.insert(valid.end(), p.valid.begin(), p.valid.end());
        new_clip.insert(new_clip.end(), p.new_clip.begin(), p.new_clip.end());
        clip_index.insert(clip_index.end(), p.clip_index.begin(), p.clip_index.end());
      }
      EXPECT_EQ(features, e.features) << "batch " << i;
      EXPECT_EQ(valid, e.valid) << "batch " << i;
      EXPECT_EQ(new_clip, e.new_clip) << "batch " << i;
      EXPECT_EQ(clip_index, e.clip_index) << "batch " << i;
    }
    // Round 3 holds clips in slots 0..2: process 1 has one busy slot and one idle.
    const Batch& last = *parts[1].back();
    EXPECT_EQ(last.clip_index, (std::vector<std::int64_t>{static_cast<std::int64_t>(epoch_order(clips, 5, 1, true)[10]), -1}));
  }
}

TEST(Batcher, ProcessesRefuseAClipOfAnotherLength) {
  BatcherOptions options;
  options.batch_size = 2;
  options.chunk_frames = 4;
  options.slot_count = 1;
  options.clip_frames = 8;
  options.shuffle = false;  // clip 2 goes to position 2, slot 0: this batcher's
  Batcher batcher(3, preparer_for({8, 8, 5}), options);
  batcher.start_epoch(0);
  try {
    while (batcher.next()) {
    }
    FAIL() << "a 5-frame clip among 8-frame clips was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("needs clips of one length"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace nnse::train
