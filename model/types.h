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
};

/// The spelling of a type in diagnostics ("request", "list<nbl>", "queue", ...).
std::string_view type_name(TypeKind t);

/// True for types a variable, field or parameter can hold.
bool is_value_type(TypeKind t);

}  // namespace cc
