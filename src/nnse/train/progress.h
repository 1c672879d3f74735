#pragma once
// The live progress of a training epoch (`nnse train`): steps done of (about) how many, frames per second, the
// share of time spent waiting for data, and the time left. On a terminal one line is rewritten in place ('\r');
// in a log (stderr not a terminal) a plain line is written now and then instead, so logs stay readable.
#include <cstdint>
#include <cstdio>
#include <string>

namespace nnse::train {

struct StepProgress {
  int epoch = 0;
  std::int64_t steps = 0;          // training steps done in this epoch
  std::int64_t total_steps = 0;    // steps the epoch will take (0: unknown)
  bool total_exact = false;        // false: an estimate (first epoch), printed with '~'
  std::int64_t frames = 0;         // valid frames trained on so far in this epoch
  double seconds = 0.0;            // wall-clock since the epoch started
  double data_wait_seconds = 0.0;  // of which blocked waiting for batches
};

// "epoch 3: 12/~36 steps, 41.2k frames/s, data wait 18%, ETA 0:23" (no newline, no '\r').
std::string format_progress(const StepProgress& progress);

// Writes progress lines to `out`. terminal = true: every update rewrites the line ('\r' ... erase to end of line)
// at most every `min_interval` seconds, finish() ends it with a newline. terminal = false: an update writes a
// whole line only when `plain_every` seconds have passed since the last one written (0: never), and finish()
// writes nothing, because the epoch line that follows says it all.
class ProgressLine {
 public:
  ProgressLine(std::FILE* out, bool terminal, double plain_every = 30.0, double min_interval = 0.2);
  // Clears a line left on screen, so an error that stops training mid-epoch starts on a line of its own.
  ~ProgressLine() { finish(); }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  void update(const StepProgress& progress);
  void finish();
  bool terminal() const { return terminal_; }

 private:
  std::FILE* out_;
  bool terminal_;
  double plain_every_, min_interval_;
  double last_written_ = -1.0;  // StepProgress::seconds of the last line written this epoch
  int epoch_ = -1;
  bool open_ = false;           // a '\r' line is on screen without its newline
};

}  // namespace nnse::train
