#include "nnse/train/combined_loss.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "nnse/util/error.h"

namespace nnse::train {
namespace {

std::string trimmed(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  const auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

LossTerm parse_term(const std::string& raw, const std::string& text) {
  const std::string term = trimmed(raw);
  if (term.empty()) throw Error("loss '" + text + "': empty term");
  LossTerm out;
  const auto star = term.find('*');
  if (star == std::string::npos) {
    out.name = term;
    return out;
  }
  const std::string weight = trimmed(term.substr(0, star));
  out.name = trimmed(term.substr(star + 1));
  char* end = nullptr;
  out.weight = std::strtod(weight.c_str(), &end);
  if (weight.empty() || end != weight.c_str() + weight.size() || !(out.weight > 0.0) || !std::isfinite(out.weight)) {
    throw Error("loss '" + text + "': weight '" + weight + "' of term '" + term + "' is not a positive number");
  }
  return out;
}

class CombinedLoss final : public Loss {
 public:
  CombinedLoss(std::vector<LossTerm> terms, std::vector<std::unique_ptr<Loss>> losses)
      : terms_(std::move(terms)), losses_(std::move(losses)) {}

  double evaluate(const LossBatch& batch, float* grad_gain) const override {
    const std::size_t n = static_cast<std::size_t>(batch.sequences) * static_cast<std::size_t>(batch.frames) *
                          static_cast<std::size_t>(batch.bins);
    // The terms after the first write their gradients here; one buffer per thread, kept across steps, so the
    // training step allocates nothing.
    thread_local std::vector<float> term_grad;
    if (grad_gain) term_grad.resize(n);
    double total = 0.0;
    for (std::size_t i = 0; i < losses_.size(); ++i) {
      const auto w = static_cast<float>(terms_[i].weight);
      if (i == 0) {
        total += terms_[i].weight * losses_[i]->evaluate(batch, grad_gain);
        if (grad_gain) {
          for (std::size_t j = 0; j < n; ++j) grad_gain[j] *= w;
        }
        continue;
      }
      total += terms_[i].weight * losses_[i]->evaluate(batch, grad_gain ? term_grad.data() : nullptr);
      if (grad_gain) {
        for (std::size_t j = 0; j < n; ++j) grad_gain[j] += w * term_grad[j];
      }
    }
    return total;
  }

  bool uses_signals() const override {
    return std::any_of(losses_.begin(), losses_.end(), [](const auto& loss) { return loss->uses_signals(); });
  }

  bool reads_clean_rows_with_signals() const override {
    return std::any_of(losses_.begin(), losses_.end(),
                       [](const auto& loss) { return loss->reads_clean_rows_with_signals(); });
  }

  std::string describe() const override {
    std::ostringstream out;
    out << "sum of " << losses_.size() << " terms:";
    for (std::size_t i = 0; i < losses_.size(); ++i) {
      out << (i ? " + " : " ") << terms_[i].weight << " x [" << losses_[i]->describe() << "]";
    }
    return out.str();
  }

 private:
  std::vector<LossTerm> terms_;
  std::vector<std::unique_ptr<Loss>> losses_;
};

}  // namespace

std::vector<LossTerm> parse_loss_terms(const std::string& text) {
  std::vector<LossTerm> terms;
  std::size_t start = 0;
  while (true) {
    const auto plus = text.find('+', start);
    terms.push_back(parse_term(text.substr(start, plus == std::string::npos ? std::string::npos : plus - start), text));
    if (plus == std::string::npos) break;
    start = plus + 1;
  }
  for (std::size_t i = 0; i < terms.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (terms[j].name == terms[i].name) throw Error("loss '" + text + "': term '" + terms[i].name + "' given twice");
    }
  }
  return terms;
}

bool is_combined_loss(const std::string& text) { return text.find('+') != std::string::npos || text.find('*') != std::string::npos; }

std::unique_ptr<Loss> make_combined_loss(const LossConfig& config, const dsp::FrontendConfig& frontend,
                                         const std::vector<LossTerm>& terms) {
  std::vector<std::unique_ptr<Loss>> losses;
  for (const auto& term : terms) {
    LossConfig one = config;
    one.name = term.name;
    try {
      losses.push_back(make_loss(one, frontend));  // the one check of names and knobs
    } catch (const Error& e) {
      throw Error("loss '" + config.name + "': " + e.what());
    }
  }
  return std::make_unique<CombinedLoss>(terms, std::move(losses));
}

}  // namespace nnse::train
