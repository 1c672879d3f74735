#include "nnse/util/stage_profile.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>
#include <vector>

namespace nnse::profile {
namespace {

// Spends CPU time (not sleep: the profile counts CPU time) and returns how much, by the thread's own clock.
double burn(double seconds) {
  const double start = thread_cpu_seconds();
  volatile double sink = 0.0;
  while (thread_cpu_seconds() - start < seconds) {
    for (int i = 0; i < 1000; ++i) sink = sink + std::sqrt(static_cast<double>(i));
  }
  return thread_cpu_seconds() - start;
}

double of(const Totals& t, Stage s) { return t.seconds[static_cast<std::size_t>(s)]; }
std::int64_t calls(const Totals& t, Stage s) { return t.calls[static_cast<std::size_t>(s)]; }

class StageProfile : public ::testing::Test {
 protected:
  void SetUp() override { set_enabled(true); }
  void TearDown() override { set_enabled(false); }
};

TEST_F(StageProfile, NestedScopesAreChargedExclusively) {
  const Totals before = totals();
  const double start = thread_cpu_seconds();
  double inner_burnt = 0.0;
  {
    const Scope outer(Stage::mix);
    burn(0.01);
    {
      const Scope inner(Stage::decode);
      inner_burnt = burn(0.02);
    }
    burn(0.01);
  }
  const double elapsed = thread_cpu_seconds() - start;
  const Totals d = totals() - before;
  EXPECT_EQ(calls(d, Stage::mix), 1);
  EXPECT_EQ(calls(d, Stage::decode), 1);
  // The inner scope holds its whole burn; the outer one only what ran outside it; together no more than ran.
  EXPECT_GE(of(d, Stage::decode), inner_burnt - 1e-6);
  EXPECT_LE(of(d, Stage::mix), elapsed - inner_burnt + 1e-6);
  EXPECT_GT(of(d, Stage::mix), 0.0);
  EXPECT_LE(of(d, Stage::mix) + of(d, Stage::decode), elapsed + 1e-6);
  EXPECT_NEAR(d.total(), of(d, Stage::mix) + of(d, Stage::decode), 1e-9);
}

TEST_F(StageProfile, ThreadsAddUp) {
  const Totals before = totals();
  std::vector<double> burnt(3, 0.0);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < burnt.size(); ++i) {
    threads.emplace_back([&burnt, i] {
      const Scope scope(Stage::features);
      burnt[i] = burn(0.01);
    });
  }
  for (auto& t : threads) t.join();
  const Totals d = totals() - before;
  EXPECT_EQ(calls(d, Stage::features), 3);
  EXPECT_GE(of(d, Stage::features), burnt[0] + burnt[1] + burnt[2] - 1e-6);
}

TEST_F(StageProfile, DisabledScopesCountNothing) {
  set_enabled(false);
  const Totals before = totals();
  {
    const Scope scope(Stage::loss);
    burn(0.005);
  }
  const Totals d = totals() - before;
  EXPECT_EQ(calls(d, Stage::loss), 0);
  EXPECT_EQ(of(d, Stage::loss), 0.0);
}

TEST(StageNames, EveryStageHasAName) {
  for (int i = 0; i < kStageCount; ++i) EXPECT_FALSE(stage_name(static_cast<Stage>(i)).empty()) << i;
  EXPECT_EQ(stage_name(Stage::forward_backward), "forward+backward");
}

}  // namespace
}  // namespace nnse::profile
