#pragma once
// NumPy .npy files (format 1.0, little-endian float32 / float64 / int16 / int32, C order), so users and the
// PyTorch oracle can read what nnse writes. Writes are atomic.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace nnse {

struct NpyArray {
  std::vector<std::size_t> shape;
  std::vector<double> values;  // converted to double on read, whatever the stored type
  std::string dtype;           // "<f4", "<f8", "<i2", "<i4"
  std::size_t size() const;
};

void write_npy(const std::filesystem::path& file, std::span<const float> values, const std::vector<std::size_t>& shape);
void write_npy(const std::filesystem::path& file, std::span<const double> values, const std::vector<std::size_t>& shape);
// Throws nnse::Error naming the file for a bad magic, unsupported dtype, Fortran order or short data.
NpyArray read_npy(const std::filesystem::path& file);

}  // namespace nnse
