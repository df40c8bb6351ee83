#include "reports/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace cc::reports {
namespace {

std::atomic<unsigned> g_temp_counter{0};

std::string fail(const std::filesystem::path& path, std::string_view what, int err) {
  return "cannot write " + path.string() + ": " + std::string(what) + ": " + std::strerror(err);
}

}  // namespace

std::string write_file_atomic(const std::filesystem::path& path, std::string_view content) {
  if (path.empty() || !path.has_filename()) return "cannot write an empty or directory path";
  std::filesystem::path parent = path.parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) return "cannot create directory " + parent.string() + ": " + ec.message();
  }
  std::filesystem::path temp = path;
  temp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(g_temp_counter.fetch_add(1));
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return fail(path, "create temporary file", errno);
  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return fail(path, "write", err);
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    return fail(path, "sync", err);
  }
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return fail(path, "close", err);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return fail(path, "rename", err);
  }
  return "";
}

}  // namespace cc::reports
