#include "nnse/util/npy.h"

#include <cstring>
#include <numeric>

#include "nnse/util/atomic_file.h"
#include "nnse/util/error.h"

namespace nnse {
namespace {

std::size_t product(const std::vector<std::size_t>& shape) {
  return std::accumulate(shape.begin(), shape.end(), std::size_t{1}, std::multiplies<>());
}

std::string header_for(const std::string& dtype, const std::vector<std::size_t>& shape) {
  std::string dims;
  for (std::size_t i = 0; i < shape.size(); ++i) dims += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? "," : "");
  std::string dict = "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Magic (6) + version (2) + header length (2) + dict + padding + '\n' must be a multiple of 64.
  const std::size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  std::string header("\x93NUMPY\x01\x00", 8);
  header += static_cast<char>(dict.size() & 0xff);
  header += static_cast<char>((dict.size() >> 8) & 0xff);
  return header + dict;
}

template <typename T>
void write_typed(const std::filesystem::path& file, std::span<const T> values, const std::vector<std::size_t>& shape,
                 const std::string& dtype) {
  if (product(shape) != values.size()) throw Error(file, "npy shape does not match the number of values");
  std::string bytes = header_for(dtype, shape);
  const std::size_t offset = bytes.size();
  bytes.resize(offset + values.size_bytes());
  std::memcpy(bytes.data() + offset, values.data(), values.size_bytes());
  write_file_atomic(file, bytes);
}

template <typename T>
void convert(const char* data, std::size_t count, std::vector<double>& out) {
  out.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    T v;
    std::memcpy(&v, data + i * sizeof(T), sizeof(T));
    out[i] = static_cast<double>(v);
  }
}

}  // namespace

std::size_t NpyArray::size() const { return product(shape); }

void write_npy(const std::filesystem::path& file, std::span<const float> values, const std::vector<std::size_t>& shape) {
  write_typed(file, values, shape, "<f4");
}

void write_npy(const std::filesystem::path& file, std::span<const double> values, const std::vector<std::size_t>& shape) {
  write_typed(file, values, shape, "<f8");
}

NpyArray read_npy(const std::filesystem::path& file) {
  const std::string bytes = read_file_bytes(file);
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw Error(file, "not a .npy file (bad magic)");
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_length = 0, offset = 0;
  if (major == 1) {
    header_length = static_cast<unsigned char>(bytes[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw Error(file, "truncated .npy header");
    for (int i = 0; i < 4; ++i) header_length |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    offset = 12;
  } else {
    throw Error(file, "unsupported .npy version " + std::to_string(major));
  }
  if (bytes.size() < offset + header_length) throw Error(file, "truncated .npy header");
  const std::string header = bytes.substr(offset, header_length);
  NpyArray array;
  // The header is a Python dict literal; a full parser is not needed for the three keys NumPy writes.
  auto value_after = [&](const std::string& key) -> std::string {
    const auto at = header.find("'" + key + "'");
    if (at == std::string::npos) throw Error(file, "npy header has no " + key);
    const auto colon = header.find(':', at);
    if (colon == std::string::npos) throw Error(file, "malformed npy header");
    return header.substr(colon + 1);
  };
  const std::string descr = value_after("descr");
  const auto quote = descr.find('\'');
  const auto quote_end = quote == std::string::npos ? quote : descr.find('\'', quote + 1);
  if (quote_end == std::string::npos) throw Error(file, "malformed npy descr");
  array.dtype = descr.substr(quote + 1, quote_end - quote - 1);
  const std::string order = value_after("fortran_order");
  if (order.find_first_not_of(' ') != std::string::npos && order.compare(order.find_first_not_of(' '), 4, "True") == 0) {
    throw Error(file, "Fortran-order .npy is not supported");
  }
  const std::string shape_text = value_after("shape");
  const auto open = shape_text.find('(');
  const auto close = shape_text.find(')');
  if (open == std::string::npos || close == std::string::npos || close < open) throw Error(file, "malformed npy shape");
  std::size_t value = 0;
  bool in_number = false;
  for (std::size_t i = open + 1; i <= close; ++i) {
    const char c = shape_text[i];
    if (c >= '0' && c <= '9') {
      value = value * 10 + static_cast<std::size_t>(c - '0');
      in_number = true;
    } else if (in_number) {
      array.shape.push_back(value);
      value = 0;
      in_number = false;
    }
  }
  const std::size_t count = array.size();
  const char* data = bytes.data() + offset + header_length;
  const std::size_t available = bytes.size() - offset - header_length;
  auto need = [&](std::size_t element) {
    if (available < count * element) throw Error(file, "truncated .npy data (" + std::to_string(available) + " bytes for " + std::to_string(count) + " values)");
  };
  if (array.dtype == "<f4") { need(4); convert<float>(data, count, array.values); }
  else if (array.dtype == "<f8") { need(8); convert<double>(data, count, array.values); }
  else if (array.dtype == "<i2") { need(2); convert<std::int16_t>(data, count, array.values); }
  else if (array.dtype == "<i4") { need(4); convert<std::int32_t>(data, count, array.values); }
  else if (array.dtype == "<i8") { need(8); convert<std::int64_t>(data, count, array.values); }
  else throw Error(file, "unsupported .npy dtype " + array.dtype);
  return array;
}

}  // namespace nnse
