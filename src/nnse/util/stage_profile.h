#pragma once
// Where the CPU time of a training run goes, by pipeline stage (`nnse train --profile`).
//
// A Scope charges the CPU time of its own thread (CLOCK_THREAD_CPUTIME_ID) to one stage while it is open. Scopes
// nest per thread and the accounting is exclusive: an inner scope pauses the outer one, so the decoding inside a
// mix is charged to "decode" and not to "mix" as well, and the stages add up to the CPU time spent in scopes.
// Data threads and engine threads run at once, so these are CPU-seconds, not wall-clock shares.
//
// The counters are process-wide (relaxed atomics: each scope adds one value when it closes) and off by default;
// while off, a Scope costs one load of a flag.
#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

namespace nnse::profile {

enum class Stage : int {
  decode,       // reading and decoding corpus files (libsndfile, resampling, first DC pass, level)
  expand,       // cached 16-bit audio back to DC-filtered floats
  mix,          // speech windows, noise crops, levels, sums (everything of a mix not listed below)
  reverb,       // RIR preparation and convolution
  coloration,   // random peaking-EQ cascades
  formant,      // formant warps of training speech (data/formant_warp.h)
  features,     // STFT of noisy and clean, log features, normalization
  batching,     // cutting prepared clips into chunk batches
  forward_backward,  // the engine's forward and backward passes (training)
  loss,         // the loss and its gradient (training)
  optimizer,    // gradient reduction, clipping, Adam, weight clipping
  process_sum,  // over several processes (mpirun): the gradient and loss sum, waiting for the slowest included
  validation,   // forward and loss of the validation pass (its data preparation is charged to the stages above)
  checkpoint,   // writing the checkpoint and the loss history
  count
};

inline constexpr int kStageCount = static_cast<int>(Stage::count);

std::string_view stage_name(Stage stage);

// CPU seconds and scope count per stage.
struct Totals {
  std::array<double, kStageCount> seconds{};
  std::array<std::int64_t, kStageCount> calls{};
  double total() const;
  Totals operator-(const Totals& earlier) const;
};

void set_enabled(bool on);
bool enabled();
Totals totals();

// CPU time of the calling thread, in seconds.
double thread_cpu_seconds();

class Scope {
 public:
  explicit Scope(Stage stage);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  void charge(double now);
  Stage stage_;
  bool active_ = false;
  double start_ = 0.0;
  Scope* outer_ = nullptr;
};

}  // namespace nnse::profile
