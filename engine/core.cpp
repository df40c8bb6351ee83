// The engine's construction, layout, initial state and words (engine/core.h).
#include "engine/core.h"

#include <algorithm>

namespace cc {

Core::Core(const ast::Spec& spec, const SourceManager& sm, Program prog)
    : spec_(spec), sm_(sm), prog_(std::move(prog)) {}

Core::~Core() = default;

void Core::add_module(std::unique_ptr<Module> m) {
  const auto d = static_cast<std::size_t>(m->domain());
  if (d < by_domain_.size() && by_domain_[d] == nullptr) by_domain_[d] = m.get();
  modules_.push_back(std::move(m));
}

Module* Core::module_for(ApiDomain domain) const {
  const auto d = static_cast<std::size_t>(domain);
  return d < by_domain_.size() ? by_domain_[d] : nullptr;
}

std::string Core::build() {
  for (const std::unique_ptr<Module>& m : modules_) {
    if (std::string why = m->build(); !why.empty()) return why;
  }
  // Activities: the spec's threads, then whatever the modules may start at once.
  uint64_t acts = spec_.threads.size();
  for (const std::unique_ptr<Module>& m : modules_) acts += m->activities();
  if (acts > 250) return "too many concurrent activities (more than 250)";
  nact_ = static_cast<uint32_t>(acts);

  // Layout: the modules' objects, the engine's sync objects and globals, the activities;
  // twice, so that the word-aligned regions start right after the byte regions.
  uint32_t word_base = 0;
  for (int pass = 0; pass < 2; ++pass) {
    Layout layout(word_base);
    for (const std::unique_ptr<Module>& m : modules_) m->layout(layout);
    locks_ = layout.add("engine.locks", 1, static_cast<uint32_t>(spec_.locks.size()));
    events_ = layout.add("engine.events", 1, static_cast<uint32_t>(spec_.events.size()));
    flags_ = layout.add("engine.flags", 1, 1);  // [execution infeasible]
    infeasible_at_ = flags_.offset;
    global_off_.clear();
    uint32_t goff = 0;
    for (const ast::VarDecl& g : spec_.globals) {
      global_off_.push_back(goff);
      goff += 4 * (is_list(g.type) ? 1 + prog_.list_capacity : g.type == TypeKind::Ptr ? 2 : 1);
    }
    globals_ = layout.add("engine.globals", goff, 1, 4);
    acts_ = layout.add("engine.activities", kARegs + 4 * prog_.max_regs, nact_, 4);
    word_base = static_cast<uint32_t>((layout.byte_end() + 3) & ~std::size_t{3});
    size_ = layout.size();
    if (pass == 1 && !layout.consistent()) throw std::logic_error("overlapping state regions");
  }
  ptr_mask_ = pointer_mask(spec_.pointer_width);
  if (std::string why = build_symbolic(); !why.empty()) return why;
  if (size_ > (1U << 20)) return "the state of this spec would exceed 1 MiB";

  // Environment actors: each module's, in module order.
  for (std::size_t i = 0; i < modules_.size(); ++i) {
    const std::size_t first = env_.size();
    modules_[i]->env_actors(env_);
    for (std::size_t e = first; e < env_.size(); ++e) env_[e].module = static_cast<uint8_t>(i);
  }
  if (nact_ + env_.size() > UINT16_MAX) return "too many actors";
  static_assert(kOrphanOwner > 250, "activity numbers must not reach the orphan marker");
  for (const std::unique_ptr<Module>& m : modules_) {
    m->bind();
    if (m->has_symmetry()) symmetric_.push_back(m.get());
  }
  build_por();
  por_ = por_possible_;
  for (const CodeUnit& u : prog_.units)
    reg_count_.push_back(static_cast<uint32_t>(u.reg_types.size()));
  scratch_.resize(size_);
  return {};
}

uint32_t Core::env_actor_number(const Module& m, uint8_t kind, uint32_t index) const {
  for (std::size_t i = 0; i < env_.size(); ++i) {
    if (modules_[env_[i].module].get() == &m && env_[i].kind == kind && env_[i].index == index) {
      return static_cast<uint32_t>(nact_ + i);
    }
  }
  return UINT32_MAX;
}

std::unique_ptr<TransitionSystem> Core::clone() const {
  // A copy would have its own term pool: symbolic systems stay on one thread. A clone is
  // built afresh from the same spec (modules are bound to their engine).
  if (sym_ || factory_ == nullptr) return nullptr;
  std::string why;
  std::unique_ptr<Core> c = factory_(spec_, sm_, why);
  if (c == nullptr) throw std::logic_error("a spec that built once does not build again: " + why);
  c->symmetry_ = symmetry_;
  c->por_ = por_;
  c->sort_slots_ = sort_slots_;
  return c;
}

void Core::initial_state(std::span<uint8_t> out) {
  std::fill(out.begin(), out.end(), 0);
  s_ = out.data();
  for (const std::unique_ptr<Module>& m : modules_) m->initial_state();
  for (std::size_t g = 0; g < spec_.globals.size(); ++g) {
    const ast::VarDecl& gd = spec_.globals[g];
    if (gd.symbolic) {
      put_term(global(static_cast<uint32_t>(g)), sym_var(gd.name, gd.width));
    } else if (gd.type == TypeKind::Ptr) {
      const int64_t v = convert_number(gd.init_value, TypeKind::Ptr, spec_.pointer_width);
      std::memcpy(global(static_cast<uint32_t>(g)), &v, 8);
    } else if (!is_list(gd.type)) {
      set32(global(static_cast<uint32_t>(g)), static_cast<int32_t>(gd.init_value));
    }
  }
  for (uint32_t t = 0; t < spec_.threads.size(); ++t) {
    uint8_t* a = act(t);
    a[kAUnit] = static_cast<uint8_t>(prog_.unit_of_thread[t] + 1);
    a[kAKind] = kThreadKind;
  }
  s_ = nullptr;
}

// ======================================================================= activities

std::string Core::lane_of(uint32_t a) const {
  const uint8_t* p = act(a);
  if (p[kAUnit] == 0) return "?";
  const CodeUnit& u = prog_.units[p[kAUnit] - 1];
  if (p[kAKind] != kThreadKind) {
    for (const std::unique_ptr<Module>& m : modules_) {
      if (std::string lane = m->lane(a, u.name); !lane.empty()) return lane;
    }
  }
  return u.name;
}

uint32_t Core::occupy(uint8_t kind, uint32_t fn, uint32_t subject) {
  uint32_t slot = kNoSlot;
  for (uint32_t a = static_cast<uint32_t>(spec_.threads.size()); a < nact_; ++a) {
    if (act(a)[kAUnit] == 0) {
      slot = a;
      break;
    }
  }
  if (slot == kNoSlot) throw ModelLimit(fmt::format("more than {} activities at once", nact_));
  uint8_t* p = act(slot);
  p[kAUnit] = static_cast<uint8_t>(prog_.unit_of_fn.at(fn) + 1);
  p[kAKind] = kind;
  p[kASubject] = static_cast<uint8_t>(subject == kNoSlot ? 0 : subject + 1);
  return slot;
}

std::string Core::owner_text(uint8_t owner) const {
  if (owner == 0) return "nobody";
  if (owner == kOrphanOwner) return "a callback that returned without releasing it";
  return lane_of(owner - 1u);
}

// ======================================================================= words

void Core::api_result(ApiCall& call, int64_t v) {
  const ApiInfo& info = api_info(call.in->api());
  call.ret = convert_number(v, info.result == TypeKind::Ptr ? TypeKind::Ptr : TypeKind::Int,
                            spec_.pointer_width);
  if (rec_) {
    rec_->results[call.rec_at] = render(call.ret, info.result);
    // A uintptr result as an unsigned number, any other as a signed 32-bit one.
    rec_->calls.back() = fmt::format("{}={}", info.name, call.ret);
  }
}

void Core::set_param(uint32_t a, uint32_t i, int64_t v) {
  const CodeUnit& u = unit_of(a);
  if (i >= u.param_count || i >= u.param_regs.size()) return;
  const Reg r = u.param_regs[i];
  if (u.reg_types[r.value] == TypeKind::Ptr) {
    set_wide(a, r, static_cast<uint64_t>(v));
  } else {
    set_reg(a, r, static_cast<int32_t>(v));
  }
}

std::string Core::render(int64_t v, TypeKind t) const {
  if (sym_render_.valid() && static_cast<uint64_t>(v) == sym_render_.value &&
      (t == TypeKind::Status || t == TypeKind::Int || t == TypeKind::Ptr)) {
    return sym_to_string(pool_, sym_render_);
  }
  switch (t) {
    case TypeKind::Ptr: {  // small values in decimal, others with every digit of the width
      const uint64_t u = static_cast<uint64_t>(v) & ptr_mask_;
      if (u < 0x10000) return std::to_string(u);
      return fmt::format("0x{:0{}X}", u, spec_.pointer_width / 4);
    }
    case TypeKind::Bool:
      return v ? "TRUE" : "FALSE";
    case TypeKind::Status: {
      std::string_view n = constant_name(TypeKind::Status, v);
      if (!n.empty()) return std::string(n);
      return fmt::format("0x{:08X}", static_cast<uint32_t>(v));
    }
    case TypeKind::Lock:
      return static_cast<std::size_t>(v) < spec_.locks.size() ? spec_.locks[v].name : "?";
    case TypeKind::Event:
      return static_cast<std::size_t>(v) < spec_.events.size() ? spec_.events[v].name : "?";
    case TypeKind::Fn:
      return v < 0 ? "NULL" : fn_name(static_cast<uint32_t>(v));
    case TypeKind::Void:
      return "";
    default:
      break;
  }
  for (const std::unique_ptr<Module>& m : modules_) {
    if (std::optional<std::string> text = m->type_text(v, t)) return *text;
  }
  return std::to_string(v);
}

std::string Core::slot_text(const uint8_t* p, TypeKind t) const {
  if (tagged(p)) return sym_to_string(pool_, SymTermId{static_cast<uint32_t>(get32(p))});
  if (t == TypeKind::Ptr) {
    int64_t v;
    std::memcpy(&v, p, 8);
    return render(v, t);
  }
  return render(get32(p), t);
}

std::vector<ObjectView> Core::objects() const {
  std::vector<ObjectView> out;
  for (const std::unique_ptr<Module>& m : modules_) m->objects(ViewPhase::Objects, out);
  for (std::size_t l = 0; l < spec_.locks.size(); ++l) {
    uint8_t owner = lock_owner(static_cast<uint32_t>(l));
    out.push_back({spec_.locks[l].name, "lock", {{"held by", owner_text(owner)}}});
  }
  for (std::size_t e = 0; e < spec_.events.size(); ++e) {
    out.push_back(
        {spec_.events[e].name,
         "event",
         {{"state", event_state(static_cast<uint32_t>(e)) ? "signalled" : "not signalled"}}});
  }
  for (const std::unique_ptr<Module>& m : modules_) m->objects(ViewPhase::AfterSync, out);
  for (std::size_t g = 0; g < spec_.globals.size(); ++g) {
    const ast::VarDecl& gd = spec_.globals[g];
    std::string value;
    const uint8_t* p = global(static_cast<uint32_t>(g));
    if (is_list(gd.type)) {
      int32_t n = get32(p);
      value = "[";
      for (int32_t i = 0; i < n; ++i) {
        if (i) value += ", ";
        value += render(get32(p + 4 + 4 * i),
                        gd.type == TypeKind::ListNbl ? TypeKind::Nbl : TypeKind::Request);
      }
      value += "]";
    } else {
      value = slot_text(p, gd.type);
    }
    out.push_back({gd.name, "global", {{"value", value}}});
  }
  return out;
}

ResultLoc Core::result_loc(SourceLoc loc) const {
  ResultLoc r;
  if (!loc.valid()) return r;
  r.file = sm_.file(loc.file).path;
  r.line = loc.line;
  r.col = loc.col;
  r.source = std::string(sm_.line_text(loc.file, loc.line));
  return r;
}

}  // namespace cc
