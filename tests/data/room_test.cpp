// Simulated rooms: geometry of the direct path and first reflection, decay matching the drawn RT60, determinism,
// and the mixer using them for training clips only.
#include "nnse/data/room.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "data_fixtures.h"
#include "nnse/data/mixer.h"
#include "nnse/data/random.h"
#include "test_support.h"

namespace nnse::data {
namespace {

RoomDraw fixed_room(double rt60) {
  RoomDraw room;
  room.size_m[0] = 6.0;
  room.size_m[1] = 5.0;
  room.size_m[2] = 3.0;
  // Off the room's symmetry planes: there, mirror images coincide and add up coherently.
  room.source_m[0] = 1.7, room.source_m[1] = 2.1, room.source_m[2] = 1.3;
  room.mic_m[0] = 3.9, room.mic_m[1] = 2.9, room.mic_m[2] = 1.6;
  room.rt60_s = rt60;
  return room;
}

TEST(Room, DirectPathIsThePeakAtUnitAmplitudeAndTheFloorReflectionArrivesWhenGeometrySays) {
  Rng rng(1);
  const auto h = room_impulse_response(fixed_room(0.4), 16000, 0.5, rng);
  const auto peak = static_cast<std::size_t>(std::max_element(h.begin(), h.end(), [](float a, float b) {
                                               return std::abs(a) < std::abs(b);
                                             }) - h.begin());
  EXPECT_EQ(peak, 16u);
  EXPECT_NEAR(h[peak], 1.0, 0.02);
  // The floor image (source mirrored to z = -1.3) arrives after the direct path by its extra path length, with
  // amplitude beta * d_direct / d_floor.
  const double dx = 3.9 - 1.7, dy = 2.9 - 2.1;
  const double direct = std::sqrt(dx * dx + dy * dy + 0.3 * 0.3);
  const double floor_path = std::sqrt(dx * dx + dy * dy + 2.9 * 2.9);
  const auto at = static_cast<std::size_t>(std::lround(16.0 + (floor_path - direct) / 343.0 * 16000.0));
  double local = 0.0;
  for (std::size_t i = at - 1; i <= at + 1; ++i) local = std::max(local, double(std::abs(h[i])));
  const double volume = 6.0 * 5.0 * 3.0, surface = 2.0 * (30.0 + 18.0 + 15.0);
  const double beta = std::sqrt(1.0 - 0.161 * volume / (surface * 0.4));
  EXPECT_NEAR(local, beta * direct / floor_path, 0.15 * beta * direct / floor_path);
}

TEST(Room, EnergyDecaysAtTheDrawnRt60) {
  for (const double rt60 : {0.25, 0.6}) {
    Rng rng(7);
    const auto h = room_impulse_response(fixed_room(rt60), 16000, 0.8, rng);
    // Schroeder backward integration; slope between -5 and -25 dB extrapolated to -60.
    std::vector<double> edc(h.size());
    double sum = 0.0;
    for (std::size_t i = h.size(); i-- > 0;) edc[i] = (sum += double(h[i]) * h[i]);
    auto time_at = [&](double db) {
      for (std::size_t i = 0; i < edc.size(); ++i) {
        if (10.0 * std::log10(edc[i] / edc[0]) <= db) return static_cast<double>(i) / 16000.0;
      }
      return static_cast<double>(edc.size()) / 16000.0;
    };
    const double t60 = 3.0 * (time_at(-25.0) - time_at(-5.0));
    EXPECT_NEAR(t60, rt60, 0.35 * rt60) << "rt60 " << rt60;
  }
}

TEST(Room, DrawsStayInsideTheRoomAndAreDeterministic) {
  RoomOptions options;
  for (std::uint64_t seed = 1; seed < 50; ++seed) {
    Rng a(seed), b(seed);
    const RoomDraw x = draw_room(a, options), y = draw_room(b, options);
    EXPECT_EQ(x.rt60_s, y.rt60_s);
    for (int axis = 0; axis < 3; ++axis) {
      EXPECT_GE(x.mic_m[axis], 0.0);
      EXPECT_LE(x.mic_m[axis], x.size_m[axis]);
      EXPECT_GE(x.source_m[axis], options.wall_margin_m);
      EXPECT_LE(x.source_m[axis], x.size_m[axis] - options.wall_margin_m);
    }
    EXPECT_GE(x.rt60_s, options.min_rt60_s);
    EXPECT_LT(x.rt60_s, options.max_rt60_s);
  }
}

TEST(Room, MixerReverberatesTrainingClipsInSimulatedRoomsOnly) {
  test::ScratchDir dir("nnse-room");
  test::make_manifest_corpus(dir.path());
  auto corpus = std::make_shared<Corpus>(CorpusSources{.corpus = dir.path()}, 16000, nullptr);
  MixConfig config;
  config.seed = 3;
  config.clip_seconds = 3.0;
  config.datasize_noise = -1;
  config.reverb_prob = 0.0;
  config.sim_room_prob = 1.0;
  const Mixer train(corpus, Split::train, config);
  const Clip clip = train.make(0);
  EXPECT_TRUE(clip.meta.reverb);
  EXPECT_NE(clip.meta.rir.find("simulated room"), std::string::npos) << clip.meta.rir;
  EXPECT_EQ(clip.noisy, train.make(0).noisy);
  EXPECT_EQ(nlohmann::json(config).get<MixConfig>().sim_room_prob, 1.0);
  const Mixer test_split(corpus, Split::test, config);
  EXPECT_FALSE(test_split.make(0).meta.reverb);
  config.sim_room_prob = 0.0;
  EXPECT_FALSE(nlohmann::json(config).contains("sim_room"));
}

}  // namespace
}  // namespace nnse::data
