// Source files, locations and ranges shared by every layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cc {

/// Largest spec file read: 1 MiB (300 times the largest bundled spec). A larger file, or an endless
/// one such as /dev/zero, is a "cannot read" diagnostic (exit 2) instead of unbounded reading,
/// memory and parsing time.
inline constexpr std::size_t kMaxSpecFileBytes = std::size_t{1} << 20;

/// Reads at most `cap` bytes of a file into `text`; false with `error` set (naming the file
/// and, for a larger or endless file, the cap) when it cannot be opened or is larger.
bool read_file_capped(const std::string& path, std::size_t cap, std::string& text,
                      std::string& error);

/// Index of a file registered in a SourceManager.
struct FileId {
  uint32_t value = UINT32_MAX;
  /// True when the id names a registered file.
  bool valid() const { return value != UINT32_MAX; }
  friend bool operator==(FileId, FileId) = default;
};

/// A position in a spec: file, 1-based line and column. Column counts bytes.
struct SourceLoc {
  FileId file;
  uint32_t line = 0;
  uint32_t col = 0;
  /// True when the location points into a file.
  bool valid() const { return file.valid() && line != 0; }
  friend bool operator==(const SourceLoc&, const SourceLoc&) = default;
};

/// A span of source text: start location plus length in bytes on the start line.
struct SourceRange {
  SourceLoc begin;
  uint32_t length = 1;
};

/// One loaded spec file.
struct SourceFile {
  std::string path;
  std::string text;
  std::vector<uint32_t> line_starts;  ///< byte offset of each line (index 0 = line 1)
};

/// Owns the text of every file read in a run; hands out FileIds.
class SourceManager {
 public:
  /// Registers text under a path and returns its id.
  FileId add(std::string path, std::string text);
  /// Reads a file from disk (at most kMaxSpecFileBytes); returns an invalid id and sets
  /// `error` if it cannot be read or is larger.
  FileId load(const std::string& path, std::string& error);
  /// The file behind an id.
  const SourceFile& file(FileId id) const { return *files_.at(id.value); }
  /// The text of line `line` (1-based) without its newline; empty if out of range.
  std::string_view line_text(FileId id, uint32_t line) const;
  /// "path:line:col" for a location.
  std::string describe(SourceLoc loc) const;

 private:
  std::vector<std::unique_ptr<SourceFile>> files_;
};

}  // namespace cc
