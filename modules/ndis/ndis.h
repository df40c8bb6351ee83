// The NDIS filter module (docs/semantics/ndis.md).
#pragma once

#include <cstdint>
#include <memory>

#include "engine/module_base.h"

namespace cc {

/// Creates the NDIS module bound to `core`.
std::unique_ptr<Module> make_ndis_module(Core& core);
/// How many NBLs a list may have to hold: the protocol's sends and the filter's pool.
uint32_t ndis_list_elements(const ast::Spec& spec);

}  // namespace cc
