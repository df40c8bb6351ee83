// The API table (model/api.def) as data: names, signatures, domains.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "model/types.h"

namespace cc {

/// Identifies a row of model/api.def.
enum class ApiId : uint8_t {
#define CC_API(name, ret, domain, footprint, min_args, ...) name,
#include "model/api.def"
#undef CC_API
};

/// Which part of the product's semantics an API belongs to.
enum class ApiDomain : uint8_t { Kmdf, Ndis, Appc, Builtin };

/// What a call may read or write (model/api.def, "Footprint"): partial-order reduction runs
/// a request's component alone only while its calls touch nothing but that request.
enum class ApiFootprint : uint8_t {
  OwnRequest,          ///< only the request it is given
  OwnRequestCallback,  ///< that request, and a callback registered to run on it
  Shared,              ///< objects other activities or requests can reach
};

/// Which NDIS driver role may make a call (CC_API_CALLER in model/api.def).
enum class ApiCaller : uint8_t {
  Any,       ///< every driver (no CC_API_CALLER row)
  Filter,    ///< only a filter driver's code (NdisF…)
  Protocol,  ///< only a protocol driver's code (NdisSend…, NdisCancelSend…)
  Miniport,  ///< only a miniport driver's code (NdisM…)
};

/// One row of the API table.
struct ApiInfo {
  ApiId id;
  std::string_view name;
  TypeKind result;
  ApiDomain domain;
  ApiFootprint footprint;
  uint8_t min_args;
  std::span<const TypeKind> params;  ///< all parameters; the first min_args are required
};

/// Every API row in table order.
std::span<const ApiInfo> all_apis();
/// The row of an API.
const ApiInfo& api_info(ApiId id);
/// Exact-name lookup.
std::optional<ApiId> find_api(std::string_view name);
/// The driver role a call belongs to (model/api.def, CC_API_CALLER).
ApiCaller api_caller(ApiId id);
/// WdfIoQueueStop / Purge / StopAndPurge / Drain or their synchronous forms: a call whose end
/// depends on the requests of the queue (docs/semantics/kmdf.md "Queue states").
bool stops_or_purges_queue(ApiId id);
/// The synchronous forms of those calls: the caller waits until the queue is idle.
bool waits_for_queue(ApiId id);
/// Whether a call may wait, which its documentation allows only at PASSIVE_LEVEL (rule CR017,
/// docs/semantics/kmdf.md "Execution contexts").
enum class MayWait : uint8_t {
  Never,
  Always,           ///< KeWaitForSingleObject, WdfWorkItemFlush, WdfIoQueue*Synchronously
  IfSecondTrue,     ///< WdfTimerStop / WdfDpcCancel with Wait = TRUE
  UnlessZeroSecond  ///< WdfWaitLockAcquire: without a timeout or with a nonzero one
};
/// The call's waiting class.
MayWait may_wait(ApiId id);
/// True when the call waits, given its argument count and its second argument.
bool call_may_wait(ApiId id, std::size_t nargs, int64_t second);
/// The KMDF calls allowed at DIRQL (in EvtInterruptIsr, under an interrupt's lock): the
/// interrupt object's own; every other KMDF call of the model needs IRQL <= DISPATCH_LEVEL.
bool allowed_at_dirql(ApiId id);
/// APPC verbs that relate to the transaction program, not to a conversation (TP_STARTED,
/// TP_ENDED, RECEIVE_ALLOCATE): WinAsyncAPPC may issue them without one
/// (docs/semantics/appc.md).
bool is_tp_verb(int64_t verb);

/// A named constant from model/constants.def.
struct ConstantInfo {
  std::string_view name;
  TypeKind type;
  int64_t value;
};

/// Every builtin constant.
std::span<const ConstantInfo> all_constants();
/// Exact-name lookup of a builtin constant.
const ConstantInfo* find_constant(std::string_view name);
/// The name of a builtin constant of `type` with `value` (for traces), or empty.
std::string_view constant_name(TypeKind type, int64_t value);

}  // namespace cc
