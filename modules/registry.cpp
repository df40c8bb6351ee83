// The registry: which modules a spec runs with, in their fixed order (the order numbers the
// environment actors and orders the state panel and the end-state checks).
#include "modules/registry.h"

#include <algorithm>

#include "engine/core.h"
#include "modules/appc/appc.h"
#include "modules/kmdf/kmdf.h"
#include "modules/ndis/ndis.h"

namespace cc {
namespace {

std::unique_ptr<Core> build_core(const ast::Spec& spec, const SourceManager& sm,
                                 std::string& unsupported) {
  // A list holds at most every object a module can hand out.
  const uint32_t cap = kmdf_list_elements(spec) + ndis_list_elements(spec);
  Program prog;
  unsupported = compile_program(spec, std::max<uint32_t>(cap, 1), prog);
  if (!unsupported.empty()) return nullptr;
  for (const CodeUnit& u : prog.units) {
    if (u.code.size() > UINT16_MAX) {
      unsupported = fmt::format("{} is too long", u.name);
      return nullptr;
    }
  }
  if (prog.max_regs > 1024) {
    unsupported = "a function needs more than 1024 registers";
    return nullptr;
  }
  auto core = std::make_unique<Core>(spec, sm, std::move(prog));
  core->add_module(make_kmdf_module(*core));
  core->add_module(make_ndis_module(*core));
  core->add_module(make_appc_module(*core));
  core->set_factory(&build_core);
  unsupported = core->build();
  if (!unsupported.empty()) return nullptr;
  return core;
}

}  // namespace

std::unique_ptr<TransitionSystem> make_transition_system(const ast::Spec& spec,
                                                         const SourceManager& sm,
                                                         std::string& unsupported) {
  return build_core(spec, sm, unsupported);
}

}  // namespace cc
