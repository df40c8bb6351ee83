// Runs cancelcheck as a child process with full control: a wall-clock deadline, a signal sent
// after a delay, and the child's own peak RSS (wait4's rusage). For the reliability tests.
#pragma once

#include <csignal>
#include <string>
#include <vector>

namespace cc::test {

struct ChildRun {
  int exit_code = -1;      ///< -1 if the child was killed by a signal
  int term_signal = 0;     ///< the signal that ended it, 0 if it exited
  bool timed_out = false;  ///< the deadline passed and the harness killed it
  double seconds = 0;      ///< wall clock
  long peak_rss_kb = 0;    ///< the child's ru_maxrss (kilobytes)
  std::string out;         ///< stdout
  std::string err;         ///< stderr
};

struct ChildOptions {
  double deadline_s = 120;    ///< SIGKILL after this long (a hang is a failure, not a stuck suite)
  int signal = 0;             ///< send this signal ...
  double signal_after_s = 0;  ///< ... this long after the start
};

/// Runs `cancelcheck ARGS...` (no shell) from the source directory. The environment variable
/// CC_TEST_CANCELCHECK, when set, names another binary to run (e.g. an older build, to see a
/// regression test fail).
ChildRun run_child(const std::vector<std::string>& args, const ChildOptions& opts = {});

/// Whole file as a string ("" if it does not exist).
std::string read_file(const std::string& path);

/// A fresh empty temporary directory.
std::string temp_dir();

}  // namespace cc::test
