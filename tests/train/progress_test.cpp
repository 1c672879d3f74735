#include "nnse/train/progress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace nnse::train {
namespace {

// Everything a ProgressLine wrote, read back from an anonymous temporary file.
class Capture {
 public:
  Capture() : file_(std::tmpfile()) {}
  ~Capture() { std::fclose(file_); }
  std::FILE* file() { return file_; }
  std::string text() {
    std::fflush(file_);
    std::string out;
    std::rewind(file_);
    for (int c; (c = std::fgetc(file_)) != EOF;) out.push_back(static_cast<char>(c));
    return out;
  }

 private:
  std::FILE* file_;
};

StepProgress at(int steps, double seconds) {
  StepProgress p;
  p.epoch = 2;
  p.steps = steps;
  p.total_steps = 40;
  p.total_exact = true;
  p.frames = static_cast<std::int64_t>(steps) * 16000;
  p.seconds = seconds;
  p.data_wait_seconds = seconds / 4;
  return p;
}

TEST(Progress, LineShowsStepsRateWaitAndTimeLeft) {
  // 10 of 40 steps in 8 s: 160000 frames / 8 s = 20k frames/s, 30 steps left at 0.8 s each = 24 s.
  EXPECT_EQ(format_progress(at(10, 8.0)), "epoch 2: 10/40 steps, 20.0k frames/s, data wait 25%, ETA 0:24");
  StepProgress estimate = at(10, 8.0);
  estimate.total_exact = false;
  estimate.total_steps = 4000;
  EXPECT_EQ(format_progress(estimate), "epoch 2: 10/~4000 steps, 20.0k frames/s, data wait 25%, ETA 53:12");
  StepProgress unknown = at(0, 0.0);
  unknown.total_steps = 0;
  EXPECT_EQ(format_progress(unknown), "epoch 2: 0/? steps, 0 frames/s, data wait 0%");
  StepProgress hours = at(1, 3600.0);
  hours.total_steps = 3;
  EXPECT_EQ(format_progress(hours), "epoch 2: 1/3 steps, 4 frames/s, data wait 25%, ETA 2:00:00");
}

TEST(Progress, WithoutATerminalWritesPlainLinesEveryIntervalOnly) {
  Capture capture;
  ProgressLine line(capture.file(), /*terminal=*/false, /*plain_every=*/30.0);
  for (int step = 1; step <= 40; ++step) line.update(at(step, 2.0 * step));  // 80 s in all
  line.finish();
  // At 30 s (step 15) and 60 s (step 30): whole lines, no carriage returns or escape codes.
  EXPECT_EQ(capture.text(),
            "epoch 2: 15/40 steps, 8.0k frames/s, data wait 25%, ETA 0:50\n"
            "epoch 2: 30/40 steps, 8.0k frames/s, data wait 25%, ETA 0:20\n");
}

TEST(Progress, WithoutATerminalAShortEpochPrintsNothing) {
  Capture capture;
  ProgressLine line(capture.file(), false, 30.0);
  for (int step = 1; step <= 40; ++step) line.update(at(step, 0.5 * step));
  line.finish();
  ProgressLine silent(capture.file(), false, 0.0);  // 0: never
  silent.update(at(40, 1000.0));
  EXPECT_EQ(capture.text(), "");
}

TEST(Progress, OnATerminalALineLeftOpenIsClearedWhenTheProgressEnds) {
  Capture capture;
  {
    ProgressLine line(capture.file(), true, 30.0, 1.0);
    line.update(at(1, 0.5));  // training stops here (an error): no finish()
  }
  EXPECT_EQ(capture.text(), "\repoch 2: 1/40 steps, 32.0k frames/s, data wait 25%, ETA 0:20\033[K\r\033[K");
}

TEST(Progress, OnATerminalRewritesOneLineAndClearsItAtTheEnd) {
  Capture capture;
  ProgressLine line(capture.file(), /*terminal=*/true, 30.0, /*min_interval=*/1.0);
  line.update(at(1, 0.5));
  line.update(at(2, 1.0));   // too soon after the first: skipped
  line.update(at(3, 1.6));
  line.update(at(40, 1.7));  // the last step is always shown
  line.finish();
  EXPECT_EQ(capture.text(),
            "\repoch 2: 1/40 steps, 32.0k frames/s, data wait 25%, ETA 0:20\033[K"
            "\repoch 2: 3/40 steps, 30.0k frames/s, data wait 25%, ETA 0:20\033[K"
            "\repoch 2: 40/40 steps, 376.5k frames/s, data wait 25%, ETA 0:00\033[K"
            "\r\033[K");
}

}  // namespace
}  // namespace nnse::train
