// The reference executor's interpreter (see ref_machine.h): the machine's construction, the
// scheduling of activities and environment events, the statement and expression walker, the
// language builtins, the synchronisation objects every framework shares (spin locks, events,
// timers) and the end-state check's order. Each framework's calls, environment events and end
// states are in ref_kmdf.cpp, ref_ndis.cpp and ref_appc.cpp; the public API of ref_executor.h
// is in ref_executor.cpp.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include <fmt/format.h>

#include "model/api.h"
#include "reference/ref_executor.h"
#include "reference/ref_machine.h"

namespace cc {

namespace refexec {

int32_t named(std::string_view name) {
  const ConstantInfo* c = find_constant(name);
  if (c == nullptr)
    throw std::logic_error(fmt::format("constant {} missing from constants.def", name));
  return static_cast<int32_t>(static_cast<uint32_t>(c->value));
}

const Consts& K() {
  static const Consts k;
  return k;
}

std::string status_text(int32_t v) {
  std::string_view n = constant_name(TypeKind::Status, v);
  if (!n.empty()) return std::string(n);
  return std::to_string(v);
}

}  // namespace refexec

namespace {
int32_t wrap(int64_t v) {
  return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(v)));
}
bool is_handle_expr(const Expr& e) {
  return e.type == TypeKind::Request;
}
}  // namespace

RefMachine::RefMachine(const ast::Spec& spec, const SourceManager& sm, const SymbolicValues& values)
    : spec_(&spec), sym_values_(values), sm_(&sm) {
  lock_holder_.assign(spec.locks.size(), -1);
  event_set_.assign(spec.events.size(), false);
  // Synchronization locks: one per device, then one per queue (queue scope).
  device_holder_.assign(spec.devices.size() + spec.queues.size(), -1);

  globals_.resize(spec.globals.size());
  global_lists_.resize(spec.globals.size());
  for (std::size_t g = 0; g < spec.globals.size(); ++g) {
    const ast::VarDecl& v = spec.globals[g];
    if (v.symbolic) {
      globals_[g].i = symbolic_value(v.name, v.width);
    } else if (v.type != TypeKind::Request) {
      globals_[g].i = to_type(v.init_value, v.type, spec.pointer_width);
    }
  }

  init_kmdf(spec);
  init_contexts(spec);
  init_ndis(spec);
  init_appc(spec);

  // Threads start at time zero.
  for (const ast::FnDecl& t : spec.threads) start_activity(t.name, t, Role::Thread, -1, {}, -1);
}

int RefMachine::start_activity(const std::string& key, const ast::FnDecl& fn, Role role, int req,
                               std::vector<Val> args, int device) {
  Act a;
  a.id = next_act_id_++;
  a.key = key;
  a.role = role;
  a.req = req;
  a.device = device;
  Frame f;
  f.fn = &fn;
  f.locals.resize(fn.locals.size());
  f.lists.resize(fn.locals.size());
  for (std::size_t k = 0; k < args.size() && k < fn.param_count && k < f.locals.size(); ++k) {
    f.locals[k] = convert(args[k], fn.locals[k].type);  // an int or uintptr cancel_id, ...
  }
  Ctl c;
  if (fn.body) {
    c.stmts = fn.body->body.data();
    c.n = fn.body->body.size();
  }
  f.ctl.push_back(c);
  a.frames.push_back(std::move(f));
  acts_.push_back(std::move(a));
  return acts_.back().id;
}

void RefMachine::move_activity(Act& a) {
  if (a.waiting_inline >= 0 && find_act(a.waiting_inline) != nullptr) {
    throw BlockedSig{fmt::format("{} waits for its inline cancel routine to return", a.key)};
  }
  if (a.waiting_deferred >= 0) {
    if (!deferred_wait_over(a)) {
      throw BlockedSig{
          fmt::format("{} waits for {} callbacks to return", a.key,
                      spec_->timers[static_cast<std::size_t>(a.waiting_deferred)].name)};
    }
    a.waiting_deferred = -1;
  }
  if ((a.waiting_send >= 0 || a.waiting_target >= 0) && !target_wait_over(a)) {
    throw BlockedSig{fmt::format("{} waits in a synchronous send or a target stop", a.key)};
  }
  if (a.waiting_queue >= 0 && !queue_wait_over(a)) {
    throw BlockedSig{fmt::format("{} waits for queue {} to go idle", a.key,
                                 spec_->queues[static_cast<std::size_t>(a.waiting_queue)].name)};
  }
  if (!a.started) {
    if (a.device >= 0) {
      int holder = device_holder_[static_cast<std::size_t>(a.device)];
      if (holder != -1 && holder != a.id) {
        throw BlockedSig{fmt::format("{} waits for its synchronization lock", a.key)};
      }
      device_holder_[static_cast<std::size_t>(a.device)] = a.id;
      a.holds_device = true;
    }
    a.started = true;
  }
  cur_ = a.id;
  budget_ = 1;
  statements_ = 0;
  run_steps();
}

// ---- scheduling ----

std::vector<std::string> RefMachine::candidate_events() const {
  std::set<std::string> keys;
  walker_candidate_events(keys);
  kmdf_candidate_events(keys);
  ndis_candidate_events(keys);
  appc_candidate_events(keys);
  return {keys.begin(), keys.end()};
}

void RefMachine::walker_candidate_events(std::set<std::string>& keys) const {
  for (const Act& a : acts_) {
    if (!a.done) keys.insert(a.key);
  }
  contexts_candidate_events(keys);
}

Outcome RefMachine::run_event(const std::string& key, Chooser& ch, std::size_t instance) {
  Outcome o;
  ch_ = &ch;
  out_ = &o;
  try {
    Act* a = nullptr;
    std::size_t seen = 0;
    for (Act& x : acts_) {
      if (!x.done && x.key == key && seen++ == instance) {
        a = &x;
        break;
      }
    }
    if (a != nullptr) {
      move_activity(*a);
    } else if (!run_env(key)) {
      throw BlockedSig{
          fmt::format("no activity or environment event '{}' exists at this point", key)};
    }
  } catch (ViolationSig& v) {
    o.violation = std::move(v);
  }
  acts_.erase(std::remove_if(acts_.begin(), acts_.end(), [](const Act& a) { return a.done; }),
              acts_.end());
  ch_ = nullptr;
  out_ = nullptr;
  return o;
}

bool RefMachine::run_env(const std::string& key) {
  if (run_kmdf_env(key) || run_contexts_env(key)) return true;
  return run_ndis_env(key) || run_appc_env(key);
}

// ---- synchronisation objects: spin locks, events, timers ----

Val RefMachine::call_sync_api(ApiId id, std::vector<Val>& args) {
  switch (id) {
    case ApiId::WdfSpinLockAcquire:
    case ApiId::NdisAcquireSpinLock:
    case ApiId::WdfWaitLockAcquire: {
      // A wait lock with a timeout argument gives STATUS_TIMEOUT when another holds it.
      const bool wait_lock = id == ApiId::WdfWaitLockAcquire;
      const bool timeout = wait_lock && args.size() >= 2;
      auto L = static_cast<std::size_t>(args[0].i);
      gate_prepare();
      int holder = lock_holder_[L];
      if (holder != -1 && holder != cur_ && !timeout) {
        throw BlockedSig{fmt::format("lock {} is held", spec_->locks[L].name)};
      }
      gate_consume();
      record(id);
      if (holder == cur_) {
        violation(RuleId::Deadlock, fmt::format("{} acquires {}lock {} it already holds", cur().key,
                                                wait_lock ? "wait " : "", spec_->locks[L].name));
      }
      if (holder != -1) return result(id, K().timeout);
      lock_holder_[L] = cur_;
      return wait_lock ? result(id, K().success) : Val{};
    }
    case ApiId::WdfSpinLockRelease:
    case ApiId::NdisReleaseSpinLock:
    case ApiId::WdfWaitLockRelease: {
      auto L = static_cast<std::size_t>(args[0].i);
      visible();
      record(id);
      if (lock_holder_[L] != cur_) {
        violation(
            RuleId::ApiMisuse,
            fmt::format("{} releases {}lock {} it does not hold", cur().key,
                        id == ApiId::WdfWaitLockRelease ? "wait " : "", spec_->locks[L].name));
      }
      lock_holder_[L] = -1;
      return Val{};
    }
    case ApiId::KeSetEvent:
    case ApiId::KeClearEvent:
      visible();
      record(id);
      event_set_[static_cast<std::size_t>(args[0].i)] = id == ApiId::KeSetEvent;
      return Val{};
    case ApiId::KeWaitForSingleObject:
      gate_prepare();
      if (!event_set_[static_cast<std::size_t>(args[0].i)]) {
        throw BlockedSig{fmt::format("event {} is not set",
                                     spec_->events[static_cast<std::size_t>(args[0].i)].name)};
      }
      gate_consume();
      record(id);
      return Val{};
    default:
      break;
  }
  not_executed(id);
}

// ---- the interpreter ----

Ctl* RefMachine::outer_atomic() {
  for (Frame& f : cur().frames) {
    for (Ctl& c : f.ctl) {
      if (c.kind == Ctl::Atomic) return &c;
    }
  }
  return nullptr;
}

// replay.md: "Inside atomic { } visible operations do not end the step." An operation in an
// atomic block never stops the step (even one that has done its visible operation already);
// it does count as the step's visible operation, so the step stops before the next one
// outside the block.
void RefMachine::gate_prepare() {
  if (outer_atomic() != nullptr) return;
  if (budget_ == 0) throw SuspendSig{};
}

void RefMachine::gate_consume() {
  budget_ = 0;
}

void RefMachine::run_steps() {
  const int me = cur_;
  while (true) {
    if (++statements_ > reading::kMaxStatementsPerStep) {
      throw RefUnsupported(
          fmt::format("{}: a local loop never reaches a visible operation", cur().key));
    }
    Act* a = find_act(me);
    if (a == nullptr) return;  // finished in this step
    if (a->frames.empty()) {
      finish_activity();
      return;
    }
    if (a->frames.back().ctl.empty()) {
      do_return(Val{});
      continue;
    }
    try {
      exec_stmt(a->frames.back().ctl.size() - 1);
    } catch (const PushedSig&) {
    } catch (const SuspendSig&) {
      return;
    } catch (const EndStepSig&) {
      return;
    }
  }
}

void RefMachine::push_ctl(Ctl::Kind kind, const ast::StmtPtr* stmts, std::size_t n) {
  Ctl nc;
  nc.kind = kind;
  nc.stmts = stmts;
  nc.n = n;
  frame().ctl.push_back(nc);
}

void RefMachine::exec_loop(std::size_t ci, const Ctl& c) {
  const Stmt& s = *c.loop;
  if (c.kind == Ctl::While) {
    Val v = eval(*s.cond);
    bool t = truthy(*s.cond, v);
    frame().memo.clear();
    if (t) {
      push_ctl(Ctl::Seq, s.body.data(), s.body.size());
    } else {
      frame().ctl.pop_back();
    }
    return;
  }
  ListLoc loc = list_loc(*s.value);
  if (loc.kind != ListLoc::Local) visible();
  std::vector<Val>* list = &list_at(loc, "for-in");
  Frame& f = frame();
  Ctl& cc = f.ctl[ci];
  f.memo.clear();
  if (static_cast<std::size_t>(cc.for_index) < list->size()) {
    f.locals[s.slot] = (*list)[static_cast<std::size_t>(cc.for_index)];
    ++cc.for_index;
    push_ctl(Ctl::Seq, s.body.data(), s.body.size());
  } else {
    f.ctl.pop_back();
  }
}

void RefMachine::exec_stmt(std::size_t ci) {
  Ctl c = frame().ctl[ci];  // a copy: evaluation may push frames or cursors
  auto advance = [&]() {
    Frame& f = frame();
    ++f.ctl[ci].idx;
    f.memo.clear();
  };
  if (c.kind == Ctl::While || c.kind == Ctl::ForIn) {
    exec_loop(ci, c);
    return;
  }
  if (c.idx >= c.n) {
    frame().ctl.pop_back();
    return;
  }
  const Stmt& s = *c.stmts[c.idx];
  switch (s.kind) {
    case StmtKind::Block:
      advance();
      push_ctl(Ctl::Seq, s.body.data(), s.body.size());
      return;
    case StmtKind::Atomic:
      advance();
      push_ctl(Ctl::Atomic, s.body.data(), s.body.size());
      return;
    case StmtKind::VarDecl: {
      Val v = s.value ? convert(copy_of(eval(*s.value)), frame().fn->locals[s.slot].type) : Val{};
      advance();
      frame().locals[s.slot] = v;
      frame().lists[s.slot].clear();
      return;
    }
    case StmtKind::SymbolicDecl: {
      // Named as the explorer names it: "<activity key>.<local>".
      Val v{symbolic_value(fmt::format("{}.{}", cur().key, s.name), s.width)};
      advance();
      frame().locals[s.slot] = v;
      return;
    }
    case StmtKind::Assign: {
      const Expr& t = *s.target;
      Val v = copy_of(eval(*s.value));
      if (t.kind == ExprKind::Name && t.sym.kind == SymbolKind::Local) {
        advance();
        frame().locals[t.sym.index] = convert(v, frame().fn->locals[t.sym.index].type);
        return;
      }
      if (t.kind == ExprKind::Name && t.sym.kind == SymbolKind::Global) {
        visible();
        globals_[t.sym.index] = convert(v, spec_->globals[t.sym.index].type);
        advance();
        return;
      }
      if (t.kind == ExprKind::Member) {
        Val base = eval(*t.args[0]);
        visible();
        check_context(base, fmt::format("write of ->{}", t.name));
        reqs_[static_cast<std::size_t>(base.req)].ctx[t.field] =
            convert(v, spec_->context[t.field].type);
        advance();
        return;
      }
      throw RefUnsupported("assignment to an unsupported target");
    }
    case StmtKind::If: {
      Val v = eval(*s.cond);
      bool t = truthy(*s.cond, v);
      advance();
      if (t) {
        push_ctl(Ctl::Seq, &s.then_stmt, 1);
      } else if (s.else_stmt) {
        push_ctl(Ctl::Seq, &s.else_stmt, 1);
      }
      return;
    }
    case StmtKind::While: {
      advance();
      Ctl nc;
      nc.kind = Ctl::While;
      nc.loop = &s;
      frame().ctl.push_back(nc);
      return;
    }
    case StmtKind::ForIn: {
      advance();
      Ctl nc;
      nc.kind = Ctl::ForIn;
      nc.loop = &s;
      frame().ctl.push_back(nc);
      return;
    }
    case StmtKind::Break:
    case StmtKind::Continue: {
      Frame& f = frame();
      f.memo.clear();
      while (!f.ctl.empty()) {
        Ctl::Kind k = f.ctl.back().kind;
        if (k == Ctl::While || k == Ctl::ForIn) {
          if (s.kind == StmtKind::Break) f.ctl.pop_back();
          return;
        }
        f.ctl.pop_back();
      }
      throw RefUnsupported("break/continue outside a loop");
    }
    case StmtKind::Return: {
      Val v = s.value ? eval(*s.value) : Val{};
      do_return(v);
      return;
    }
    case StmtKind::ExprStmt:
      eval(*s.value);
      advance();
      return;
  }
}

void RefMachine::do_return(Val v) {
  Act& a = cur();
  const Expr* site = a.frames.back().call_site;
  v = convert(v, a.frames.back().fn->return_type);  // a helper's result converts to its type
  a.frames.pop_back();
  if (a.frames.empty()) {
    // An inline callback's value answers the call that waits for it.
    if (a.result_site != nullptr && a.inline_caller >= 0) {
      if (Act* c = find_act(a.inline_caller); c != nullptr && !c->frames.empty())
        c->frames.back().memo[a.result_site] = Val{v.i};
    }
    a.returned = v;
    finish_activity();
    return;
  }
  a.frames.back().memo[site] = v;
}

void RefMachine::finish_activity() {
  Act& a = cur();
  a.frames.clear();
  if (a.restarts_filter >= 0) pause_state_[static_cast<std::size_t>(a.restarts_filter)] = 0;
  if (a.sending_nbl >= 0) ndis_send_returned(a.sending_nbl);
  if (a.completing_nbl >= 0) {
    for (Nbl& b : nbls_) {
      if (b.complete_head == a.completing_nbl) b.in_complete = false;
    }
  }
  if (a.role == Role::Stop && a.req >= 0) stop_callback_returns(a);
  if (a.role == Role::Resume && a.req >= 0) release_ref(a.req);  // the framework's hold
  if (a.role == Role::ReadComplete || a.role == Role::ReadersFailed) reader_callback_returns(a);
  if (a.holds_device) {
    device_holder_[static_cast<std::size_t>(a.device)] = -1;
    a.holds_device = false;
  }
  release_interrupt_locks(a);
  if (a.inline_caller >= 0) {
    if (Act* c = find_act(a.inline_caller)) c->waiting_inline = -1;
  }
  a.done = true;
}

bool RefMachine::truthy(const Expr& e, const Val& v) const {
  if (e.type == TypeKind::Request || e.kind == ExprKind::Null) return v.req >= 0;
  return v.i != 0;
}

Val RefMachine::eval(const Expr& e) {
  {
    Frame& f = frame();
    auto it = f.memo.find(&e);
    if (it != f.memo.end()) return it->second;
  }
  Val v = eval_uncached(e);
  frame().memo[&e] = v;
  if (end_step_after_) {
    end_step_after_ = false;
    throw EndStepSig{};
  }
  return v;
}

Val RefMachine::eval_uncached(const Expr& e) {
  // A literal or constant: a number of its type; a verb (or other object constant) wraps.
  auto constant = [&]() {
    return Val{is_number_type(e.type) ? to_type(e.int_value, e.type, spec_->pointer_width)
                                      : wrap(e.int_value)};
  };
  switch (e.kind) {
    case ExprKind::IntLit:
    case ExprKind::BoolLit:
      return constant();
    case ExprKind::Null:
      // A NULL function (no completion routine, no queue callback) is no function index.
      return e.type == TypeKind::Fn ? Val{-1} : Val{};
    case ExprKind::Nondet: {
      std::size_t k = choose({"nondet:0", "nondet:1"});
      return Val{k == 0 ? 1 : 0};
    }
    case ExprKind::Name:
      switch (e.sym.kind) {
        case SymbolKind::Local:
          return frame().locals[e.sym.index];
        case SymbolKind::Global:
          if (e.type == TypeKind::ListRequest || e.type == TypeKind::ListNbl) {
            throw RefUnsupported("a list used as a value");
          }
          visible();
          return globals_[e.sym.index];
        case SymbolKind::Const:
        case SymbolKind::BuiltinConst:
          return constant();
        case SymbolKind::CreatedRequest: {
          int r = created_base_ + static_cast<int>(e.sym.index);
          return Val{0, r, kCurrentEpoch};
        }
        case SymbolKind::Unresolved:
          throw RefUnsupported(fmt::format("unresolved name '{}'", e.name));
        default:
          return Val{static_cast<int32_t>(e.sym.index)};
      }
    case ExprKind::Member: {
      Val base = eval(*e.args[0]);
      visible();
      check_context(base, fmt::format("read of ->{}", e.name));
      return reqs_[static_cast<std::size_t>(base.req)].ctx[e.field];
    }
    case ExprKind::Call:
      return eval_call(e);
    case ExprKind::Unary: {
      Val v = eval(*e.args[0]);
      if (e.uop == ast::UnaryOp::Not) return Val{truthy(*e.args[0], v) ? 0 : 1};
      return Val{unary_value(e.uop, v.i, e.type, spec_->pointer_width)};
    }
    case ExprKind::Binary: {
      const Expr& l = *e.args[0];
      const Expr& r = *e.args[1];
      if (e.bop == ast::BinaryOp::LogAnd || e.bop == ast::BinaryOp::LogOr) {
        bool a = truthy(l, eval(l));
        if (e.bop == ast::BinaryOp::LogAnd && !a) return Val{0};
        if (e.bop == ast::BinaryOp::LogOr && a) return Val{1};
        return Val{truthy(r, eval(r)) ? 1 : 0};
      }
      Val a = copy_of(eval(l));
      Val b = copy_of(eval(r));
      if ((e.bop == ast::BinaryOp::Eq || e.bop == ast::BinaryOp::Ne) &&
          (is_handle_expr(l) || is_handle_expr(r))) {
        bool eq = a.req == b.req &&
                  (!reading::kHandleEqualityComparesEpoch || a.req < 0 || a.epoch == b.epoch);
        return Val{(e.bop == ast::BinaryOp::Eq) == eq ? 1 : 0};
      }
      // Numbers: int at 32 bits, uintptr at the pointer width (ref_values.cpp).
      return Val{binary_value(e.bop, a.i, l.type, b.i, r.type, e.type, spec_->pointer_width)};
    }
    case ExprKind::AddrOf:
      throw RefUnsupported("'&' outside an API argument");
  }
  throw RefUnsupported("unknown expression");
}

RefMachine::LRef RefMachine::lvalue(const Expr& e) {
  LRef r;
  if (e.kind == ExprKind::Name && e.sym.kind == SymbolKind::Local) {
    r.kind = LRef::Local;
    r.index = e.sym.index;
    return r;
  }
  if (e.kind == ExprKind::Name && e.sym.kind == SymbolKind::Global) {
    r.kind = LRef::Global;
    r.index = e.sym.index;
    return r;
  }
  if (e.kind == ExprKind::Member) {
    r.kind = LRef::Context;
    r.index = e.field;
    r.handle = eval(*e.args[0]);
    r.req = r.handle.req;
    return r;
  }
  throw RefUnsupported("'&' of something that is not a variable or a context field");
}

Val RefMachine::load(const LRef& r) {
  switch (r.kind) {
    case LRef::Local:
      return frame().locals[r.index];
    case LRef::Global:
      return globals_[r.index];
    case LRef::Context:
      return reqs_[static_cast<std::size_t>(r.req)].ctx[r.index];
  }
  return Val{};
}

void RefMachine::store(const LRef& r, const Val& v) {
  switch (r.kind) {
    case LRef::Local:
      frame().locals[r.index] = v;
      break;
    case LRef::Global:
      globals_[r.index] = v;
      break;
    case LRef::Context:
      reqs_[static_cast<std::size_t>(r.req)].ctx[r.index] = v;
      break;
  }
}

RefMachine::ListLoc RefMachine::list_loc(const Expr& e) {
  ListLoc l;
  if (e.kind == ExprKind::Name && e.sym.kind == SymbolKind::Local) {
    l.kind = ListLoc::Local;
    l.index = e.sym.index;
  } else if (e.kind == ExprKind::Name && e.sym.kind == SymbolKind::Global) {
    l.kind = ListLoc::Global;
    l.index = e.sym.index;
  } else if (e.kind == ExprKind::Member) {
    l.kind = ListLoc::Context;
    l.index = e.field;
    l.base = eval(*e.args[0]);
  } else {
    throw RefUnsupported("a list that is not a variable or a context field");
  }
  return l;
}

std::vector<Val>& RefMachine::list_at(const ListLoc& l, const std::string& what) {
  switch (l.kind) {
    case ListLoc::Local:
      return frame().lists[l.index];
    case ListLoc::Global:
      return global_lists_[l.index];
    case ListLoc::Context:
      break;
  }
  check_context(l.base, what + " on a context list");
  return reqs_[static_cast<std::size_t>(l.base.req)].ctx_lists[l.index];
}

void RefMachine::check_context(const Val& h, const std::string& what) {
  if (h.req < 0)
    violation(RuleId::UseAfterFree, fmt::format("{} through a NULL request handle", what));
  const Req& q = reqs_[static_cast<std::size_t>(h.req)];
  if (q.place == Place::Freed)
    violation(RuleId::UseAfterFree, fmt::format("{} of {} after it was freed", what, q.name));
  if (stale(h)) {
    violation(RuleId::UseAfterReuse,
              fmt::format("{} of {} through a handle read before WdfRequestReuse", what, q.name));
  }
}

Val RefMachine::eval_call(const Expr& e) {
  if (e.fn != ast::kNone) {  // an inlined helper: push its frame
    std::vector<Val> args;
    for (const ast::ExprPtr& a : e.args) args.push_back(copy_of(eval(*a)));
    const ast::FnDecl& fn = spec_->fns[e.fn];
    Frame f;
    f.fn = &fn;
    f.locals.resize(fn.locals.size());
    f.lists.resize(fn.locals.size());
    for (std::size_t k = 0; k < args.size() && k < f.locals.size(); ++k)
      f.locals[k] = convert(args[k], fn.locals[k].type);
    Ctl c;
    if (fn.body) {
      c.stmts = fn.body->body.data();
      c.n = fn.body->body.size();
    }
    f.ctl.push_back(c);
    f.call_site = &e;
    cur().frames.push_back(std::move(f));
    throw PushedSig{};
  }
  if (!e.api) throw RefUnsupported(fmt::format("call of '{}' without a resolved API", e.name));
  const ApiInfo& info = api_info(*e.api);
  if (info.domain == ApiDomain::Builtin) return call_builtin(e, *e.api);
  std::vector<Val> args;
  for (std::size_t k = 0; k < e.args.size(); ++k) {
    const Expr& a = *e.args[k];
    Val v = a.kind == ExprKind::AddrOf ? Val{} : eval(a);
    // Each argument converts to its parameter's type (a cancel id to uintptr, a status to int).
    args.push_back(k < info.params.size() ? convert(v, info.params[k]) : v);
  }
  return call_api(e, *e.api, args);
}

Val RefMachine::call_api(const Expr& e, ApiId id, std::vector<Val>& args) {
  switch (api_info(id).domain) {
    case ApiDomain::Kmdf:
      return call_kmdf_api(e, id, args);
    case ApiDomain::Ndis:
      return call_ndis_api(id, args);
    case ApiDomain::Appc:
      return call_appc_api(id, args);
    case ApiDomain::Builtin:
      break;
  }
  not_executed(id);
}

Val RefMachine::call_builtin(const Expr& e, ApiId id) {
  auto same = [this](Val a, Val b) {
    a = copy_of(a);
    b = copy_of(b);
    if (a.req < 0 && b.req < 0) return a.i == b.i;  // NBLs, tasks, VCBs: plain numbers
    return a.req == b.req &&
           (!reading::kHandleEqualityComparesEpoch || a.req < 0 || a.epoch == b.epoch);
  };
  switch (id) {
    case ApiId::push: {
      ListLoc loc = list_loc(*e.args[0]);
      Val x = copy_of(eval(*e.args[1]));
      if (loc.kind != ListLoc::Local) visible();
      std::vector<Val>& list = list_at(loc, "push");
      if (list.size() >= list_capacity_) throw RefUnsupported("list capacity exceeded");
      list.push_back(x);
      return Val{};
    }
    case ApiId::pop: {
      ListLoc loc = list_loc(*e.args[0]);
      if (loc.kind != ListLoc::Local) visible();
      std::vector<Val>& list = list_at(loc, "pop");
      if (list.empty()) return Val{};
      Val v = list.front();
      list.erase(list.begin());
      return v;
    }
    case ApiId::remove: {
      ListLoc loc = list_loc(*e.args[0]);
      Val x = eval(*e.args[1]);
      if (loc.kind != ListLoc::Local) visible();
      std::vector<Val>& list = list_at(loc, "remove");
      for (auto it = list.begin(); it != list.end(); ++it) {
        if (same(*it, x)) {
          list.erase(it);
          return Val{1};
        }
      }
      return Val{0};
    }
    case ApiId::empty: {
      ListLoc loc = list_loc(*e.args[0]);
      if (loc.kind != ListLoc::Local) visible();
      return Val{list_at(loc, "empty").empty() ? 1 : 0};
    }
    case ApiId::InterlockedIncrement:
    case ApiId::InterlockedDecrement:
    case ApiId::InterlockedOr:
    case ApiId::InterlockedCompareExchange: {
      const Expr& target = *e.args[0];
      const Expr& var = target.kind == ExprKind::AddrOf ? *target.args[0] : target;
      LRef ref = lvalue(var);
      std::vector<Val> rest;
      for (std::size_t k = 1; k < e.args.size(); ++k)
        rest.push_back(convert(eval(*e.args[k]), TypeKind::Int));
      if (ref.kind != LRef::Local) visible();
      if (ref.kind == LRef::Context)
        check_context(ref.handle, fmt::format("{} on ->{}", api_name(id), var.name));
      const auto old = static_cast<int32_t>(load(ref).i);
      int32_t nv = old;
      int32_t result = old;
      if (id == ApiId::InterlockedIncrement) {
        nv = wrap(static_cast<int64_t>(old) + 1);
        result = nv;
      } else if (id == ApiId::InterlockedDecrement) {
        nv = wrap(static_cast<int64_t>(old) - 1);
        result = nv;
      } else if (id == ApiId::InterlockedOr) {
        nv = old | static_cast<int32_t>(rest.at(0).i);
      } else if (old == rest.at(1).i) {
        nv = static_cast<int32_t>(rest.at(0).i);
      }
      store(ref, Val{nv});
      return Val{result};
    }
    case ApiId::NT_SUCCESS:
      return Val{convert(eval(*e.args[0]), TypeKind::Status).i >= 0 ? 1 : 0};
    case ApiId::assert: {
      Val v = eval(*e.args[0]);
      if (!truthy(*e.args[0], v))
        violation(RuleId::Assertion, fmt::format("assertion failed in {}", cur().key));
      return Val{};
    }
    case ApiId::assume: {
      Val v = eval(*e.args[0]);
      if (!truthy(*e.args[0], v)) throw PrunedSig{};
      return Val{};
    }
    default:
      break;
  }
  throw RefUnsupported(fmt::format("builtin {} is not executed", api_name(id)));
}

// ---- end states ----

std::optional<RefEndFinding> RefMachine::end_check() const {
  if (auto f = kmdf_end_lost_cancel()) return f;
  if (auto f = stuck_activity()) return f;
  if (auto f = ndis_end_check()) return f;
  if (auto f = appc_end_check()) return f;
  return kmdf_end_pending();
}

std::optional<RefEndFinding> RefMachine::stuck_activity() const {
  std::map<std::string, std::size_t> seen;
  for (const Act& a : acts_) {
    if (a.done) continue;
    // Try the activity: one waiting for a completion message is not a lock deadlock.
    std::size_t inst = seen[a.key]++;
    RefMachine trial = *this;
    EnumChooser ch({});
    std::string why;
    try {
      trial.run_event(a.key, ch, inst);
    } catch (const BlockedSig& b) {
      why = b.why;
    } catch (...) {
    }
    // Waiting for a message as the step's first visible operation; an atomic block that a
    // step enters after its visible operation and that blocks in GetMessage can never run at
    // all (its own step would have to issue the verb first): that is a deadlock.
    if (why.rfind("GetMessage", 0) == 0 && trial.budget_ != 0) {
      return appc_message_wait_finding(a.key);
    }
    return RefEndFinding{RuleId::Deadlock, fmt::format("deadlock: {} can never move", a.key)};
  }
  return std::nullopt;
}

std::string RefMachine::describe() const {
  std::ostringstream o;
  describe_kmdf(o);
  for (std::size_t g = 0; g < globals_.size(); ++g) {
    const ast::VarDecl& v = spec_->globals[g];
    if (v.type == TypeKind::Request) {
      const Val& h = globals_[g];
      o << fmt::format(
          "  {} = {}\n", v.name,
          h.req < 0 ? std::string("NULL")
                    : fmt::format("{}@{}", reqs_[static_cast<std::size_t>(h.req)].name, h.epoch));
    } else if (v.type == TypeKind::ListRequest) {
      o << fmt::format("  {} = list of {}\n", v.name, global_lists_[g].size());
    } else {
      o << fmt::format("  {} = {}\n", v.name, value_text(globals_[g].i, v.type));
    }
  }
  describe_ndis(o);
  describe_appc(o);
  for (std::size_t l = 0; l < lock_holder_.size(); ++l) {
    if (lock_holder_[l] >= 0)
      o << fmt::format("  lock {} held by activity #{}\n", spec_->locks[l].name, lock_holder_[l]);
  }
  for (const Act& a : acts_) {
    if (a.done) continue;
    o << fmt::format("  activity #{} {}{}{}\n", a.id, a.key, a.started ? "" : " (not started)",
                     a.waiting_inline >= 0 ? " (waits for its inline cancel routine)" : "");
  }
  return o.str();
}

}  // namespace cc
