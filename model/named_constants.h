// The named constants of model/constants.def as C++ constants (k::STATUS_CANCELLED, ...), for
// the framework modules' code.
#pragma once

#include <cstdint>

namespace cc::k {
#define CC_CONST(name, type, value) constexpr int32_t name = static_cast<int32_t>(value##U);
#include "model/constants.def"
#undef CC_CONST
}  // namespace cc::k
