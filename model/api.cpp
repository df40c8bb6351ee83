#include "model/api.h"

#include "model/named_constants.h"

#include <array>

namespace cc {
namespace {

#define CC_API(name, ret, domain, footprint, min_args, ...) \
  constexpr TypeKind kParams_##name[] = {TypeKind::Void __VA_OPT__(, ) __VA_ARGS__};
#define Request TypeKind::Request
#define Target TypeKind::Target
#define Status TypeKind::Status
#define Int TypeKind::Int
#define Bool TypeKind::Bool
#define Fn TypeKind::Fn
#define Queue TypeKind::Queue
#define RefRequest TypeKind::RefRequest
#define RefInt TypeKind::RefInt
#define Lock TypeKind::Lock
#define Event TypeKind::Event
#define Timer TypeKind::Timer
#define Nbl TypeKind::Nbl
#define Miniport TypeKind::Miniport
#define Filter TypeKind::Filter
#define Vcb TypeKind::Vcb
#define Verb TypeKind::Verb
#define Conversation TypeKind::Conversation
#define Task TypeKind::Task
#define AnyList TypeKind::AnyList
#define ListElem TypeKind::ListElem
#define File TypeKind::File
#define Dpc TypeKind::Dpc
#define WorkItem TypeKind::WorkItem
#define Interrupt TypeKind::Interrupt
#define WaitLock TypeKind::WaitLock
#define Ptr TypeKind::Ptr
#include "model/api.def"
#undef CC_API
#undef Request
#undef Target
#undef Status
#undef Int
#undef Bool
#undef Fn
#undef Queue
#undef RefRequest
#undef RefInt
#undef Lock
#undef Event
#undef Timer
#undef Nbl
#undef Miniport
#undef Filter
#undef Vcb
#undef Verb
#undef Conversation
#undef Task
#undef AnyList
#undef ListElem
#undef File
#undef Dpc
#undef WorkItem
#undef Interrupt
#undef WaitLock
#undef Ptr

// kParams_X[0] is a Void placeholder so that zero-parameter APIs have a non-empty array.
const std::array kApis = {
#define CC_API(name, ret, domain, footprint, min_args, ...) \
  ApiInfo{ApiId::name,                                      \
          #name,                                            \
          TypeKind::ret,                                    \
          ApiDomain::domain,                                \
          ApiFootprint::footprint,                          \
          min_args,                                         \
          std::span<const TypeKind>(kParams_##name).subspan(1)},
#include "model/api.def"
#undef CC_API
};

const std::array kConstants = {
#define CC_CONST(name, type, value) \
  ConstantInfo{#name, TypeKind::type, static_cast<int64_t>(static_cast<int32_t>(value##U))},
#include "model/constants.def"
#undef CC_CONST
};

}  // namespace

std::span<const ApiInfo> all_apis() {
  return kApis;
}

const ApiInfo& api_info(ApiId id) {
  return kApis.at(static_cast<std::size_t>(id));
}

ApiCaller api_caller(ApiId id) {
  switch (id) {
#define CC_API(name, ...)
#define CC_API_CALLER(name, caller) \
  case ApiId::name:                 \
    return ApiCaller::caller;
#include "model/api.def"
#undef CC_API_CALLER
#undef CC_API
    default:
      return ApiCaller::Any;
  }
}

bool waits_for_queue(ApiId id) {
  return id == ApiId::WdfIoQueueStopSynchronously || id == ApiId::WdfIoQueuePurgeSynchronously ||
         id == ApiId::WdfIoQueueStopAndPurgeSynchronously ||
         id == ApiId::WdfIoQueueDrainSynchronously;
}

MayWait may_wait(ApiId id) {
  if (waits_for_queue(id)) return MayWait::Always;
  switch (id) {
    case ApiId::KeWaitForSingleObject:
    case ApiId::WdfWorkItemFlush:
      return MayWait::Always;
    case ApiId::WdfTimerStop:
    case ApiId::WdfDpcCancel:
      return MayWait::IfSecondTrue;
    case ApiId::WdfWaitLockAcquire:
      return MayWait::UnlessZeroSecond;
    default:
      return MayWait::Never;
  }
}

bool call_may_wait(ApiId id, std::size_t nargs, int64_t second) {
  switch (may_wait(id)) {
    case MayWait::Always:
      return true;
    case MayWait::IfSecondTrue:
      return nargs >= 2 && second != 0;
    case MayWait::UnlessZeroSecond:
      return nargs < 2 || second != 0;
    case MayWait::Never:
      break;
  }
  return false;
}

bool allowed_at_dirql(ApiId id) {
  return id == ApiId::WdfInterruptQueueDpcForIsr || id == ApiId::WdfInterruptAcquireLock ||
         id == ApiId::WdfInterruptReleaseLock;
}

bool stops_or_purges_queue(ApiId id) {
  return waits_for_queue(id) || id == ApiId::WdfIoQueueStop || id == ApiId::WdfIoQueuePurge ||
         id == ApiId::WdfIoQueueStopAndPurge || id == ApiId::WdfIoQueueDrain;
}

std::optional<ApiId> find_api(std::string_view name) {
  for (const ApiInfo& a : kApis) {
    if (a.name == name) return a.id;
  }
  return std::nullopt;
}

std::span<const ConstantInfo> all_constants() {
  return kConstants;
}

const ConstantInfo* find_constant(std::string_view name) {
  for (const ConstantInfo& c : kConstants) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string_view constant_name(TypeKind type, int64_t value) {
  for (const ConstantInfo& c : kConstants) {
    if (c.type == type && c.value == value) return c.name;
  }
  return {};
}

bool is_tp_verb(int64_t verb) {
  return verb == k::TP_STARTED || verb == k::TP_ENDED || verb == k::RECEIVE_ALLOCATE;
}

}  // namespace cc
