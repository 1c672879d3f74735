// concat_input: a layer whose output is its own output followed by its input (see network.h). It wraps the
// layer's own work and copies; the skip part's gradient is added to the previous layer's output gradient.
#include <algorithm>

#include "nnse/nn/layer_work.h"

namespace nnse::nn {
namespace {

template <typename T>
class ConcatInputWork final : public LayerWork<T> {
 public:
  ConcatInputWork(const Network<T>& network, const LayerInfo& info, std::unique_ptr<LayerWork<T>> inner)
      : LayerWork<T>(network, info), inner_(std::move(inner)) {}

  void bind(const Pass<T>& pass, const T* input, const T* mask, StreamState<T>& state, int first_slot) override {
    inner_->bind(pass, input, mask, state, first_slot);
    this->input_ = input;
    const std::size_t size = static_cast<std::size_t>(this->info_.output_dim) * pass.N;
    grow(this->dout_, size);
    this->out_ = grow(concat_, size);
  }

  void forward(const Pass<T>& pass, int t0, int t1) override {
    inner_->forward(pass, t0, t1);
    const int u = this->info_.units, in = this->info_.input_dim, rows = this->info_.output_dim;
    const T* own = inner_->output();
    for (int c = t0 * pass.B; c < t1 * pass.B; ++c) {
      T* target = concat_.data() + static_cast<std::ptrdiff_t>(c) * rows;
      std::copy_n(own + static_cast<std::ptrdiff_t>(c) * u, u, target);
      std::copy_n(this->input_ + static_cast<std::ptrdiff_t>(c) * in, in, target + u);
    }
  }

  void backward(const Pass<T>& pass, int t0, int t1, T* din) override {
    const int u = this->info_.units, in = this->info_.input_dim, rows = this->info_.output_dim;
    T* own = inner_->output_gradient();
    for (int c = t0 * pass.B; c < t1 * pass.B; ++c)
      std::copy_n(this->dout_.data() + static_cast<std::ptrdiff_t>(c) * rows, u, own + static_cast<std::ptrdiff_t>(c) * u);
    inner_->backward(pass, t0, t1, din);
    if (!din) return;  // layer 0: the input is the features
    for (int c = t0 * pass.B; c < t1 * pass.B; ++c) {
      const T* skip = this->dout_.data() + static_cast<std::ptrdiff_t>(c) * rows + u;
      T* target = din + static_cast<std::ptrdiff_t>(c) * in;
      for (int i = 0; i < in; ++i) target[i] += skip[i];
    }
  }

 private:
  std::unique_ptr<LayerWork<T>> inner_;
  Buffer<T> concat_;
};

}  // namespace

template <typename T>
std::unique_ptr<LayerWork<T>> make_concat_input_work(const Network<T>& network, const LayerInfo& info,
                                                     std::unique_ptr<LayerWork<T>> inner) {
  return std::make_unique<ConcatInputWork<T>>(network, info, std::move(inner));
}

template std::unique_ptr<LayerWork<float>> make_concat_input_work(const Network<float>&, const LayerInfo&,
                                                                  std::unique_ptr<LayerWork<float>>);
template std::unique_ptr<LayerWork<double>> make_concat_input_work(const Network<double>&, const LayerInfo&,
                                                                   std::unique_ptr<LayerWork<double>>);

}  // namespace nnse::nn
