#include "reports/source_root.h"

#include <algorithm>
#include <system_error>

#include "reports/escape.h"

namespace cc::reports {
namespace {

namespace fs = std::filesystem;

/// Absolute and canonical as far as the path exists (symlinks resolved), lexically
/// normalized beyond.
fs::path normalized(const fs::path& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  if (ec) abs = p;
  fs::path canon = fs::weakly_canonical(abs, ec);
  return ec ? abs.lexically_normal() : canon;
}

std::string forward_slashes(std::string text) {
  std::replace(text.begin(), text.end(), '\\', '/');
  return text;
}

}  // namespace

SourceRoot::SourceRoot(const fs::path& dir) : dir_(normalized(dir)) {}

std::optional<std::string> SourceRoot::relative(std::string_view path) const {
  if (dir_.empty() || path.empty()) return std::nullopt;
  const fs::path rel =
      normalized(fs::path(forward_slashes(std::string(path)))).lexically_relative(dir_);
  if (rel.empty() || *rel.begin() == "..") return std::nullopt;
  return rel.generic_string();
}

std::string SourceRoot::stable_path(std::string_view path) const {
  if (dir_.empty()) return forward_slashes(std::string(path));
  if (auto rel = relative(path)) return *rel;
  return forward_slashes(normalized(fs::path(std::string(path))).generic_string());
}

std::string SourceRoot::uri() const {
  if (dir_.empty()) return {};
  std::string generic = dir_.generic_string();
  if (generic.empty() || generic.back() != '/') generic += '/';
  return path_to_uri(generic);
}

SourceRoot default_source_root() {
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  if (ec) return SourceRoot(fs::path("."));
  for (fs::path dir = normalized(cwd);; dir = dir.parent_path()) {
    if (fs::exists(dir / ".git", ec)) return SourceRoot(dir);
    if (dir == dir.root_path() || dir.parent_path() == dir) break;
  }
  return SourceRoot(cwd);
}

}  // namespace cc::reports
