#include "checker/sym_cache.h"

namespace cc {

std::string_view sat_kind_name(SatKind k) {
  switch (k) {
    case SatKind::Sat:
      return "sat";
    case SatKind::Unsat:
      return "unsat";
    case SatKind::Unknown:
      return "unknown";
  }
  return "unknown";
}

std::optional<SatAnswer> SymCache::find(uint64_t hash, std::string_view key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map_.find(hash);
  if (it == map_.end()) return std::nullopt;
  for (const Entry& e : it->second) {
    if (e.key == key) return e.answer;
  }
  return std::nullopt;
}

void SymCache::store(uint64_t hash, std::string key, const SatAnswer& answer) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Entry>& bucket = map_[hash];
  for (Entry& e : bucket) {
    if (e.key == key) {
      e.answer = answer;
      return;
    }
  }
  if (max_entries_ != 0 && size_ >= max_entries_) {
    if (bucket.empty()) map_.erase(hash);
    return;
  }
  bucket.push_back(Entry{std::move(key), answer});
  ++size_;
}

std::size_t SymCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return size_;
}

void SymCache::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  map_.clear();
  size_ = 0;
}

}  // namespace cc
