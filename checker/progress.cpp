#include "checker/progress.h"

#include <algorithm>
#include <string>

namespace cc {

namespace {

// 1234 -> "1234", 12345678 -> "12.3M".
std::string count(double v) {
  char buf[32];
  if (v >= 1e9) {
    std::snprintf(buf, sizeof buf, "%.2fG", v / 1e9);
  } else if (v >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
  } else if (v >= 1e4) {
    std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  }
  return buf;
}

}  // namespace

void ProgressLine::update(const ProgressSample& s) {
  if (out_ == nullptr || s.seconds - last_seconds_ < interval_s_) return;
  const double dt = s.seconds - last_seconds_;
  const double rate = dt > 0 ? double(s.states - last_states_) / dt : 0.0;
  char line[160];
  int n = std::snprintf(
      line, sizeof line, "%s states  %s states/s  depth %u  queue %s  %.1f MB  %.0f s",
      count(double(s.states)).c_str(), count(rate).c_str(), s.depth, count(double(s.queue)).c_str(),
      double(s.memory_bytes) / (1 << 20), s.seconds);
  if (n < 0) return;
  std::size_t len = std::min<std::size_t>(std::size_t(n), sizeof line - 1);
  // Pad over the previous line so no old characters remain.
  std::fprintf(out_, "\r%s%*s", line, width_ > len ? int(width_ - len) : 0, "");
  std::fflush(out_);
  width_ = std::max(width_, len);
  last_seconds_ = s.seconds;
  last_states_ = s.states;
}

void ProgressLine::finish() {
  if (out_ == nullptr || width_ == 0) return;
  std::fprintf(out_, "\r%*s\r", int(width_), "");
  std::fflush(out_);
  width_ = 0;
}

}  // namespace cc
