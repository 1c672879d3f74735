#include "nnse/train/lr_schedule.h"

#include <cmath>
#include <fmt/format.h>
#include <numbers>

#include "nnse/util/error.h"

namespace nnse::train {

double LrSchedule::at(int epoch) const {
  if (!final || epoch <= decay_start) return initial;
  if (epoch >= last_epoch) return *final;
  const double t = static_cast<double>(epoch - decay_start) / static_cast<double>(last_epoch - decay_start);
  return *final + 0.5 * (initial - *final) * (1.0 + std::cos(std::numbers::pi * t));
}

void LrSchedule::validate() const {
  if (!(initial > 0.0 && std::isfinite(initial))) throw Error("--lr", "must be a positive number");
  if (!final) return;
  if (!(*final > 0.0 && *final <= initial)) throw Error("--lr-final", "must be positive and at most --lr");
  if (decay_start < 0) throw Error("--lr-decay-start", "must not be negative");
}

std::string LrSchedule::describe() const {
  if (!final) return fmt::format("learning rate {:g}", initial);
  return fmt::format("learning rate {:g} to epoch {}, then cosine decay to {:g} at epoch {}", initial, decay_start,
                     *final, last_epoch);
}

}  // namespace nnse::train
