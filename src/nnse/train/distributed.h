#pragma once
// The processes of one data-parallel training (`mpirun -np N nnse train ...`), behind one small interface so that
// the trainer never sees MPI: a single-process implementation (a plain `nnse train`: every call is a no-op) and an
// MPI one (distributed.cpp, compiled when CMake found MPI). This file and distributed.cpp are the only places that
// know about MPI; docs/scale-out.md describes the scheme.
//
// Why not MPI_Allreduce: a floating-point MPI_Allreduce may add the ranks' values in any grouping (it depends on
// the algorithm, the message size and the number of ranks), and the standard does not promise that every rank
// gets the same bits. Ranks whose weights differ by one rounding drift apart. sum() instead moves bytes with
// MPI (no arithmetic inside MPI) and does every addition itself, once, in rank order:
//   1. MPI_Alltoall: the vector is cut into N pieces; rank r receives piece r of every rank (reduce-scatter);
//   2. rank r adds its N copies of piece r in rank order 0, 1, ..., N-1 (left to right, like the engine adds
//      its threads' shard gradients);
//   3. MPI_Allgather: every rank receives every summed piece.
// Every value is summed by exactly one rank and then copied, so the result is bit-identical on every rank and
// independent of MPI's algorithms. Each rank sends and receives 2 (N-1)/N of the vector, the same bytes as a
// bandwidth-optimal (ring / Rabenseifner) MPI_Allreduce: this is an allreduce with the sum order fixed.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "nnse/util/error.h"

namespace nnse::train {

// An error that every process of a job meets alike, at the same point (a batch that does not split over the
// processes, processes that do not see the same job, a diverged run): every process ends normally with exit code 1
// and only rank 0 reports it, instead of each aborting the job. In one process it is an ordinary nnse::Error.
class CollectiveError : public Error {
 public:
  using Error::Error;
};

class Processes {
 public:
  virtual ~Processes() = default;
  virtual int rank() const = 0;  // 0 .. size() - 1; rank 0 writes checkpoints, logs and pictures
  virtual int size() const = 0;
  // Element-wise sum over the processes, in rank order, left in every process (bit-identical everywhere).
  virtual void sum(std::span<float> values) = 0;
  virtual void sum(std::span<double> values) = 0;
  // Rank 0's bytes into every process's `bytes` (same size everywhere).
  virtual void broadcast(std::span<std::byte> bytes) = 0;
  // Every process's bytes (the same size everywhere), in rank order: size() x bytes.size().
  virtual std::vector<std::byte> gather_all(std::span<const std::byte> bytes) = 0;
  // Ends every process of the job with `code` (after a process's error, so the others do not wait for it
  // forever). Returns only in a single process, where there is nobody else to stop.
  virtual void abort_all(int code) = 0;
  // "rank 1 of 4 on host-b", for messages.
  virtual std::string describe() const = 0;
};

// True when this process was started by mpirun (Open MPI sets OMPI_COMM_WORLD_SIZE; MPICH's hydra and PMIx
// launchers set PMI_SIZE / PMIX_RANK). A plain `nnse train` never initializes MPI, so it runs exactly as before.
bool launched_by_mpirun();

// The processes of this run: MPI's when launched by mpirun, else one process. Throws nnse::Error when mpirun
// started several processes but this nnse was built without MPI (each would otherwise train alone and all would
// write the same model folder). Initializes MPI at most once per program; the returned object finalizes it.
std::unique_ptr<Processes> open_processes();
// Always the single process (tests, tools that never distribute).
std::unique_ptr<Processes> single_process();
// Whether this build has the MPI implementation.
bool built_with_mpi();

// Helpers over the interface (no-ops in a single process).
void broadcast_floats(Processes& processes, std::vector<float>& values);  // rank 0's size and values
void broadcast_text(Processes& processes, std::string& text);
void broadcast_int64(Processes& processes, std::int64_t& value);
// FNV-1a (start with kHashStart, chain calls): identical weights or settings give identical hashes.
inline constexpr std::uint64_t kHashStart = 0xcbf29ce484222325ULL;
std::uint64_t hash_bytes(std::uint64_t hash, std::span<const std::byte> bytes);
inline std::uint64_t hash_floats(std::uint64_t hash, std::span<const float> values) {
  return hash_bytes(hash, std::as_bytes(values));
}

}  // namespace nnse::train
