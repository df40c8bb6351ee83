#include "model/source.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace cc {

FileId SourceManager::add(std::string path, std::string text) {
  auto file = std::make_unique<SourceFile>();
  file->path = std::move(path);
  file->text = std::move(text);
  file->line_starts.push_back(0);
  for (uint32_t i = 0; i < file->text.size(); ++i) {
    if (file->text[i] == '\n') file->line_starts.push_back(i + 1);
  }
  files_.push_back(std::move(file));
  return FileId{static_cast<uint32_t>(files_.size() - 1)};
}

FileId SourceManager::load(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = fmt::format("cannot open '{}'", path);
    return {};
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return add(path, buf.str());
}

std::string_view SourceManager::line_text(FileId id, uint32_t line) const {
  const SourceFile& f = file(id);
  if (line == 0 || line > f.line_starts.size()) return {};
  uint32_t start = f.line_starts[line - 1];
  uint32_t end =
      line < f.line_starts.size() ? f.line_starts[line] - 1 : static_cast<uint32_t>(f.text.size());
  std::string_view text(f.text);
  text = text.substr(start, end - start);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  return text;
}

std::string SourceManager::describe(SourceLoc loc) const {
  if (!loc.valid()) return "<unknown>";
  return fmt::format("{}:{}:{}", file(loc.file).path, loc.line, loc.col);
}

}  // namespace cc
