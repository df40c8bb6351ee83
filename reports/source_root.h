// The folder that SARIF URIs, baseline paths and fingerprints are relative to (--source-root),
// so that a run from any working directory names a spec the same way.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace cc::reports {

/// An absolute, normalized folder; default-constructed it is empty and every path stays as
/// given (what the unit tests of the renderers use).
class SourceRoot {
 public:
  SourceRoot() = default;
  /// `dir` made absolute (against the current directory) and canonical where it exists.
  explicit SourceRoot(const std::filesystem::path& dir);

  /// True when no root was set.
  bool empty() const { return dir_.empty(); }

  /// The root folder (absolute), empty when none.
  const std::filesystem::path& dir() const { return dir_; }

  /// `path` relative to the root with '/' separators when it lies under the root; nullopt
  /// when it does not (or no root is set).
  std::optional<std::string> relative(std::string_view path) const;

  /// The path that identifies a spec in fingerprints and baselines: relative to the root when
  /// under it, else absolute; as given (with '/' separators) when no root is set.
  std::string stable_path(std::string_view path) const;

  /// The root as a file:// URI ending in '/' (SARIF originalUriBaseIds), empty when none.
  std::string uri() const;

 private:
  std::filesystem::path dir_;
};

/// The default --source-root: the nearest folder at or above the current directory that holds
/// a `.git` entry (a repository or worktree root), else the current directory.
SourceRoot default_source_root();

}  // namespace cc::reports
