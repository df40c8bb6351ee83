// API calls as the engine runs them: the call's trace text and result, the engine's own
// synchronisation objects (spin locks, kernel events), list operations, and the hand-off of
// every other call to the module of its domain (engine/module.h).
#include "engine/core.h"
#include "model/named_constants.h"

namespace cc {

Outcome Core::exec_api(uint32_t a, const CodeUnit& u, const Instr& in) {
  const ApiInfo& info = api_info(in.api());
  const Reg* argr = u.args.data() + in.args_begin;
  ApiCall call;
  call.act = a;
  call.unit = &u;
  call.in = &in;
  for (uint8_t i = 0; i < in.nargs && i < call.arg.size(); ++i) {
    // A uintptr argument in full, unless it is symbolic (then its first word is the term).
    const bool wide_arg =
        u.reg_types[argr[i].value] == TypeKind::Ptr && !tagged(reg_ptr(a, argr[i]));
    call.arg[i] = wide_arg ? static_cast<int64_t>(wide(a, argr[i])) : reg(a, argr[i]);
  }
  Module* m = module_for(info.domain);
  if (rec_) {
    std::string text = std::string(info.name) + "(";
    for (uint8_t i = 0; i < in.nargs; ++i) {
      TypeKind pt = i < info.params.size() ? info.params[i] : TypeKind::Int;
      if (i) text += ", ";
      if (pt == TypeKind::RefRequest || pt == TypeKind::RefInt) {
        text += "&" + (in.loc.kind == LocKind::Global ? spec_.globals[in.loc.index].name
                       : in.loc.kind == LocKind::Reg  ? u.reg_names[in.loc.index]
                                                      : std::string("field"));
      } else if (std::optional<std::string> t = m != nullptr && !sym_arg_.valid()
                                                    ? m->arg_text(in.api(), i, call.arg[i])
                                                    : std::nullopt) {
        text += *t;
      } else {
        text += render(call.arg[i], pt);
      }
    }
    text += ")";
    call.rec_at = rec_->actions.size();
    rec_->actions.push_back(text);
    rec_->results.emplace_back();
    rec_->calls.emplace_back(info.name);
  }
  std::optional<Outcome> o;
  for (const std::unique_ptr<Module>& mod : modules_) {
    if (!o) o = mod->check_call(call);
  }
  if (!o) o = exec_sync(call);
  if (!o) {
    if (m == nullptr) throw std::logic_error(fmt::format("{} has no semantics", info.name));
    o = m->exec_api(call);
  }
  if (*o != Outcome::Continue) return *o;
  if (in.a.value < u.reg_types.size() && info.result != TypeKind::Void) {
    if (info.result == TypeKind::Ptr && !sym_result_) {
      set_wide(a, in.a, static_cast<uint64_t>(call.ret));
    } else {  // one word; a symbolic uintptr's term id, its second word cleared
      set_reg(a, in.a, static_cast<int32_t>(call.ret));
      if (info.result == TypeKind::Ptr) set_reg(a, Reg{static_cast<uint16_t>(in.a.value + 1)}, 0);
    }
  }
  if (sym_result_) set_tag(reg_ptr(a, in.a), std::exchange(sym_result_, false));
  return Outcome::Continue;
}

std::optional<Outcome> Core::exec_sync(ApiCall& call) {
  const uint32_t a = call.act;
  const Instr& in = *call.in;
  switch (in.api()) {
    case ApiId::WdfSpinLockAcquire:
    case ApiId::NdisAcquireSpinLock:
    case ApiId::WdfWaitLockAcquire: {
      // A wait lock with a timeout argument gives STATUS_TIMEOUT when held (waiting and then
      // acquiring is the same call run later); a spin lock or no timeout waits.
      const bool wait_lock = in.api() == ApiId::WdfWaitLockAcquire;
      auto l = static_cast<uint32_t>(call.arg[0]);
      uint8_t& owner = lock_owner(l);
      if (owner == a + 1) {
        violation(RuleId::Deadlock, in.src,
                  fmt::format("{} acquires {}lock {} it already holds", lane_of(a),
                              wait_lock ? "wait " : "", spec_.locks[l].name));
        return Outcome::Violation;
      }
      if (owner != 0 && !(wait_lock && in.nargs >= 2)) return Outcome::Blocked;
      if (owner == 0) owner = static_cast<uint8_t>(a + 1);
      if (wait_lock) api_result(call, owner == a + 1 ? k::STATUS_SUCCESS : k::STATUS_TIMEOUT);
      return Outcome::Continue;
    }
    case ApiId::WdfSpinLockRelease:
    case ApiId::NdisReleaseSpinLock:
    case ApiId::WdfWaitLockRelease: {
      auto l = static_cast<uint32_t>(call.arg[0]);
      uint8_t& owner = lock_owner(l);
      if (owner != a + 1) {
        violation(
            RuleId::ApiMisuse, in.src,
            fmt::format("{} releases {}lock {} it does not hold", lane_of(a),
                        in.api() == ApiId::WdfWaitLockRelease ? "wait " : "", spec_.locks[l].name));
        return Outcome::Violation;
      }
      owner = 0;
      return Outcome::Continue;
    }
    case ApiId::KeSetEvent:
      event_state(static_cast<uint32_t>(call.arg[0])) = 1;
      return Outcome::Continue;
    case ApiId::KeClearEvent:
      event_state(static_cast<uint32_t>(call.arg[0])) = 0;
      return Outcome::Continue;
    case ApiId::KeWaitForSingleObject:
      if (event_state(static_cast<uint32_t>(call.arg[0])) == 0) return Outcome::Blocked;
      return Outcome::Continue;
    default:
      return std::nullopt;
  }
}

Outcome Core::exec_list(uint32_t a, const CodeUnit& u, const Instr& in) {
  bool bad = false;
  int32_t* p = loc_ptr(a, in.loc, in, "list access", bad);
  if (bad) return Outcome::Violation;
  int32_t count;
  std::memcpy(&count, p, 4);
  int32_t* items = p + 1;
  auto cap = static_cast<int32_t>(prog_.list_capacity);
  std::string lname =
      in.loc.kind == LocKind::Global ? spec_.globals[in.loc.index].name : u.reg_names[in.loc.index];
  TypeKind lt =
      in.loc.kind == LocKind::Global ? spec_.globals[in.loc.index].type : u.reg_types[in.loc.index];
  TypeKind et = lt == TypeKind::ListNbl ? TypeKind::Nbl : TypeKind::Request;
  auto get_item = [&](int32_t i) {
    int32_t v;
    std::memcpy(&v, items + i, 4);
    return v;
  };
  auto put_item = [&](int32_t i, int32_t v) { std::memcpy(items + i, &v, 4); };
  auto set_count = [&](int32_t c) { std::memcpy(p, &c, 4); };
  auto drop = [&](int32_t i) {  // removes item i, closing the gap
    for (int32_t j = i + 1; j < count; ++j) put_item(j - 1, get_item(j));
    put_item(count - 1, 0);
    set_count(count - 1);
  };
  std::string action;
  std::string result;
  switch (in.op) {
    case Op::ListPush: {
      if (count >= cap) {
        throw ModelLimit(fmt::format("list '{}' holds more than {} elements", lname, cap));
      }
      put_item(count, pin(reg(a, in.b)));
      set_count(count + 1);
      if (rec_) action = fmt::format("push({}, {})", lname, render(reg(a, in.b), et));
      break;
    }
    case Op::ListPop: {
      int32_t v = 0;
      if (count > 0) {
        v = get_item(0);
        drop(0);
      }
      set_reg(a, in.a, v);
      if (rec_) {
        action = fmt::format("pop({})", lname);
        result = render(v, et);
      }
      break;
    }
    case Op::ListRemove: {
      int32_t v = reg(a, in.b);
      int32_t found = 0;
      for (int32_t i = 0; i < count; ++i) {
        if (get_item(i) == v) {
          drop(i);
          found = 1;
          break;
        }
      }
      set_reg(a, in.a, found);
      if (rec_) {
        action = fmt::format("remove({}, {})", lname, render(v, et));
        result = found ? "TRUE" : "FALSE";
      }
      break;
    }
    case Op::ListEmpty:
      set_reg(a, in.a, count == 0 ? 1 : 0);
      if (rec_) {
        action = fmt::format("empty({})", lname);
        result = count == 0 ? "TRUE" : "FALSE";
      }
      break;
    default: {  // ListGet
      int32_t i = reg(a, in.b);
      bool ok = i >= 0 && i < count;
      set_reg(a, in.a, ok ? get_item(i) : 0);
      set_reg(a, in.c, ok ? 1 : 0);
      if (rec_) {
        action = fmt::format("{}[{}]", lname, i);
        result = ok ? render(get_item(i), et) : "end";
      }
      break;
    }
  }
  if (rec_ && in.loc.shared()) {
    rec_->actions.push_back(action);
    rec_->results.push_back(result);
  }
  return Outcome::Continue;
}

}  // namespace cc
