// The progress line of a long search: one line on stderr, redrawn in place with '\r'.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>

namespace cc {

/// What the progress line shows.
struct ProgressSample {
  double seconds = 0;         ///< since the search started
  uint64_t states = 0;        ///< stored states
  uint32_t depth = 0;         ///< deepest stored state
  uint64_t queue = 0;         ///< states waiting to be expanded (BFS queue / DFS stack)
  uint64_t memory_bytes = 0;  ///< the search's own structures
};

/// Draws at most one line every `interval_s` seconds on `out` and clears it at the end.
/// Writes nothing until the first draw, so a search shorter than the interval leaves no trace.
class ProgressLine {
 public:
  explicit ProgressLine(std::FILE* out, double interval_s = 0.5)
      : out_(out), interval_s_(interval_s) {}
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  ~ProgressLine() { finish(); }

  /// Redraws when `interval_s` has passed since the last draw (or since 0 for the first).
  void update(const ProgressSample& s);
  /// Blanks the line and returns the cursor to its start; idempotent.
  void finish();

 private:
  std::FILE* out_;
  double interval_s_;
  double last_seconds_ = 0;
  uint64_t last_states_ = 0;
  std::size_t width_ = 0;  ///< characters on the line now (0 = nothing drawn)
};

}  // namespace cc
