// The learning-rate schedule: constant by default, cosine from --lr at the decay start to --lr-final at the last
// epoch, and a resumed run following it exactly.
#include "nnse/train/lr_schedule.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <optional>

#include "nnse/util/error.h"

namespace nnse::train {
namespace {

LrSchedule make(double initial, std::optional<double> final = std::nullopt, int decay_start = 0, int last_epoch = 0) {
  LrSchedule schedule;
  schedule.initial = initial;
  schedule.final = final;
  schedule.decay_start = decay_start;
  schedule.last_epoch = last_epoch;
  return schedule;
}

TEST(LrSchedule, IsConstantWithoutAFinalRate) {
  const LrSchedule schedule = make(6e-4, std::nullopt, 0, 9);
  for (int epoch = 0; epoch < 12; ++epoch) EXPECT_EQ(schedule.at(epoch), 6e-4);
}

TEST(LrSchedule, DecaysByACosineFromTheStartToTheLastEpoch) {
  const LrSchedule schedule = make(1e-3, 1e-5, 10, 30);
  EXPECT_EQ(schedule.at(0), 1e-3);
  EXPECT_EQ(schedule.at(10), 1e-3);
  EXPECT_NEAR(schedule.at(20), 0.5 * (1e-3 + 1e-5), 1e-15);  // halfway
  EXPECT_NEAR(schedule.at(15), 1e-5 + 0.5 * (1e-3 - 1e-5) * (1.0 + std::cos(std::numbers::pi / 4.0)), 1e-15);
  EXPECT_EQ(schedule.at(30), 1e-5);
  EXPECT_EQ(schedule.at(31), 1e-5);
  for (int epoch = 11; epoch <= 30; ++epoch) EXPECT_LT(schedule.at(epoch), schedule.at(epoch - 1)) << epoch;
  // A run whose last epoch is the decay start itself goes straight to the final rate after it.
  const LrSchedule short_run = make(1e-3, 1e-4, 5, 5);
  EXPECT_EQ(short_run.at(5), 1e-3);
  EXPECT_EQ(short_run.at(6), 1e-4);
}

TEST(LrSchedule, RefusesNonsense) {
  EXPECT_NO_THROW((make(1e-3, 1e-3).validate()));
  EXPECT_THROW((make(1e-3, 2e-3).validate()), Error);
  EXPECT_THROW((make(1e-3, 0.0).validate()), Error);
  EXPECT_THROW((make(1e-3, 1e-4, -1).validate()), Error);
  EXPECT_THROW((make(0.0).validate()), Error);
}

TEST(LrSchedule, DescribesItself) {
  EXPECT_EQ((make(6e-4).describe()), "learning rate 0.0006");
  EXPECT_EQ((make(6e-4, 1e-5, 3, 9).describe()),
            "learning rate 0.0006 to epoch 3, then cosine decay to 1e-05 at epoch 9");
}

}  // namespace
}  // namespace nnse::train
