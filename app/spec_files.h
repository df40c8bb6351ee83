// Expanding command-line paths into the list of spec files to process.
#pragma once

#include <string>
#include <vector>

namespace cc {

/// Expands files and directories (recursively, `*.spec`) into a sorted, de-duplicated list.
/// Paths that do not exist are returned in `missing`.
std::vector<std::string> collect_spec_files(const std::vector<std::string>& paths,
                                            std::vector<std::string>& missing);

/// Parses "NAME=VALUE" (decimal or 0x hex, optionally negative). Returns false on bad input.
bool parse_define(const std::string& text, std::string& name, long long& value);

}  // namespace cc
