#pragma once
// The learning rate of each epoch: constant (the reference), or a cosine decay from `initial` at `decay_start`
// to `final` at the last epoch. A function of the epoch number alone, so a resumed run (`--epoch-loaded`) and
// every process of a data-parallel run use the same rate as an uninterrupted one-process run.
#include <optional>
#include <string>

namespace nnse::train {

struct LrSchedule {
  double initial = 4e-4;
  std::optional<double> final;  // none: constant
  int decay_start = 0;          // epochs up to this one use `initial`
  int last_epoch = 0;           // the rate reaches `final` here (the run's last epoch, --epochs - 1)

  double at(int epoch) const;
  // Throws nnse::Error naming the option at fault.
  void validate() const;
  std::string describe() const;
};

}  // namespace nnse::train
