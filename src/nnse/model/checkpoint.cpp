#include "nnse/model/checkpoint.h"

#include <openssl/evp.h>

#include <array>
#include <bit>
#include <cstring>

#include "nnse/model/model_folder.h"
#include "nnse/util/atomic_file.h"
#include "nnse/util/error.h"

namespace nnse::model {
namespace fs = std::filesystem;

static_assert(std::endian::native == std::endian::little, "checkpoint I/O assumes a little-endian host");

namespace {

constexpr char kMagic[8] = {'N', 'N', 'S', 'E', 'C', 'K', 'P', 'T'};
constexpr std::size_t kDigestSize = 32;
constexpr std::size_t kHeaderSize = sizeof(kMagic) + sizeof(std::uint32_t) + sizeof(std::uint64_t);

std::array<unsigned char, kDigestSize> sha256(const char* data, std::size_t size) {
  std::array<unsigned char, kDigestSize> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data, size, digest.data(), &length, EVP_sha256(), nullptr) != 1 || length != kDigestSize) {
    throw Error("SHA-256 computation failed (OpenSSL)");
  }
  return digest;
}

class Writer {
 public:
  template <typename T>
  void scalar(T value) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    out_.append(bytes, sizeof(T));
  }
  void raw(const void* data, std::size_t size) { out_.append(static_cast<const char*>(data), size); }
  template <typename T>
  void array(const T* data, std::size_t count) {
    raw(data, count * sizeof(T));
  }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  Reader(const char* data, std::size_t size, const fs::path& file) : data_(data), size_(size), file_(file) {}
  template <typename T>
  T scalar(const char* what) {
    T value;
    std::memcpy(&value, take(sizeof(T), what), sizeof(T));
    return value;
  }
  const char* take(std::size_t size, const char* what) {
    if (size > size_ - position_) {
      throw Error(file_, std::string("inconsistent checkpoint: ") + what + " runs past the end of the payload");
    }
    const char* p = data_ + position_;
    position_ += size;
    return p;
  }
  template <typename T>
  void array(T* data, std::size_t count, const char* what) {
    if (count > (size_ - position_) / sizeof(T)) {
      throw Error(file_, std::string("inconsistent checkpoint: ") + what + " runs past the end of the payload");
    }
    if (count > 0) std::memcpy(data, take(count * sizeof(T), what), count * sizeof(T));
  }
  std::size_t remaining() const { return size_ - position_; }

 private:
  const char* data_;
  std::size_t size_;
  std::size_t position_ = 0;
  const fs::path& file_;
};

std::int64_t element_count(const std::vector<int>& shape) {
  std::int64_t n = 1;
  for (int d : shape) n *= d;
  return n;
}

}  // namespace

std::string encode_checkpoint(const Checkpoint& c) {
  const std::size_t n = c.parameters.size();
  const bool has_moments = !c.adam.first_moment.empty() || !c.adam.second_moment.empty();
  if (has_moments && (c.adam.first_moment.size() != n || c.adam.second_moment.size() != n)) {
    throw Error("checkpoint: Adam state has " + std::to_string(c.adam.first_moment.size()) + "/" +
                std::to_string(c.adam.second_moment.size()) + " moment tensors for " + std::to_string(n) +
                " parameter tensors");
  }
  if (c.feature_mean.size() != c.feature_inv_std.size()) {
    throw Error("checkpoint: feature mean and inverse std have different lengths");
  }
  if (c.train_loss.size() != c.valid_loss.size()) {
    throw Error("checkpoint: train and valid loss histories have different lengths");
  }

  nlohmann::json meta;
  meta["epoch"] = c.epoch;
  meta["arch_text"] = c.arch_text;
  meta["frontend"] = c.frontend;
  meta["loss"] = c.loss_config;
  meta["options"] = c.options;
  meta["adam_step"] = c.adam.step;
  meta["adam_moments"] = has_moments;
  meta["feature_bands"] = c.feature_mean.size();
  meta["history_length"] = c.train_loss.size();
  meta["rng_state_bytes"] = c.rng_state.size();
  nlohmann::json table = nlohmann::json::array();
  for (std::size_t i = 0; i < n; ++i) {
    const auto& p = c.parameters[i];
    if (element_count(p.shape) != p.value.size()) {
      throw Error("checkpoint: parameter " + p.name + " has " + std::to_string(p.value.size()) +
                  " values but its shape says " + std::to_string(element_count(p.shape)));
    }
    if (has_moments && (c.adam.first_moment[i].size() != p.value.size() ||
                        c.adam.second_moment[i].size() != p.value.size())) {
      throw Error("checkpoint: Adam moments of " + p.name + " do not match its size");
    }
    table.push_back({{"name", p.name}, {"shape", p.shape}, {"is_bias", p.is_bias}});
  }
  meta["parameters"] = std::move(table);
  const std::string meta_text = meta.dump();

  Writer payload;
  payload.scalar<std::uint64_t>(meta_text.size());
  payload.raw(meta_text.data(), meta_text.size());
  for (const auto& p : c.parameters) payload.array(p.value.data(), static_cast<std::size_t>(p.value.size()));
  if (has_moments) {
    for (const auto& m : c.adam.first_moment) payload.array(m.data(), static_cast<std::size_t>(m.size()));
    for (const auto& v : c.adam.second_moment) payload.array(v.data(), static_cast<std::size_t>(v.size()));
  }
  payload.array(c.feature_mean.data(), c.feature_mean.size());
  payload.array(c.feature_inv_std.data(), c.feature_inv_std.size());
  payload.array(c.train_loss.data(), c.train_loss.size());
  payload.array(c.valid_loss.data(), c.valid_loss.size());
  payload.raw(c.rng_state.data(), c.rng_state.size());

  Writer file;
  file.raw(kMagic, sizeof(kMagic));
  file.scalar<std::uint32_t>(kCheckpointVersion);
  file.scalar<std::uint64_t>(payload.bytes().size());
  file.raw(payload.bytes().data(), payload.bytes().size());
  const auto digest = sha256(payload.bytes().data(), payload.bytes().size());
  file.raw(digest.data(), digest.size());
  return std::move(file.bytes());
}

Checkpoint decode_checkpoint(const std::string& bytes, const fs::path& file) {
  if (bytes.size() < sizeof(kMagic) || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    throw Error(file, "not an nnse checkpoint (bad magic; file is empty, truncated or of another kind)");
  }
  if (bytes.size() < kHeaderSize + kDigestSize) {
    throw Error(file, "checkpoint is truncated (" + std::to_string(bytes.size()) + " bytes)");
  }
  std::uint32_t version = 0;
  std::memcpy(&version, bytes.data() + sizeof(kMagic), sizeof(version));
  if (version != kCheckpointVersion) {
    throw Error(file, "checkpoint format version " + std::to_string(version) +
                          " is not supported (this nnse reads version " + std::to_string(kCheckpointVersion) + ")");
  }
  std::uint64_t payload_size = 0;
  std::memcpy(&payload_size, bytes.data() + sizeof(kMagic) + sizeof(version), sizeof(payload_size));
  const std::uint64_t available = bytes.size() - kHeaderSize - kDigestSize;
  if (payload_size > available) {
    throw Error(file, "checkpoint is truncated (" + std::to_string(bytes.size()) + " bytes, expected " +
                          std::to_string(payload_size + kHeaderSize + kDigestSize) + ")");
  }
  if (payload_size < available) {
    throw Error(file, "checkpoint has " + std::to_string(available - payload_size) +
                          " unexpected trailing bytes (corrupt)");
  }
  const char* payload = bytes.data() + kHeaderSize;
  const auto digest = sha256(payload, payload_size);
  if (std::memcmp(digest.data(), payload + payload_size, kDigestSize) != 0) {
    throw Error(file, "checkpoint is corrupt (SHA-256 checksum mismatch)");
  }

  Reader in(payload, payload_size, file);
  const auto meta_size = in.scalar<std::uint64_t>("metadata size");
  if (meta_size > in.remaining()) throw Error(file, "inconsistent checkpoint: metadata runs past the payload");
  const char* meta_text = in.take(meta_size, "metadata");
  Checkpoint c;
  std::size_t bands = 0, history = 0, rng_bytes = 0;
  bool has_moments = false;
  try {
    const auto meta = nlohmann::json::parse(meta_text, meta_text + meta_size);
    c.epoch = meta.at("epoch").get<int>();
    c.arch_text = meta.at("arch_text").get<std::string>();
    c.frontend = meta.at("frontend").get<dsp::FrontendConfig>();
    c.loss_config = meta.at("loss");
    c.options = meta.at("options");
    c.adam.step = meta.at("adam_step").get<std::int64_t>();
    has_moments = meta.at("adam_moments").get<bool>();
    bands = meta.at("feature_bands").get<std::size_t>();
    history = meta.at("history_length").get<std::size_t>();
    rng_bytes = meta.at("rng_state_bytes").get<std::size_t>();
    for (const auto& entry : meta.at("parameters")) {
      nn::ParameterTensor p;
      p.name = entry.at("name").get<std::string>();
      p.shape = entry.at("shape").get<std::vector<int>>();
      p.is_bias = entry.at("is_bias").get<bool>();
      for (int d : p.shape) {
        if (d < 0) throw Error(file, "inconsistent checkpoint: negative dimension in " + p.name);
      }
      c.parameters.push_back(std::move(p));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(file, std::string("checkpoint metadata is unreadable: ") + e.what());
  }
  for (auto& p : c.parameters) {
    const auto count = element_count(p.shape);
    if (count < 0 || static_cast<std::uint64_t>(count) > in.remaining() / sizeof(float)) {
      throw Error(file, "inconsistent checkpoint: values of " + p.name + " run past the payload");
    }
    p.value.resize(count);
    in.array(p.value.data(), static_cast<std::size_t>(count), "parameter values");
  }
  if (has_moments) {
    for (auto* moments : {&c.adam.first_moment, &c.adam.second_moment}) {
      for (const auto& p : c.parameters) {
        Eigen::VectorXf m(p.value.size());
        in.array(m.data(), static_cast<std::size_t>(m.size()), "Adam moments");
        moments->push_back(std::move(m));
      }
    }
  }
  if (bands > in.remaining() / sizeof(float) || history > in.remaining() / sizeof(double)) {
    throw Error(file, "inconsistent checkpoint: feature stats or loss history run past the payload");
  }
  c.feature_mean.resize(bands);
  c.feature_inv_std.resize(bands);
  in.array(c.feature_mean.data(), bands, "feature mean");
  in.array(c.feature_inv_std.data(), bands, "feature inverse std");
  c.train_loss.resize(history);
  c.valid_loss.resize(history);
  in.array(c.train_loss.data(), history, "train loss history");
  in.array(c.valid_loss.data(), history, "valid loss history");
  const char* rng = in.take(rng_bytes, "RNG state");
  c.rng_state.assign(rng, rng_bytes);
  if (in.remaining() != 0) throw Error(file, "inconsistent checkpoint: unexpected data after the RNG state");
  return c;
}

fs::path save_checkpoint(const fs::path& model_dir, const Checkpoint& checkpoint) {
  if (checkpoint.epoch < 0) throw Error(model_dir, "cannot save a checkpoint for a negative epoch");
  const fs::path path = checkpoint_path(model_dir, checkpoint.epoch);
  write_file_atomic(path, encode_checkpoint(checkpoint));
  // Only after the checkpoint itself is durable may `latest` point at it.
  write_file_atomic(latest_path(model_dir), std::to_string(checkpoint.epoch) + "\n");
  return path;
}

Checkpoint load_checkpoint(const fs::path& file) {
  if (!fs::exists(file)) throw Error(file, "checkpoint not found");
  return decode_checkpoint(read_file_bytes(file), file);
}

}  // namespace nnse::model
