#include "nnse/export/quantize.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "nnse/dsp/mel.h"
#include "nnse/util/error.h"

namespace nnse::deploy {
namespace {

std::size_t sz(int n) { return static_cast<std::size_t>(n); }

std::int32_t to_int32(double v, int q) {
  const double x = std::nearbyint(std::ldexp(v, q));
  return static_cast<std::int32_t>(std::clamp(x, -2147483648.0, 2147483647.0));
}

// A layer's matrices in the runtime's orientation [rows][cols], float.
struct Matrices {
  int rows = 0, cols = 0, units = 0;
  std::vector<double> w, r, bias, rbias;
};

const nn::ParameterTensor& tensor(const nn::Model& model, int layer, const std::string& suffix) {
  const std::string name =
      "layer" + std::to_string(layer) + "." + nn::to_string(model.arch().layers[sz(layer)].type) + "." + suffix;
  for (const auto& t : model.parameters())
    if (t.name == name) return t;
  throw Error("quantize: model has no tensor " + name);
}

// Keras layouts (nn/network.h): fc weight [in, units], conv1d [K, in, units], lstm/gru weight [in, G*units] and
// recurrent_weight [units, G*units]: element (i, row) at i * rows + row. Transposed to [rows][cols].
Matrices matrices_of(const nn::Model& model, int l) {
  const auto& spec = model.arch().layers[sz(l)];
  const auto& info = model.network().layers()[sz(l)];
  Matrices m;
  m.units = info.units;
  const int gates = spec.type == nn::LayerType::lstm ? 4 : (spec.type == nn::LayerType::gru ? 3 : 1);
  m.rows = gates * info.units;
  m.cols = info.kernel * info.input_dim;
  const auto& w = tensor(model, l, "weight").value;
  m.w.resize(sz(m.rows) * sz(m.cols));
  for (int c = 0; c < m.cols; ++c)
    for (int r = 0; r < m.rows; ++r) m.w[sz(r) * sz(m.cols) + sz(c)] = w[static_cast<Eigen::Index>(c) * m.rows + r];
  if (gates > 1) {
    const auto& rw = tensor(model, l, "recurrent_weight").value;
    m.r.resize(sz(m.rows) * sz(m.units));
    for (int c = 0; c < m.units; ++c)
      for (int r = 0; r < m.rows; ++r) m.r[sz(r) * sz(m.units) + sz(c)] = rw[static_cast<Eigen::Index>(c) * m.rows + r];
  }
  const auto& b = tensor(model, l, "bias").value;
  m.bias.assign(b.data(), b.data() + b.size());
  if (spec.type == nn::LayerType::gru) {
    const auto& rb = tensor(model, l, "recurrent_bias").value;
    m.rbias.assign(rb.data(), rb.data() + rb.size());
  }
  return m;
}

double max_abs(const double* v, std::size_t n) {
  double m = 0.0;
  for (std::size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(v[i]));
  return m;
}

std::uint8_t activation_code(nn::Activation a) {
  switch (a) {
    case nn::Activation::relu6: return NNSP_ACT_RELU6;
    case nn::Activation::tanh: return NNSP_ACT_TANH;
    case nn::Activation::sigmoid: return NNSP_ACT_SIGMOID;
    case nn::Activation::linear: return NNSP_ACT_LINEAR;
  }
  return NNSP_ACT_LINEAR;
}

std::uint8_t kind_code(nn::LayerType t) {
  switch (t) {
    case nn::LayerType::fc: return NNSP_LAYER_FC;
    case nn::LayerType::conv1d: return NNSP_LAYER_CONV1D;
    case nn::LayerType::lstm: return NNSP_LAYER_LSTM;
    case nn::LayerType::gru: return NNSP_LAYER_GRU;
  }
  return NNSP_LAYER_FC;
}

void check_frontend(const dsp::FrontendConfig& c) {
  if (c.sample_rate != NNSP_SAMPLE_RATE || c.window_length != NNSP_WINDOW || c.hop_length != NNSP_HOP ||
      c.fft_size != NNSP_FFT) {
    throw Error("quantize: the runtime implements only the 16 kHz, 480/160/512 front end");
  }
  if (c.mel_weight_bits != 15 && c.mel_weight_bits != 0 && c.uses_mel())
    throw Error("quantize: mel weights must be Q15 (mel_weight_bits 15 or 0)");
}

std::uint8_t feature_code(dsp::FeatureType t) {
  switch (t) {
    case dsp::FeatureType::mel: return NNSP_FEATURE_MEL;
    case dsp::FeatureType::melflat: return NNSP_FEATURE_MELFLAT;
    case dsp::FeatureType::pspec: break;
  }
  return NNSP_FEATURE_PSPEC;
}

int fraction_bits(double max_abs_value, int max_q, double limit) {
  int q = max_q;
  while (q > 0 && std::nearbyint(std::ldexp(max_abs_value, q)) > limit) --q;
  return q;
}

}  // namespace

int weight_fraction_bits(double max_abs_value, int max_q) { return fraction_bits(max_abs_value, max_q, 127.0); }

int bias_fraction_bits(double max_abs_value, int max_q) {
  return fraction_bits(max_abs_value, std::max(max_q, 0), 32767.0);
}

std::int8_t to_int8(double v, int q) {
  const double x = std::nearbyint(std::ldexp(v, q));
  return static_cast<std::int8_t>(std::clamp(x, -128.0, 127.0));
}

std::int16_t to_int16(double v, int q) {
  const double x = std::nearbyint(std::ldexp(v, q));
  return static_cast<std::int16_t>(std::clamp(x, -32768.0, 32767.0));
}

int output_fraction_bits(nn::LayerType type, nn::Activation activation, const QuantizeOptions& options) {
  if (type == nn::LayerType::lstm || type == nn::LayerType::gru) return kHiddenQ;
  if (activation == nn::Activation::relu6) return kRelu6Q;
  return activation == nn::Activation::linear ? options.linear_q : kHiddenQ;
}

std::int32_t pass_gain_q15(double pass_gain) {
  if (!(pass_gain > 0.0 && pass_gain <= 1.0))
    throw Error("pass gain must be in (0, 1], got " + std::to_string(pass_gain));
  return static_cast<std::int32_t>(std::clamp(std::nearbyint(std::ldexp(pass_gain, 15)), 1.0, 32768.0));
}

std::int32_t floor_guard_q8(double beta) {
  const double q8 = std::nearbyint(std::ldexp(beta, 8));
  if (!(beta >= 0.0) || !(q8 <= 65535.0))
    throw Error("noise-floor guard must be in [0, 255.99], got " + std::to_string(beta));
  return static_cast<std::int32_t>(q8);
}

std::int32_t pitch_filter_q15(double strength) {
  if (!(strength >= 0.0 && strength <= 1.0))
    throw Error("pitch filter strength must be in [0, 1], got " + std::to_string(strength));
  return static_cast<std::int32_t>(std::nearbyint(std::ldexp(strength, 15)));
}

std::int64_t QuantizedModel::weight_bytes() const {
  std::int64_t n = 0;
  for (const auto& l : layers)
    n += static_cast<std::int64_t>(l.w.size() + l.r.size() + 2 * (l.bias.size() + l.rbias.size()));
  return n;
}

void quantize_into(const nn::Model& model, const dsp::FrontendConfig& frontend, const dsp::FeatureStats& stats,
                   const QuantizeOptions& options, QuantizedModel& out) {
  check_frontend(frontend);
  const int layer_count = static_cast<int>(model.arch().layers.size());
  if (layer_count == 0 || layer_count > 65535) throw Error("quantize: the model has no layers");
  if (model.output_dim() != NNSP_BINS) throw Error("quantize: the runtime needs 257 gains per frame");
  if (stats.dim() != frontend.feature_dim()) throw Error("quantize: stats do not match the front end");
  if (model.input_dim() != frontend.feature_dim()) {
    throw Error("quantize: the model takes " + std::to_string(model.input_dim()) + " features, the front end gives " +
                std::to_string(frontend.feature_dim()));
  }
  for (const auto& info : model.network().layers()) {
    if (info.kernel > 255 || info.input_dim > 65535 || info.units > 65535)
      throw Error("quantize: layer " + std::to_string(info.index) + " is too large for the runtime's format");
  }

  out.layers.assign(sz(layer_count), {});
  out.layer_table.assign(sz(layer_count), nnsp_layer{});
  int q_in = options.input_q;
  for (int l = 0; l < layer_count; ++l) {
    const auto& spec = model.arch().layers[sz(l)];
    const auto& info = model.network().layers()[sz(l)];
    const Matrices m = matrices_of(model, l);
    const bool recurrent = spec.type == nn::LayerType::lstm || spec.type == nn::LayerType::gru;
    auto& store = out.layers[sz(l)];
    nnsp_layer& L = out.layer_table[sz(l)];
    L.kind = kind_code(spec.type);
    L.activation = recurrent ? static_cast<std::uint8_t>(NNSP_ACT_TANH) : activation_code(spec.activation);
    L.kernel = static_cast<std::uint8_t>(info.kernel);
    L.in_dim = static_cast<std::uint16_t>(info.input_dim);
    L.units = static_cast<std::uint16_t>(info.units);
    L.q_in = static_cast<std::int8_t>(q_in);
    const int q_out = output_fraction_bits(spec.type, spec.activation, options);
    L.q_out = static_cast<std::int8_t>(q_out);
    if (spec.concat_input && q_out != q_in)
      throw Error("quantize: layer " + std::to_string(l) + " (" + nn::to_string(spec.type) + ", concat_input) outputs Q" +
                  std::to_string(q_out) + " but its input is Q" + std::to_string(q_in) +
                  ": the runtime's skip path copies the input beside the output in one format, so it needs a layer "
                  "whose input and output formats agree (e.g. after a tanh, sigmoid or recurrent layer)");
    L.concat_input = spec.concat_input ? 1 : 0;

    // Weight formats: per tensor (the reference) or per row.
    store.q_w_rows.resize(sz(m.rows));
    store.q_r_rows.resize(recurrent ? sz(m.rows) : 0);
    const int tensor_q_w = weight_fraction_bits(max_abs(m.w.data(), m.w.size()), kMaxWeightQ);
    const int tensor_q_r = recurrent ? weight_fraction_bits(max_abs(m.r.data(), m.r.size()), kMaxWeightQ) : 0;
    // Bias formats: the most bits that keep the tensor within int16, capped at the smallest accumulator format of
    // the rows it is added to (finer bits would be dropped by the accumulator anyway).
    int min_q_acc = std::numeric_limits<int>::max(), min_q_acc_n = std::numeric_limits<int>::max();
    for (int r = 0; r < m.rows; ++r) {
      const int qw = options.per_channel
                         ? weight_fraction_bits(max_abs(m.w.data() + sz(r) * sz(m.cols), sz(m.cols)), kMaxWeightQ)
                         : tensor_q_w;
      const int qr = recurrent && options.per_channel
                         ? weight_fraction_bits(max_abs(m.r.data() + sz(r) * sz(m.units), sz(m.units)), kMaxWeightQ)
                         : tensor_q_r;
      store.q_w_rows[sz(r)] = static_cast<std::int8_t>(qw);
      if (recurrent) store.q_r_rows[sz(r)] = static_cast<std::int8_t>(qr);
      const int q_acc = recurrent ? std::max(q_in + qw, kHiddenQ + qr) : q_in + qw;
      min_q_acc = std::min(min_q_acc, q_acc);
      if (r >= 2 * m.units) min_q_acc_n = std::min(min_q_acc_n, q_acc);
    }
    L.q_w = static_cast<std::int8_t>(tensor_q_w);
    L.q_r = static_cast<std::int8_t>(tensor_q_r);
    L.q_b = static_cast<std::int8_t>(bias_fraction_bits(max_abs(m.bias.data(), m.bias.size()), min_q_acc));
    L.q_rb = static_cast<std::int8_t>(
        m.rbias.empty() ? 0 : bias_fraction_bits(max_abs(m.rbias.data(), m.rbias.size()), min_q_acc_n));

    store.w.resize(m.w.size());
    store.bias.resize(sz(m.rows));
    if (recurrent) store.r.resize(m.r.size());
    for (int r = 0; r < m.rows; ++r) {
      const int qw = store.q_w_rows[sz(r)];
      const int qr = recurrent ? store.q_r_rows[sz(r)] : 0;
      for (int c = 0; c < m.cols; ++c) store.w[sz(r) * sz(m.cols) + sz(c)] = to_int8(m.w[sz(r) * sz(m.cols) + sz(c)], qw);
      if (recurrent)
        for (int c = 0; c < m.units; ++c)
          store.r[sz(r) * sz(m.units) + sz(c)] = to_int8(m.r[sz(r) * sz(m.units) + sz(c)], qr);
      store.bias[sz(r)] = to_int16(m.bias[sz(r)], L.q_b);
    }
    store.rbias.resize(m.rbias.size());
    for (std::size_t j = 0; j < m.rbias.size(); ++j) store.rbias[j] = to_int16(m.rbias[j], L.q_rb);
    L.q_w_rows = options.per_channel ? store.q_w_rows.data() : nullptr;
    L.q_r_rows = options.per_channel && recurrent ? store.q_r_rows.data() : nullptr;
    L.w = store.w.data();
    L.r = recurrent ? store.r.data() : nullptr;
    L.bias = store.bias.data();
    L.rbias = store.rbias.empty() ? nullptr : store.rbias.data();
    q_in = q_out;
  }

  // Front end.
  const int dim = frontend.feature_dim();
  out.mel_first_bin.clear();
  out.mel_count.clear();
  out.mel_offset.clear();
  out.mel_weights_q15.clear();
  if (frontend.uses_mel()) {  // mel and melflat: the runtime computes both from the filterbank's tables
    const dsp::MelFilterbank bank(frontend);
    for (int b = 0; b < bank.bands(); ++b) {
      const auto w = bank.weights(b);
      out.mel_first_bin.push_back(static_cast<std::uint16_t>(bank.first_bin(b)));
      out.mel_count.push_back(static_cast<std::uint16_t>(w.size()));
      out.mel_offset.push_back(static_cast<std::uint16_t>(out.mel_weights_q15.size()));
      for (float v : w)
        out.mel_weights_q15.push_back(static_cast<std::int16_t>(std::clamp(std::nearbyint(std::ldexp(double(v), 15)), 0.0, 32767.0)));
    }
  }
  out.mean_q15.resize(sz(dim));
  out.inv_std_q15.resize(sz(dim));
  for (int i = 0; i < dim; ++i) {
    out.mean_q15[sz(i)] = to_int32(stats.mean[sz(i)], 15);
    out.inv_std_q15[sz(i)] = to_int32(stats.inv_std[sz(i)], 15);
  }

  nnsp_model& M = out.model_;
  M = nnsp_model{};
  M.version = NNSP_MODEL_VERSION;
  M.sample_rate = NNSP_SAMPLE_RATE;
  M.window_length = NNSP_WINDOW;
  M.hop_length = NNSP_HOP;
  M.fft_size = NNSP_FFT;
  M.feature_type = feature_code(frontend.feature_type);
  M.input_q = static_cast<std::uint8_t>(options.input_q);
  M.feature_dim = static_cast<std::uint16_t>(dim);
  M.feature_dc_pole_q30 = frontend.dc_removal ? to_int32(frontend.dc_pole, 30) : 0;
  M.output_dc_pole_q30 = to_int32(options.output_dc_pole, 30);
  M.log_offset_q23 = to_int32(frontend.log_offset, 23);
  M.pass_gain_q15 = pass_gain_q15(options.pass_gain);
  M.floor_guard_q8 = floor_guard_q8(options.floor_guard);
  M.pitch_filter_q15 = pitch_filter_q15(options.pitch_filter);
  M.mel_first_bin = out.mel_first_bin.empty() ? nullptr : out.mel_first_bin.data();
  M.mel_count = out.mel_count.empty() ? nullptr : out.mel_count.data();
  M.mel_offset = out.mel_offset.empty() ? nullptr : out.mel_offset.data();
  M.mel_weights_q15 = out.mel_weights_q15.empty() ? nullptr : out.mel_weights_q15.data();
  M.mean_q15 = out.mean_q15.data();
  M.inv_std_q15 = out.inv_std_q15.data();
  M.num_layers = static_cast<std::uint16_t>(layer_count);
  M.layers = out.layer_table.data();
}

}  // namespace nnse::deploy
