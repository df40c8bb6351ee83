// The spec language's types.
#pragma once

#include <cstdint>
#include <string_view>

namespace cc {

/// A value or parameter type. Object kinds (Queue, Target, ...) name declared entities;
/// Ref* are `&x` arguments; Any/AnyList/ListElem are only used in API signatures.
enum class TypeKind : uint8_t {
  Error,  ///< already diagnosed; suppresses follow-on errors
  Void,
  Bool,
  Int,
  Status,
  Request,
  Nbl,
  Task,
  Vcb,
  ListRequest,
  ListNbl,
  Queue,
  Target,
  Lock,
  Event,
  Timer,
  Fn,
  Miniport,
  Conversation,
  Verb,
  Filter,
  RefInt,      ///< &int_variable
  RefRequest,  ///< &request_variable
  Any,         ///< API signatures only: any value type
  AnyList,     ///< API signatures only: list<request> or list<nbl>
  ListElem,    ///< API signatures only: the element type of the list argument
  File,        ///< a KMDF file object (WDFFILEOBJECT); its value is the handle index + 1
  Dpc,         ///< a KMDF DPC object (`dpc NAME = fn;`)
  WorkItem,    ///< a KMDF work item (`workitem NAME = fn;`)
  Interrupt,   ///< a KMDF interrupt object (`interrupt NAME = isr, dpc;`)
  WaitLock,    ///< a KMDF wait lock (`waitlock NAME;`)
  Ptr,         ///< `uintptr`: an unsigned integer of the spec's pointer width (ULONG_PTR, PVOID)
};

/// The spelling of a type in diagnostics ("request", "list<nbl>", "queue", ...).
std::string_view type_name(TypeKind t);

/// True for types a variable, field or parameter can hold.
bool is_value_type(TypeKind t);

/// The pointer width of a spec without `option pointer_width N;` (bits).
inline constexpr unsigned kDefaultPointerWidth = 64;

/// The bits a `uintptr` keeps at `pointer_width` (all 64, or the low 32).
inline constexpr uint64_t pointer_mask(unsigned pointer_width) {
  return pointer_width >= 64 ? ~uint64_t{0} : (uint64_t{1} << pointer_width) - 1;
}

/// Converts a number to type `to` as C converts it (docs/spec-language.md, "Pointer-sized
/// integers"): to `uintptr`, the value's 64-bit pattern keeps its low `pointer_width` bits
/// (an `int` is sign-extended first); to any other number type, its low 32 bits as a signed int.
int64_t convert_number(int64_t v, TypeKind to, unsigned pointer_width);

}  // namespace cc
