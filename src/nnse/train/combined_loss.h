#pragma once
// A weighted sum of training losses: `--loss "wsdr+0.5*cmag_mse"` trains on L = wsdr + 0.5 cmag_mse.
//
// Why: the time-domain losses (wsdr, si_sdr) are scale-invariant and weigh a bin by its energy, so a network
// trained on them alone is not told to keep quiet speech (high bands, onsets, consonants) at unity gain; a
// compressed-magnitude term (cmag_mse) anchors the level and weighs quiet bins. Each term keeps its own
// normalization (loss.h), so the weights are relative to those scales.
#include <memory>
#include <string>
#include <vector>

#include "nnse/train/loss.h"

namespace nnse::train {

struct LossTerm {
  double weight = 1.0;
  std::string name;
};

// Splits "a+w*b+..." into terms; a single name gives one term of weight 1. Throws nnse::Error naming the text
// for an empty term, a weight that is not a positive finite number, or a repeated name (make_combined_loss
// checks the names themselves, through make_loss).
std::vector<LossTerm> parse_loss_terms(const std::string& text);

// True when the text names more than one term (the caller builds a CombinedLoss instead of a single loss).
bool is_combined_loss(const std::string& text);

// The sum over terms of weight x term; `config.c`, `a` and `eps` apply to every term that uses them.
std::unique_ptr<Loss> make_combined_loss(const LossConfig& config, const dsp::FrontendConfig& frontend,
                                         const std::vector<LossTerm>& terms);

}  // namespace nnse::train
