#include "nnse/train/distributed.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>

#include "nnse/util/error.h"

#ifdef NNSE_WITH_MPI
#include <mpi.h>
#include <csignal>
#include <cstdio>
#endif

namespace nnse::train {

namespace {

class SingleProcess final : public Processes {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void sum(std::span<float>) override {}
  void sum(std::span<double>) override {}
  void broadcast(std::span<std::byte>) override {}
  std::vector<std::byte> gather_all(std::span<const std::byte> bytes) override {
    return {bytes.begin(), bytes.end()};
  }
  void abort_all(int) override {}
  std::string describe() const override { return "one process"; }
};

[[maybe_unused]] int launcher_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}) {
    if (const char* value = std::getenv(name)) return std::max(1, std::atoi(value));
  }
  return std::getenv("PMIX_RANK") ? 2 : 1;  // PMIx without a size: assume several, let MPI tell
}

#ifdef NNSE_WITH_MPI

template <typename T>
MPI_Datatype mpi_type();
template <>
MPI_Datatype mpi_type<float>() { return MPI_FLOAT; }
template <>
MPI_Datatype mpi_type<double>() { return MPI_DOUBLE; }

class MpiProcesses final : public Processes {
 public:
  MpiProcesses() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      // Only the thread that calls train() talks to MPI (the engine's and batcher's threads never do).
      int provided = 0;
      if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        throw Error("MPI_Init_thread failed (is this process started by mpirun?)");
      owns_mpi_ = true;
    }
    // Errors come back as codes, so a failure is reported as one nnse error line naming the call.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    char name[MPI_MAX_PROCESSOR_NAME] = {};
    int length = 0;
    MPI_Get_processor_name(name, &length);
    host_.assign(name, static_cast<std::size_t>(std::max(0, length)));
    // Test hook: NNSE_MPI_TEST_KILL=RANK:CALL makes that rank SIGKILL itself at its CALL-th sum(), so the test of
    // a dying rank (tests/mpi) kills it at a known point of the run instead of after a guessed delay.
    if (const char* kill = std::getenv("NNSE_MPI_TEST_KILL")) {
      if (std::sscanf(kill, "%d:%ld", &kill_rank_, &kill_call_) != 2) kill_rank_ = -1;
    }
  }
  ~MpiProcesses() override {
    if (owns_mpi_) MPI_Finalize();
  }
  MpiProcesses(const MpiProcesses&) = delete;
  MpiProcesses& operator=(const MpiProcesses&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void sum(std::span<float> values) override { sum_in_rank_order(values); }
  void sum(std::span<double> values) override { sum_in_rank_order(values); }

  void broadcast(std::span<std::byte> bytes) override {
    if (bytes.size() > static_cast<std::size_t>(INT32_MAX)) throw Error("MPI_Bcast: more than 2 GB at once");
    check(MPI_Bcast(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, 0, MPI_COMM_WORLD), "MPI_Bcast");
  }

  std::vector<std::byte> gather_all(std::span<const std::byte> bytes) override {
    std::vector<std::byte> all(bytes.size() * static_cast<std::size_t>(size_));
    check(MPI_Allgather(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, all.data(),
                        static_cast<int>(bytes.size()), MPI_BYTE, MPI_COMM_WORLD),
          "MPI_Allgather");
    return all;
  }

  void abort_all(int code) override {
    std::fflush(stdout);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);  // MPI_Abort does not return; if it did, this process must not go on alone
  }

  std::string describe() const override {
    return "rank " + std::to_string(rank_) + " of " + std::to_string(size_) + " on " + host_;
  }

 private:
  // See distributed.h: reduce-scatter by MPI_Alltoall, the additions here in rank order, MPI_Allgather.
  template <typename T>
  void sum_in_rank_order(std::span<T> values) {
    if (kill_rank_ == rank_ && ++calls_ == kill_call_) std::raise(SIGKILL);
    const auto n = static_cast<std::size_t>(size_);
    const std::size_t piece = (values.size() + n - 1) / n;  // the last pieces are zero-padded
    if (piece == 0) return;
    if (piece > static_cast<std::size_t>(INT32_MAX)) throw Error("MPI sum: vector too large");
    auto& out = buffer<T>(0);
    auto& in = buffer<T>(1);
    out.assign(piece * n, T(0));
    std::copy(values.begin(), values.end(), out.begin());
    in.resize(piece * n);
    const int count = static_cast<int>(piece);
    check(MPI_Alltoall(out.data(), count, mpi_type<T>(), in.data(), count, mpi_type<T>(), MPI_COMM_WORLD),
          "MPI_Alltoall");
    // in = [piece `rank_` of rank 0][... of rank 1]...: add them left to right into out's first piece.
    T* total = out.data();
    std::copy(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(piece), total);
    for (std::size_t r = 1; r < n; ++r) {
      const T* part = in.data() + r * piece;
      for (std::size_t i = 0; i < piece; ++i) total[i] += part[i];
    }
    check(MPI_Allgather(total, count, mpi_type<T>(), in.data(), count, mpi_type<T>(), MPI_COMM_WORLD),
          "MPI_Allgather");
    std::copy(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(values.size()), values.begin());
  }

  template <typename T>
  std::vector<T>& buffer(int which) {
    if constexpr (std::is_same_v<T, float>) {
      return float_buffers_[which];
    } else {
      return double_buffers_[which];
    }
  }

  void check(int code, const char* call) const {
    if (code == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING] = {};
    int length = 0;
    MPI_Error_string(code, text, &length);
    throw Error(std::string(call) + " failed on " + describe() + ": " + std::string(text, static_cast<std::size_t>(length)) +
                " (did another rank of the job stop?)");
  }

  bool owns_mpi_ = false;
  int rank_ = 0, size_ = 1;
  std::string host_;
  int kill_rank_ = -1;
  long kill_call_ = 0, calls_ = 0;
  std::vector<float> float_buffers_[2];
  std::vector<double> double_buffers_[2];
};

#endif  // NNSE_WITH_MPI

}  // namespace

bool built_with_mpi() {
#ifdef NNSE_WITH_MPI
  return true;
#else
  return false;
#endif
}

bool launched_by_mpirun() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE") || std::getenv("PMIX_RANK");
}

std::unique_ptr<Processes> single_process() { return std::make_unique<SingleProcess>(); }

std::unique_ptr<Processes> open_processes() {
  if (!launched_by_mpirun()) return single_process();
#ifdef NNSE_WITH_MPI
  return std::make_unique<MpiProcesses>();
#else
  if (launcher_size() > 1) {
    throw Error("this nnse was built without MPI (-DNNSE_MPI=OFF, or CMake did not find it: install libopenmpi-dev "
                "and rebuild), "
                "but mpirun started several processes: each would train alone into the same model folder");
  }
  return single_process();
#endif
}

void broadcast_int64(Processes& processes, std::int64_t& value) {
  processes.broadcast(std::as_writable_bytes(std::span<std::int64_t>(&value, 1)));
}

void broadcast_floats(Processes& processes, std::vector<float>& values) {
  auto size = static_cast<std::int64_t>(values.size());
  broadcast_int64(processes, size);
  values.resize(static_cast<std::size_t>(size));
  processes.broadcast(std::as_writable_bytes(std::span<float>(values)));
}

void broadcast_text(Processes& processes, std::string& text) {
  auto size = static_cast<std::int64_t>(text.size());
  broadcast_int64(processes, size);
  text.resize(static_cast<std::size_t>(size));
  processes.broadcast(std::as_writable_bytes(std::span<char>(text)));
}

std::uint64_t hash_bytes(std::uint64_t hash, std::span<const std::byte> bytes) {
  for (std::byte b : bytes) {
    hash ^= static_cast<std::uint64_t>(b);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

}  // namespace nnse::train
