#include "model/types.h"

namespace cc {

std::string_view type_name(TypeKind t) {
  switch (t) {
    case TypeKind::Error:
      return "<error>";
    case TypeKind::Void:
      return "void";
    case TypeKind::Bool:
      return "bool";
    case TypeKind::Int:
      return "int";
    case TypeKind::Status:
      return "status";
    case TypeKind::Request:
      return "request";
    case TypeKind::Nbl:
      return "nbl";
    case TypeKind::Task:
      return "task";
    case TypeKind::Vcb:
      return "vcb";
    case TypeKind::ListRequest:
      return "list<request>";
    case TypeKind::ListNbl:
      return "list<nbl>";
    case TypeKind::Queue:
      return "queue";
    case TypeKind::Target:
      return "target";
    case TypeKind::Lock:
      return "lock";
    case TypeKind::Event:
      return "event";
    case TypeKind::Timer:
      return "timer";
    case TypeKind::Fn:
      return "fn";
    case TypeKind::Miniport:
      return "miniport";
    case TypeKind::Conversation:
      return "conversation";
    case TypeKind::Verb:
      return "verb";
    case TypeKind::Filter:
      return "filter";
    case TypeKind::RefInt:
      return "&int";
    case TypeKind::RefRequest:
      return "&request";
    case TypeKind::Any:
      return "any";
    case TypeKind::AnyList:
      return "list";
    case TypeKind::File:
      return "file";
    case TypeKind::ListElem:
      return "list element";
    case TypeKind::Dpc:
      return "dpc";
    case TypeKind::WorkItem:
      return "workitem";
    case TypeKind::Interrupt:
      return "interrupt";
    case TypeKind::WaitLock:
      return "waitlock";
    case TypeKind::Ptr:
      return "uintptr";
  }
  return "?";
}

bool is_value_type(TypeKind t) {
  switch (t) {
    case TypeKind::Bool:
    case TypeKind::Int:
    case TypeKind::Ptr:
    case TypeKind::Status:
    case TypeKind::Request:
    case TypeKind::Nbl:
    case TypeKind::Task:
    case TypeKind::Vcb:
    case TypeKind::File:
    case TypeKind::ListRequest:
    case TypeKind::ListNbl:
      return true;
    default:
      return false;
  }
}

int64_t convert_number(int64_t v, TypeKind to, unsigned pointer_width) {
  const auto bits = static_cast<uint64_t>(v);
  if (to == TypeKind::Ptr) {
    return static_cast<int64_t>(bits & pointer_mask(pointer_width));
  }
  return static_cast<int64_t>(static_cast<int32_t>(static_cast<uint32_t>(bits)));
}

}  // namespace cc
