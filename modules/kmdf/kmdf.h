// The KMDF module (docs/semantics/kmdf.md).
#pragma once

#include <cstdint>
#include <memory>

#include "engine/module.h"
#include "model/ast.h"

namespace cc {

class Core;

/// Creates the KMDF module bound to `core`.
std::unique_ptr<Module> make_kmdf_module(Core& core);
/// How many requests a list may have to hold: every arrival and every created request.
uint32_t kmdf_list_elements(const ast::Spec& spec);

}  // namespace cc
