// The losses on the time signal, one sequence at a time: si_sdr and wsdr (loss.h, docs/metrics.md). Each
// sequence's clean and estimated spectra go back to the time domain (dsp::istft), and the gradient comes back
// through the adjoint of that inverse STFT.
#include <cmath>
#include <numbers>
#include <span>
#include <sstream>
#include <vector>

#include "nnse/dsp/stft.h"
#include "nnse/train/loss_frames.h"
#include "nnse/train/loss_kinds.h"
#include "nnse/util/error.h"

namespace nnse::train::loss_detail {
namespace {

double dot(std::span<const float> x, std::span<const float> y) {
  double sum = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) sum += static_cast<double>(x[i]) * y[i];
  return sum;
}

class TimeLoss final : public Loss {
 public:
  TimeLoss(Kind kind, std::string name, double eps, const dsp::FrontendConfig& frontend)
      : kind_(kind), name_(std::move(name)), eps_(eps), frontend_(frontend) {}

  double evaluate(const LossBatch& b, float* grad) const override {
    check_batch(b, name_.c_str());
    if (b.bins != frontend_.bins()) {
      throw Error("loss " + name_ + ": batch has " + std::to_string(b.bins) + " bins, the front end " +
                  std::to_string(frontend_.bins()));
    }
    const double scale = b.total_sequences > 0 ? 1.0 / b.total_sequences : 0.0;
    if (grad) std::fill(grad, grad + to_size(static_cast<long long>(b.sequences) * b.frames * b.bins), 0.0f);
    double total = 0.0;
    for (int s = 0; s < b.sequences; ++s) {
      int frames = 0;  // padding is at the end: the sequence is its leading run of valid frames
      while (frames < b.frames && frame_valid(b, s, frames)) ++frames;
      if (frames == 0 || scale == 0.0) continue;
      total += sequence(b, s, frames, scale, grad);
    }
    return total * scale;
  }

  std::string describe() const override {
    std::ostringstream out;
    out << name_ << " (eps=" << eps_ << "): ";
    if (kind_ == Kind::si_sdr) {
      out << "-10 log10((|b s|^2+eps) / (|b s - s_hat|^2+eps)), b = <s_hat, s> / (|s|^2+eps)";
    } else {
      out << "-(w cos(s, s_hat) + (1-w) cos(n, n_hat)), n = y - s, n_hat = y - s_hat, w = |s|^2/(|s|^2+|n|^2+eps), "
             "cos(x, z) = <x, z> / sqrt((|x|^2+eps)(|z|^2+eps))";
    }
    out << "; s = istft(S), s_hat = istft(G Y) over the valid frames; mean over sequences";
    return out.str();
  }

 private:
  // Loss of one sequence (unscaled); adds scale * dL/dG to its gradient rows.
  double sequence(const LossBatch& b, int s, int frames, double scale, float* grad) const {
    const int bins = b.bins;
    // Clean and noisy rows are read where they are (the chunk's rows are consecutive in its clip); only the
    // estimate G Y is built.
    const std::size_t values = to_size(static_cast<long long>(frames) * bins);
    const std::span<const std::complex<float>> clean(row(b.clean, b, s, 0), values), noisy(row(b.noisy, b, s, 0), values);
    std::vector<std::complex<float>> estimate(values);
    for (int t = 0; t < frames; ++t) {
      const std::size_t base = offset(b, s, t);
      const std::complex<float>* y = row(b.noisy, b, s, t);
      std::complex<float>* e = estimate.data() + to_size(static_cast<long long>(t) * bins);
      for (int k = 0; k < bins; ++k) e[k] = b.gain[base + to_size(k)] * y[k];
    }
    const std::size_t length = to_size(static_cast<long long>(frames) * frontend_.hop_length);
    const std::vector<float> x = dsp::istft(clean, frames, frontend_, length);
    const std::vector<float> xh = dsp::istft(estimate, frames, frontend_, length);
    std::vector<double> dx(length, 0.0);  // dL/d s_hat
    double loss = 0.0;
    if (kind_ == Kind::si_sdr) {
      loss = si_sdr(x, xh, dx);
    } else {
      const std::vector<float> y = dsp::istft(noisy, frames, frontend_, length);
      loss = wsdr(x, xh, y, dx);
    }
    if (grad) {
      std::vector<float> g(length);
      for (std::size_t i = 0; i < length; ++i) g[i] = static_cast<float>(dx[i] * scale);
      const dsp::Spectrum back = dsp::istft_adjoint(g, frontend_, frames);
      for (int t = 0; t < frames; ++t) {
        const std::size_t base = offset(b, s, t);
        const std::complex<float>* y = row(b.noisy, b, s, t);
        for (int k = 0; k < bins; ++k) {
          const std::complex<float> a = back.at(t, k);
          // S_hat = G Y: dL/dG = dL/dRe * Re Y + dL/dIm * Im Y.
          grad[base + to_size(k)] = a.real() * y[k].real() + a.imag() * y[k].imag();
        }
      }
    }
    return loss;
  }

  double si_sdr(std::span<const float> x, std::span<const float> xh, std::vector<double>& dx) const {
    const double xx = dot(x, x), xhx = dot(xh, x);
    const double beta = xhx / (xx + eps_);
    const double target = beta * beta * xx;  // |b s|^2
    double error_pos = 0.0;                   // |b s - s_hat|^2, summed directly: no cancellation near the optimum
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double e = beta * x[i] - xh[i];
      error_pos += e * e;
    }
    const double k = 10.0 / std::numbers::ln10;
    // d beta / d s_hat = s / (xx + eps); target and error depend on s_hat directly and through beta.
    const double dbeta_scale = 1.0 / (xx + eps_);
    const double d_target_dbeta = 2.0 * beta * xx;
    const double d_error_dbeta = 2.0 * beta * xx - 2.0 * xhx;  // d|b s - s_hat|^2 / d beta
    const double wt = -k / (target + eps_), we = k / (error_pos + eps_);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double dbeta = x[i] * dbeta_scale;
      const double dtarget = d_target_dbeta * dbeta;
      const double derror = d_error_dbeta * dbeta - 2.0 * (beta * x[i] - xh[i]);
      dx[i] = wt * dtarget + we * derror;
    }
    return -k * (std::log(target + eps_) - std::log(error_pos + eps_));
  }

  // cos(p, q) and its gradient with respect to q (scaled by `weight` and added to dq).
  double cosine(std::span<const double> p, std::span<const double> q, double weight, std::vector<double>& dq) const {
    double pq = 0.0, pp = 0.0, qq = 0.0;
    for (std::size_t i = 0; i < p.size(); ++i) {
      pq += p[i] * q[i];
      pp += p[i] * p[i];
      qq += q[i] * q[i];
    }
    const double root = std::sqrt((pp + eps_) * (qq + eps_));
    for (std::size_t i = 0; i < p.size(); ++i) dq[i] += weight * (p[i] / root - pq * q[i] / ((qq + eps_) * root));
    return pq / root;
  }

  double wsdr(std::span<const float> x, std::span<const float> xh, std::span<const float> y, std::vector<double>& dx) const {
    const std::size_t n = x.size();
    std::vector<double> s(n), sh(n), noise(n), noise_h(n);
    for (std::size_t i = 0; i < n; ++i) {
      s[i] = x[i];
      sh[i] = xh[i];
      noise[i] = static_cast<double>(y[i]) - x[i];
      noise_h[i] = static_cast<double>(y[i]) - xh[i];
    }
    double ss = 0.0, nn = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      ss += s[i] * s[i];
      nn += noise[i] * noise[i];
    }
    const double w = ss / (ss + nn + eps_);
    std::vector<double> d_speech(n, 0.0), d_noise(n, 0.0);
    const double cs = cosine(s, sh, -w, d_speech);
    const double cn = cosine(noise, noise_h, -(1.0 - w), d_noise);
    for (std::size_t i = 0; i < n; ++i) dx[i] = d_speech[i] - d_noise[i];  // n_hat = y - s_hat
    return -(w * cs + (1.0 - w) * cn);
  }

  Kind kind_;
  std::string name_;
  double eps_;
  dsp::FrontendConfig frontend_;
};

}  // namespace

std::unique_ptr<Loss> make_time_loss(Kind kind, std::string name, double eps, const dsp::FrontendConfig& frontend) {
  return std::make_unique<TimeLoss>(kind, std::move(name), eps, frontend);
}

}  // namespace nnse::train::loss_detail
