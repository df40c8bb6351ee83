#include "tests/reliability/child.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace cc::test {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string temp_dir() {
  std::string buf = "/tmp/cc_rel_XXXXXX";
  if (mkdtemp(buf.data()) == nullptr) std::abort();
  return buf;
}

ChildRun run_child(const std::vector<std::string>& args, const ChildOptions& opts) {
  std::string dir = temp_dir();
  std::string out_path = dir + "/stdout";
  std::string err_path = dir + "/stderr";
  std::vector<std::string> argv_s;
  const char* other = std::getenv("CC_TEST_CANCELCHECK");
  argv_s.push_back(other != nullptr && *other != '\0' ? other : CC_CANCELCHECK_EXE);
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid < 0) std::abort();
  if (pid == 0) {
    int in = open("/dev/null", O_RDONLY);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0) _exit(127);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    if (chdir(CC_SOURCE_DIR) != 0) _exit(127);
    execv(argv[0], argv.data());
    _exit(127);
  }

  ChildRun run;
  bool signalled = false;
  int status = 0;
  struct rusage usage {};
  for (;;) {
    pid_t r = wait4(pid, &status, WNOHANG, &usage);
    if (r == pid) break;
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (opts.signal != 0 && !signalled && elapsed >= opts.signal_after_s) {
      kill(pid, opts.signal);
      signalled = true;
    }
    if (elapsed >= opts.deadline_s && !run.timed_out) {
      kill(pid, SIGKILL);
      run.timed_out = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.peak_rss_kb = usage.ru_maxrss;
  if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) run.term_signal = WTERMSIG(status);
  run.out = read_file(out_path);
  run.err = read_file(err_path);
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  rmdir(dir.c_str());
  return run;
}

}  // namespace cc::test
