// Comm over Open MPI (MPI_COMM_WORLD), and the start-up of a rank: whether this process was
// launched by mpirun or srun, and the supervisor that turns a dead rank into exit 3. The only
// file that includes mpi.h is mpi_comm.cpp. docs/distributed.md.
#pragma once

#include <memory>

#include "checker/comm.h"

namespace cc {

/// True when a launcher (mpirun, srun) started this process as one of several ranks.
bool launched_as_rank();

/// Starts this process as a rank of the launcher's job and returns its Comm (MPI_Init has run;
/// MPI_Finalize runs when the Comm is destroyed). Before that it forks: the parent stays
/// behind as the rank's supervisor, waits for the search process and exits with its status,
/// or with 3 and a message naming the rank when the search process was killed by a signal
/// (this function then never returns in the parent). Call only when launched_as_rank().
std::unique_ptr<Comm> start_rank();

}  // namespace cc
