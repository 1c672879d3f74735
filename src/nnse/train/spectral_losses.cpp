// The losses on the spectrum: bin-wise (mag_*, log_mse, cplx_*, and the compressed cmag_mse, ccplx_mse, cmix,
// nnse_pow) and frame-wise (spec_corr). Formulas and normalization: loss.h and docs/metrics.md.
#include "nnse/nn/eigen_diagnostics.h"
NNSE_EIGEN_WARNINGS_OFF
#include <Eigen/Core>
NNSE_EIGEN_WARNINGS_ON

#include <cmath>
#include <numbers>
#include <sstream>
#include <vector>

#include "nnse/train/loss_frames.h"
#include "nnse/train/loss_kinds.h"
#include "nnse/util/error.h"

namespace nnse::train::loss_detail {
namespace {

// The exponent of the reference system's loss (magnitude^0.6 = power^0.3); not a knob, it defines nnse_pow.
constexpr double kNnsePowExponent = 0.6;

// Gains are masks, normally >= 0: at G = 0 we use the right derivative of |G| so a gain stuck at zero still
// gets a useful gradient (the symmetric choice, 0, would freeze it).
double gain_sign(double g) { return g >= 0.0 ? 1.0 : -1.0; }

double sign(double x) { return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : 0.0); }

// Power-law compression with an offset: C(x) = (x + eps)^c - eps^c. C(0) = 0 and the slope at 0 is finite
// (c eps^(c-1)) where x^c has an infinite one; this is the reference's own guard (reference 4.4).
struct Compression {
  double c, eps, offset;
  Compression(double c_, double eps_) : c(c_), eps(eps_), offset(std::pow(eps_, c_)) {}
  double value(double x) const { return std::pow(x + eps, c) - offset; }
  // C(x) and C'(x) from one pow: the loss is evaluated for every bin of every step, and pow dominates it.
  void value_and_slope(double x, double& value_out, double& slope_out) const {
    const double base = x + eps;
    const double powered = std::pow(base, c);
    value_out = powered - offset;
    slope_out = c * powered / base;
  }
};

// One time-frequency bin in double precision. (STFT values are far from overflow, so sqrt(x^2 + y^2) is as
// exact as hypot and much cheaper.)
struct Bin {
  double sr, si, yr, yi, g;
  double clean_mag() const { return std::sqrt(sr * sr + si * si); }
  double noisy_mag() const { return std::sqrt(yr * yr + yi * yi); }
};

// Sums f(bin, dl) over the valid bins of the range, scales by `scale`, and writes scale * dl to the gradient
// (zero on padded frames).
template <class F>
double sum_bins(const LossBatch& b, float* grad, double scale, F&& f) {
  double total = 0.0;
  for_each_valid_frame(b, grad, [&](const Frame& frame) {
    double frame_total = 0.0;
    for (int k = 0; k < b.bins; ++k) {
      const std::size_t i = frame.base + to_size(k);
      const Bin bin{frame.clean[k].real(), frame.clean[k].imag(), frame.noisy[k].real(), frame.noisy[k].imag(),
                    b.gain[i]};
      double dl = 0.0;
      frame_total += f(bin, dl);
      if (grad) grad[i] = static_cast<float>(dl * scale);
    }
    total += frame_total;
  });
  return total * scale;
}

// The compressed losses, one frame at a time in double-precision arrays (vectorized log/exp: pow per bin was
// most of a training step). With A = |S|, B = |G Y|, u = unit phasor (0 for a zero bin) and
// P = sign(G) C(B), which is odd and smooth in G so the complex term is differentiable at G = 0 too:
//   (1 - a) (C(A) - C(B))^2 + a |C(A) u_S - P u_Y|^2      (a = 0: cmag_mse / nnse_pow, 1: ccplx_mse, else cmix)
double sum_compressed(const LossBatch& b, float* grad, double scale, const Compression& C, double a) {
  using Array = Eigen::ArrayXd;
  const Eigen::Index bins = b.bins;
  // Every array is sized once per call: Eigen assigns into them without allocating.
  Array sr(bins), si(bins), yr(bins), yi(bins), g(bins), as(bins), ay(bins), sign_g(bins), ah(bins), c_as(bins),
      powered_h(bins), c_ah(bins), slope_ah(bins), loss(bins), dl(bins), d(bins), cs(bins), ur(bins), ui(bins),
      p(bins), er(bins), ei(bins);
  const Array ones = Array::Ones(bins);
  double total = 0.0;
  for_each_valid_frame(b, grad, [&](const Frame& f) {
    for (Eigen::Index k = 0; k < bins; ++k) {
      sr[k] = f.clean[k].real();
      si[k] = f.clean[k].imag();
      yr[k] = f.noisy[k].real();
      yi[k] = f.noisy[k].imag();
      g[k] = b.gain[f.base + static_cast<std::size_t>(k)];
    }
    as = (sr.square() + si.square()).sqrt();
    ay = (yr.square() + yi.square()).sqrt();
    sign_g = (g >= 0.0).select(ones, -ones);  // the right derivative of |G| at 0
    ah = g.abs() * ay;
    c_as = (C.c * (as + C.eps).log()).exp() - C.offset;
    powered_h = (C.c * (ah + C.eps).log()).exp();
    c_ah = powered_h - C.offset;
    slope_ah = C.c * powered_h / (ah + C.eps);
    loss.setZero();
    dl.setZero();
    if (a != 1.0) {
      d = c_as - c_ah;
      loss += (1.0 - a) * d.square();
      dl += (1.0 - a) * (-2.0) * d * slope_ah * ay * sign_g;
    }
    if (a != 0.0) {
      cs = (as > 0.0).select(c_as / as, 0.0);
      ur = (ay > 0.0).select(yr / ay, 0.0);
      ui = (ay > 0.0).select(yi / ay, 0.0);
      p = sign_g * c_ah;
      er = cs * sr - p * ur;
      ei = cs * si - p * ui;
      loss += a * (er.square() + ei.square());
      dl += a * (-2.0) * (er * ur + ei * ui) * slope_ah * ay;
    }
    total += loss.sum();
    if (grad) {
      for (Eigen::Index k = 0; k < bins; ++k) grad[f.base + static_cast<std::size_t>(k)] = static_cast<float>(dl[k] * scale);
    }
  });
  return total * scale;
}

// ---- spectral losses, one bin at a time ----

class BinLoss final : public Loss {
 public:
  BinLoss(Kind kind, std::string name, double c, double a, double eps)
      : kind_(kind), name_(std::move(name)), c_(c), a_(a), eps_(eps), compress_(kind == Kind::nnse_pow ? kNnsePowExponent : c, eps > 0 ? eps : 1.0) {}

  double evaluate(const LossBatch& b, float* grad) const override {
    check_batch(b, name_.c_str());
    if (b.total_valid_frames <= 0.0) {
      zero_gradient(b, grad);
      return 0.0;
    }
    const double per_frame = 1.0 / b.total_valid_frames;
    const double scale = kind_ == Kind::nnse_pow ? per_frame : per_frame / b.bins;
    const Compression& C = compress_;
    switch (kind_) {
      case Kind::mag_mse:
        return sum_bins(b, grad, scale, [](const Bin& x, double& dl) {
          const double ay = x.noisy_mag();
          const double d = x.clean_mag() - std::abs(x.g) * ay;
          dl = -2.0 * d * gain_sign(x.g) * ay;
          return d * d;
        });
      case Kind::mag_mae:
        return sum_bins(b, grad, scale, [](const Bin& x, double& dl) {
          const double ay = x.noisy_mag();
          const double d = x.clean_mag() - std::abs(x.g) * ay;
          dl = -sign(d) * gain_sign(x.g) * ay;
          return std::abs(d);
        });
      case Kind::log_mse:
        return sum_bins(b, grad, scale, [eps = eps_](const Bin& x, double& dl) {
          const double py = x.yr * x.yr + x.yi * x.yi;
          const double ph = x.g * x.g * py;
          const double d = std::log10(x.sr * x.sr + x.si * x.si + eps) - std::log10(ph + eps);
          dl = -2.0 * d * (2.0 * x.g * py) / ((ph + eps) * std::numbers::ln10);
          return d * d;
        });
      case Kind::cplx_mse:
        return sum_bins(b, grad, scale, [](const Bin& x, double& dl) {
          const double er = x.sr - x.g * x.yr, ei = x.si - x.g * x.yi;
          dl = -2.0 * (er * x.yr + ei * x.yi);
          return er * er + ei * ei;
        });
      case Kind::cplx_mae:
        return sum_bins(b, grad, scale, [](const Bin& x, double& dl) {
          const double er = x.sr - x.g * x.yr, ei = x.si - x.g * x.yi;
          dl = -(sign(er) * x.yr + sign(ei) * x.yi);
          return std::abs(er) + std::abs(ei);
        });
      case Kind::cmag_mse:
      case Kind::nnse_pow:
        return sum_compressed(b, grad, scale, C, 0.0);
      case Kind::ccplx_mse:
        return sum_compressed(b, grad, scale, C, 1.0);
      case Kind::cmix:
        return sum_compressed(b, grad, scale, C, a_);
      default:
        throw Error("loss " + name_ + ": not a bin-wise loss");
    }
  }

  std::string describe() const override {
    std::ostringstream out;
    out << name_;
    switch (kind_) {
      case Kind::mag_mse: out << ": E[(|S| - |G Y|)^2]"; break;
      case Kind::mag_mae: out << ": E[||S| - |G Y||]"; break;
      case Kind::log_mse: out << " (eps=" << eps_ << "): E[(log10(|S|^2+eps) - log10(|G Y|^2+eps))^2]"; break;
      case Kind::cplx_mse: out << ": E[|S - G Y|^2]"; break;
      case Kind::cplx_mae: out << ": E[|Re(S - G Y)| + |Im(S - G Y)|]"; break;
      case Kind::cmag_mse: out << " (c=" << c_ << ", eps=" << eps_ << "): E[(C(|S|) - C(|G Y|))^2]"; break;
      case Kind::ccplx_mse: out << " (c=" << c_ << ", eps=" << eps_ << "): E[|C(|S|)e^{j arg S} - C(|G Y|)e^{j arg G Y}|^2]"; break;
      case Kind::cmix: out << " (c=" << c_ << ", a=" << a_ << ", eps=" << eps_ << "): (1-a) cmag_mse + a ccplx_mse"; break;
      case Kind::nnse_pow:
        out << " (exponent=" << kNnsePowExponent << ", eps=" << eps_ << "): sum over bins, mean over frames of (C(|S|) - C(|G Y|))^2";
        return out.str();
      default: break;
    }
    if (kind_ == Kind::cmag_mse || kind_ == Kind::ccplx_mse || kind_ == Kind::cmix) out << ", C(x) = (x+eps)^c - eps^c";
    out << "; E = mean over valid frames and bins";
    return out.str();
  }

 private:
  Kind kind_;
  std::string name_;
  double c_, a_, eps_;
  Compression compress_;
};

// ---- spectral correlation, one frame at a time ----

class SpecCorrLoss final : public Loss {
 public:
  SpecCorrLoss(double c, double eps) : c_(c), eps_(eps), compress_(c, eps) {}

  double evaluate(const LossBatch& b, float* grad) const override {
    check_batch(b, "spec_corr");
    if (b.total_valid_frames <= 0.0) {
      zero_gradient(b, grad);
      return 0.0;
    }
    const double scale = 1.0 / b.total_valid_frames;
    std::vector<double> u(to_size(b.bins)), v(to_size(b.bins)), dv(to_size(b.bins));
    double total = 0.0;
    for_each_valid_frame(b, grad, [&](const Frame& f) {
      double uv = 0.0, uu = 0.0, vv = 0.0;
      for (int k = 0; k < b.bins; ++k) {
        const auto kk = to_size(k);
        const double ay = std::abs(static_cast<std::complex<double>>(f.noisy[k]));
        const double g = b.gain[f.base + kk];
        const double ah = std::abs(g) * ay;
        u[kk] = compress_.value(std::abs(static_cast<std::complex<double>>(f.clean[k])));
        double slope = 0.0;
        compress_.value_and_slope(ah, v[kk], slope);
        dv[kk] = slope * ay * gain_sign(g);
        uv += u[kk] * v[kk];
        uu += u[kk] * u[kk];
        vv += v[kk] * v[kk];
      }
      const double root = std::sqrt((uu + eps_) * (vv + eps_));
      const double cosine = uv / root;
      total += 1.0 - cosine;
      if (grad) {
        for (int k = 0; k < b.bins; ++k) {
          const auto kk = to_size(k);
          const double dcos = u[kk] / root - uv * v[kk] / ((vv + eps_) * root);
          grad[f.base + kk] = static_cast<float>(-dcos * dv[kk] * scale);
        }
      }
    });
    return total * scale;
  }

  std::string describe() const override {
    std::ostringstream out;
    out << "spec_corr (c=" << c_ << ", eps=" << eps_
        << "): mean over valid frames of 1 - <C(|S|), C(|G Y|)> / sqrt((|C(|S|)|^2+eps)(|C(|G Y|)|^2+eps)), "
           "C(x) = (x+eps)^c - eps^c";
    return out.str();
  }

 private:
  double c_, eps_;
  Compression compress_;
};

}  // namespace

std::unique_ptr<Loss> make_bin_loss(Kind kind, std::string name, double c, double a, double eps) {
  return std::make_unique<BinLoss>(kind, std::move(name), c, a, eps);
}

std::unique_ptr<Loss> make_spec_corr_loss(double c, double eps) { return std::make_unique<SpecCorrLoss>(c, eps); }

}  // namespace nnse::train::loss_detail
