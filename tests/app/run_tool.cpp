#include "tests/app/run_tool.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace cc::test {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::string temp_file(const std::string& text, const std::string& suffix) {
  std::string pattern = "/tmp/cc_test_XXXXXX" + suffix;
  std::string buf = pattern;
  int fd = mkstemps(buf.data(), static_cast<int>(suffix.size()));
  if (fd < 0) std::abort();
  if (write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) std::abort();
  close(fd);
  return buf;
}

ToolRun run_tool(const std::string& args) {
  std::string out = temp_file("", ".out");
  std::string err = temp_file("", ".err");
  std::string cmd = std::string("cd '") + CC_SOURCE_DIR + "' && '" + CC_CANCELCHECK_EXE + "' " +
                    args + " >'" + out + "' 2>'" + err + "' </dev/null";
  int status = std::system(cmd.c_str());
  ToolRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = slurp(out);
  run.err = slurp(err);
  std::remove(out.c_str());
  std::remove(err.c_str());
  return run;
}

}  // namespace cc::test
