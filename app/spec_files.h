// Expanding command-line paths into the list of spec files to process.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <system_error>
#include <vector>

namespace cc {

/// An entry of a folder walk that could not be read (a folder that cannot be opened or listed,
/// a `*.spec` symlink that loops or dangles), with why.
struct UnreadablePath {
  std::string path;
  std::string reason;
};

/// The spec files found under the command-line paths, and what could not be walked.
struct SpecFileList {
  std::vector<std::string> files;          ///< sorted per argument, de-duplicated
  std::vector<std::string> missing;        ///< arguments that do not exist
  std::vector<UnreadablePath> unreadable;  ///< skipped entries; the walk went on past them
};

/// Lists one folder's entries, or sets `ec` when the folder cannot be read. A seam for tests
/// (root reads any folder, so an unreadable one must be simulated).
using FolderLister = std::function<std::vector<std::filesystem::directory_entry>(
    const std::filesystem::path& folder, std::error_code& ec)>;

/// Expands files and folders (recursively, `*.spec`; folder symlinks are not followed, so a
/// symlink loop cannot make the walk endless) into a sorted, de-duplicated list. Unreadable
/// entries are listed in `unreadable` and the walk continues. `lister` defaults to the file
/// system.
SpecFileList collect_spec_files(const std::vector<std::string>& paths,
                                const FolderLister& lister = {});

/// The files only; paths that do not exist or could not be read are returned in `missing`.
std::vector<std::string> collect_spec_files(const std::vector<std::string>& paths,
                                            std::vector<std::string>& missing);

/// Prints one "cancelcheck: error: ..." line per missing or unreadable path of `list` to
/// stderr; returns how many it printed.
std::size_t report_unwalkable(const SpecFileList& list);

/// Parses "NAME=VALUE" (decimal or 0x hex, optionally negative). Returns false on bad input.
bool parse_define(const std::string& text, std::string& name, long long& value);

}  // namespace cc
