#include "model/source.h"

#include <algorithm>
#include <fstream>

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

bool read_file_capped(const std::string& path, std::size_t cap, std::string& text,
                      std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = fmt::format("cannot open '{}'", path);
    return false;
  }
  text.clear();
  // Chunks, so that a small file costs no cap-sized buffer; one byte past the cap tells a
  // file of exactly `cap` bytes from a larger one.
  constexpr std::size_t kChunk = std::size_t{64} << 10;
  while (in && text.size() <= cap) {
    const std::size_t old = text.size();
    const std::size_t want = std::min(kChunk, cap + 1 - old);
    text.resize(old + want);
    in.read(text.data() + old, static_cast<std::streamsize>(want));
    text.resize(old + static_cast<std::size_t>(in.gcount()));
  }
  if (text.size() > cap) {
    text.clear();
    text.shrink_to_fit();
    error = fmt::format("'{}' is larger than {} MiB ({} bytes), the most cancelcheck reads", path,
                        cap >> 20, cap);
    return false;
  }
  if (in.bad()) {
    error = fmt::format("cannot read '{}'", path);
    return false;
  }
  return true;
}

FileId SourceManager::load(const std::string& path, std::string& error) {
  std::string text;
  if (!read_file_capped(path, kMaxSpecFileBytes, text, error)) return {};
  return add(path, std::move(text));
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
