// The state layout as data: a state is one flat byte vector cut into named regions (offset,
// stride, count). The engine and every framework module declare their regions here once per
// spec; nothing else knows where a region starts.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cc {

/// One named region of the state: `count` records of `stride` bytes from `offset`.
struct Region {
  std::string name;     ///< "kmdf.requests", "engine.locks", ...
  uint32_t offset = 0;  ///< first byte
  uint32_t stride = 0;  ///< bytes per record
  uint32_t count = 0;   ///< records
  /// First byte of record `i`.
  uint32_t at(uint32_t i) const { return offset + i * stride; }
  /// Bytes the region spans.
  std::size_t bytes() const { return std::size_t(stride) * count; }
};

/// Hands out regions. Byte regions (align 1) are packed from offset 0; aligned regions
/// follow them from `word_base` on. The engine lays a spec out twice: once to measure the
/// byte regions, then with `word_base` just past them, so no padding falls between regions.
class Layout {
 public:
  explicit Layout(uint32_t word_base = 0) : word_base_(word_base), words_(word_base) {}
  /// Declares a region of `count` records of `stride` bytes, starting at a multiple of `align`.
  Region add(std::string name, uint32_t stride, uint32_t count, uint32_t align = 1) {
    std::size_t& at = align == 1 ? bytes_ : words_;
    at = (at + align - 1) / align * align;
    Region r{std::move(name), static_cast<uint32_t>(at), stride, count};
    at += r.bytes();
    regions_.push_back(r);
    return r;
  }
  /// Bytes of the byte regions (where aligned regions may start).
  std::size_t byte_end() const { return bytes_; }
  /// Bytes declared so far (aligned regions included).
  std::size_t size() const { return std::max(bytes_, words_); }
  /// True when the aligned regions start after every byte region.
  bool consistent() const { return words_ == word_base_ || bytes_ <= word_base_; }
  /// Every region, in declaration order (for docs and debugging).
  const std::vector<Region>& regions() const { return regions_; }

 private:
  std::vector<Region> regions_;
  std::size_t word_base_;
  std::size_t bytes_ = 0;
  std::size_t words_;
};

}  // namespace cc
