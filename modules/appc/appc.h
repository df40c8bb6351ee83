// The APPC module (docs/semantics/appc.md): verbs issued with WinAsyncAPPC on VCBs, their
// completion messages, WinAPPCCancelAsyncRequest, and the partner that answers them.
#pragma once

#include <memory>

#include "engine/module_base.h"

namespace cc {

/// Creates the APPC module bound to `core`.
std::unique_ptr<Module> make_appc_module(Core& core);

}  // namespace cc
