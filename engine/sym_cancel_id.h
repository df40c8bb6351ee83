// Terms for CR012 (cancel-id-collision): NDIS cancel ids carry the driver's partial cancel id
// (NdisGeneratePartialCancelId, an 8-bit value unique to each driver) in their high byte.
#pragma once

#include <span>

#include "engine/sym.h"

namespace cc {

/// Width of a partial cancel id (the UCHAR returned by NdisGeneratePartialCancelId).
inline constexpr unsigned kPartialCancelIdWidth = 8;

/// The two halves of a CR012 query: "distinct ∧ collision" satisfiable (under the path
/// condition) means the cancel id can equal an id of another driver.
struct CancelIdCollisionTerms {
  SymTermId distinct;                 ///< all partial ids (own and others') pairwise distinct
  SymTermId collision;                ///< the id's high byte equals some other driver's partial id
  std::vector<SymTermId> per_driver;  ///< per other driver: high byte == its partial id
};

/// The high byte of a cancel id at pointer width `width` (32 or 64): bits [width-1 :
/// width-8] of the id's 64-bit (uintptr) term.
SymTermId cancel_id_high_byte(SymPool& pool, SymTermId cancel_id, unsigned width);

/// Builds the CR012 query for `cancel_id` (a 64-bit uintptr term at pointer width `width`).
/// `own` are this driver's 8-bit partial id terms (usually one variable), `others` the other
/// drivers' 8-bit partial id variables. Throws SymError on wrong widths.
CancelIdCollisionTerms cancel_id_collision_terms(SymPool& pool, SymTermId cancel_id, unsigned width,
                                                 std::span<const SymTermId> own,
                                                 std::span<const SymTermId> others);

}  // namespace cc
