// Crash-safe report writing: content goes to a temporary file that is renamed into place.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace cc::reports {

/// Writes `content` to `path` through a temporary file in the same directory plus rename, so a
/// killed run never leaves a truncated file; creates missing parent directories.
/// Returns "" on success, otherwise a message naming the path and the system error.
std::string write_file_atomic(const std::filesystem::path& path, std::string_view content);

}  // namespace cc::reports
