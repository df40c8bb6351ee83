#include "engine/sym_cancel_id.h"

#include <algorithm>

#include <fmt/format.h>

namespace cc {

SymTermId cancel_id_high_byte(SymPool& pool, SymTermId cancel_id, unsigned width) {
  if (pool.is_bool(cancel_id) || pool.width(cancel_id) != kPtrTermWidth) {
    throw SymError("a cancel id must be a 64-bit uintptr term");
  }
  if (width != 32 && width != 64) throw SymError("the pointer width must be 32 or 64");
  return pool.extract(cancel_id, width - 1, width - kPartialCancelIdWidth);
}

CancelIdCollisionTerms cancel_id_collision_terms(SymPool& pool, SymTermId cancel_id, unsigned width,
                                                 std::span<const SymTermId> own,
                                                 std::span<const SymTermId> others) {
  std::vector<SymTermId> all(own.begin(), own.end());
  all.insert(all.end(), others.begin(), others.end());
  for (const SymTermId p : all) {
    if (pool.is_bool(p) || pool.width(p) != kPartialCancelIdWidth) {
      throw SymError(
          fmt::format("a partial cancel id must be an {}-bit term", kPartialCancelIdWidth));
    }
  }
  CancelIdCollisionTerms out;
  out.distinct = pool.bool_const(true);
  // Every pair except two of this driver's own ids (those may be the same value).
  for (std::size_t i = 0; i < all.size(); ++i) {
    for (std::size_t j = std::max(i + 1, own.size()); j < all.size(); ++j) {
      out.distinct = pool.mk_and(out.distinct, pool.mk_ne(all[i], all[j]));
    }
  }
  const SymTermId high = cancel_id_high_byte(pool, cancel_id, width);
  out.collision = pool.bool_const(false);
  for (const SymTermId other : others) {
    const SymTermId hit = pool.mk_eq(high, other);
    out.per_driver.push_back(hit);
    out.collision = pool.mk_or(out.collision, hit);
  }
  return out;
}

}  // namespace cc
