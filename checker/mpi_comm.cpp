#include "checker/mpi_comm.h"

// The C API only (the deprecated C++ bindings would need libmpi_cxx).
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

namespace cc {

namespace {

/// Throws when an MPI call failed (the error handler returns instead of aborting).
void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  throw std::runtime_error(std::string("MPI: ") + what + " failed: " + std::string(text, len));
}

/// Waits for a non-blocking collective: polls, then sleeps between polls (up to 0.1 ms), so that a
/// rank waiting for a slower one leaves its core to others (mpirun
/// --oversubscribe, or the search's own threads) instead of spinning in the MPI library.
void wait(MPI_Request& req, const char* what) {
  std::chrono::microseconds nap{10};
  for (int polls = 0;; ++polls) {
    int done = 0;
    check(MPI_Test(&req, &done, MPI_STATUS_IGNORE), what);
    if (done != 0) return;
    if (polls < 32) continue;
    std::this_thread::sleep_for(nap);
    nap = std::min(nap * 2, std::chrono::microseconds{100});
  }
}

int as_int(std::size_t n) {
  if (n > static_cast<std::size_t>(INT_MAX)) {
    throw std::length_error("MPI: a message of more than 2 GiB between two ranks");
  }
  return static_cast<int>(n);
}

class MpiComm final : public Comm {
 public:
  MpiComm() {
    int r = 0;
    int n = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    rank_ = static_cast<uint32_t>(r);
    size_ = static_cast<uint32_t>(n);
  }
  ~MpiComm() override { MPI_Finalize(); }
  MpiComm(const MpiComm&) = delete;
  MpiComm& operator=(const MpiComm&) = delete;

  Rank rank() const override { return Rank{rank_}; }
  uint32_t size() const override { return size_; }

  void alltoallv(const std::vector<std::vector<uint8_t>>& send,
                 std::vector<std::vector<uint8_t>>& recv) override {
    std::vector<long long> scount(size_);
    std::vector<long long> rcount(size_);
    for (uint32_t r = 0; r < size_; ++r) scount[r] = static_cast<long long>(send[r].size());
    MPI_Request req;
    check(MPI_Ialltoall(scount.data(), 1, MPI_LONG_LONG, rcount.data(), 1, MPI_LONG_LONG,
                        MPI_COMM_WORLD, &req),
          "MPI_Ialltoall");
    wait(req, "MPI_Ialltoall");
    std::vector<int> sc(size_), sd(size_), rc(size_), rd(size_);
    std::vector<uint8_t>& sbuf = sbuf_;  // kept between calls: no fresh pages to fault in
    sbuf.clear();
    std::size_t stotal = 0;
    std::size_t rtotal = 0;
    for (uint32_t r = 0; r < size_; ++r) {
      sc[r] = as_int(send[r].size());
      sd[r] = as_int(stotal);
      stotal += send[r].size();
      rc[r] = as_int(static_cast<std::size_t>(rcount[r]));
      rd[r] = as_int(rtotal);
      rtotal += static_cast<std::size_t>(rcount[r]);
    }
    sbuf.reserve(stotal);
    for (const auto& b : send) sbuf.insert(sbuf.end(), b.begin(), b.end());
    std::vector<uint8_t>& rbuf = rbuf_;
    if (rbuf.size() < rtotal) rbuf.resize(rtotal);
    check(MPI_Ialltoallv(sbuf.data(), sc.data(), sd.data(), MPI_BYTE, rbuf.data(), rc.data(),
                         rd.data(), MPI_BYTE, MPI_COMM_WORLD, &req),
          "MPI_Ialltoallv");
    wait(req, "MPI_Ialltoallv");
    recv.resize(size_);
    for (uint32_t r = 0; r < size_; ++r) {
      recv[r].assign(rbuf.begin() + rd[r], rbuf.begin() + rd[r] + rc[r]);
    }
  }

  void allreduce(std::span<uint64_t> values, ReduceOp op) override {
    const MPI_Op mop = op == ReduceOp::Sum ? MPI_SUM : op == ReduceOp::Max ? MPI_MAX : MPI_MIN;
    MPI_Request req;
    check(MPI_Iallreduce(MPI_IN_PLACE, values.data(), as_int(values.size()), MPI_UINT64_T, mop,
                         MPI_COMM_WORLD, &req),
          "MPI_Iallreduce");
    wait(req, "MPI_Iallreduce");
  }

  void allgatherv(std::span<const uint8_t> mine, std::vector<std::vector<uint8_t>>& all) override {
    long long n = static_cast<long long>(mine.size());
    std::vector<long long> counts(size_);
    MPI_Request req;
    check(
        MPI_Iallgather(&n, 1, MPI_LONG_LONG, counts.data(), 1, MPI_LONG_LONG, MPI_COMM_WORLD, &req),
        "MPI_Iallgather");
    wait(req, "MPI_Iallgather");
    std::vector<int> rc(size_), rd(size_);
    std::size_t total = 0;
    for (uint32_t r = 0; r < size_; ++r) {
      rc[r] = as_int(static_cast<std::size_t>(counts[r]));
      rd[r] = as_int(total);
      total += static_cast<std::size_t>(counts[r]);
    }
    std::vector<uint8_t>& buf = rbuf_;
    if (buf.size() < total) buf.resize(total);
    check(MPI_Iallgatherv(mine.data(), as_int(mine.size()), MPI_BYTE, buf.data(), rc.data(),
                          rd.data(), MPI_BYTE, MPI_COMM_WORLD, &req),
          "MPI_Iallgatherv");
    wait(req, "MPI_Iallgatherv");
    all.resize(size_);
    for (uint32_t r = 0; r < size_; ++r) {
      all[r].assign(buf.begin() + rd[r], buf.begin() + rd[r] + rc[r]);
    }
  }

  void broadcast(std::vector<uint8_t>& bytes, Rank root) override {
    long long n = static_cast<long long>(bytes.size());
    const int from = static_cast<int>(root.value);
    MPI_Request req;
    check(MPI_Ibcast(&n, 1, MPI_LONG_LONG, from, MPI_COMM_WORLD, &req), "MPI_Ibcast");
    wait(req, "MPI_Ibcast");
    bytes.resize(static_cast<std::size_t>(n));
    check(MPI_Ibcast(bytes.data(), as_int(bytes.size()), MPI_BYTE, from, MPI_COMM_WORLD, &req),
          "MPI_Ibcast");
    wait(req, "MPI_Ibcast");
  }

 private:
  uint32_t rank_ = 0;
  uint32_t size_ = 1;
  std::vector<uint8_t> sbuf_;  ///< the exchange's send buffer, reused
  std::vector<uint8_t> rbuf_;  ///< the exchange's receive buffer, reused
};

/// The launcher's rank of this process (for the supervisor's message), or "?".
std::string launcher_rank() {
  for (const char* v : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"}) {
    if (const char* s = std::getenv(v)) return s;
  }
  return "?";
}

pid_t g_child = 0;

extern "C" void kill_child(int /*sig*/) {
  if (g_child > 0) kill(g_child, SIGKILL);
}

/// A stop request reaches the search process, which stops and reports as usual; one that has
/// not ended 5 s later (its peers gone, say) is killed.
extern "C" void forward_signal(int sig) {
  if (g_child > 0) kill(g_child, sig);
  alarm(5);
}

/// The supervisor: waits for the search process and ends with its status; a search process
/// killed by a signal is a broken run (exit 3).
[[noreturn]] void supervise(pid_t child) {
  g_child = child;
  std::signal(SIGALRM, kill_child);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, forward_signal);
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
  }
  if (WIFSIGNALED(status)) {
    std::fprintf(stderr,
                 "cancelcheck: error: rank %s: the search process ended on signal %d (%s); the "
                 "distributed run cannot go on without it\n",
                 launcher_rank().c_str(), WTERMSIG(status), strsignal(WTERMSIG(status)));
    std::_Exit(3);
  }
  std::_Exit(WIFEXITED(status) ? WEXITSTATUS(status) : 3);
}

}  // namespace

bool launched_as_rank() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"}) {
    if (std::getenv(v) != nullptr) return true;
  }
  return false;
}

std::unique_ptr<Comm> start_rank() {
  std::fflush(nullptr);
  const pid_t child = fork();
  if (child < 0) throw std::runtime_error("cannot start the search process (fork failed)");
  if (child > 0) supervise(child);
  // The search process dies with its supervisor, never lingers as an orphan.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) std::_Exit(3);
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SINGLE, &provided);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  return std::make_unique<MpiComm>();
}

}  // namespace cc
