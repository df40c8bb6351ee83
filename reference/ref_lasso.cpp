// What the reference executor needs to confirm a lasso (docs/replay.md, "Lassos"): state
// equality up to the numbering of activities, and the objects that are pending.
#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include "reference/ref_machine.h"

namespace cc {
namespace {

/// Marks the locals `e` reads or writes.
void mark_locals(const Expr& e, std::vector<uint8_t>& used) {
  if ((e.kind == ExprKind::Name || e.kind == ExprKind::AddrOf) && e.sym.kind == SymbolKind::Local &&
      e.sym.index < used.size()) {
    used[e.sym.index] = 1;
  }
  for (const ast::ExprPtr& a : e.args) {
    if (a) mark_locals(*a, used);
  }
}

/// Marks the locals statement `s` (and everything inside it) reads or writes.
void mark_locals(const Stmt& s, std::vector<uint8_t>& used) {
  for (const Expr* e : {s.cond.get(), s.target.get(), s.value.get()}) {
    if (e != nullptr) mark_locals(*e, used);
  }
  if ((s.kind == StmtKind::ForIn || s.kind == StmtKind::VarDecl) && s.slot < used.size()) {
    used[s.slot] = 1;
  }
  for (const ast::StmtPtr& b : s.body) {
    if (b) mark_locals(*b, used);
  }
  if (s.then_stmt) mark_locals(*s.then_stmt, used);
  if (s.else_stmt) mark_locals(*s.else_stmt, used);
}

/// Clears the locals of `f` that the rest of its function can no longer read: the value of
/// a dead variable means nothing (the explorer does not keep it either).
void clear_dead_locals(Frame& f) {
  if (f.fn == nullptr) return;
  std::vector<uint8_t> used(f.locals.size(), 0);
  for (const Ctl& c : f.ctl) {
    if (c.kind == Ctl::While || c.kind == Ctl::ForIn) {
      if (c.loop != nullptr) mark_locals(*c.loop, used);
      continue;
    }
    for (std::size_t i = c.idx; i < c.n; ++i) {
      if (c.stmts[i]) mark_locals(*c.stmts[i], used);
    }
  }
  for (std::size_t k = 0; k < f.locals.size(); ++k) {
    if (used[k] != 0) continue;
    f.locals[k] = Val{};
    if (k < f.lists.size()) f.lists[k].clear();
  }
}

}  // namespace

RefMachine RefMachine::normalized() const {
  RefMachine c = *this;
  std::erase_if(c.acts_, [](const Act& a) { return a.done; });
  // Activities are numbered in creation order; a cycle starts new ones. Number the live
  // ones by what they are (key, request), keeping creation order among equal ones.
  std::stable_sort(c.acts_.begin(), c.acts_.end(), [](const Act& a, const Act& b) {
    return std::tie(a.key, a.req) < std::tie(b.key, b.req);
  });
  std::map<int, int> new_id;
  for (std::size_t i = 0; i < c.acts_.size(); ++i) new_id[c.acts_[i].id] = static_cast<int>(i + 1);
  const auto rename = [&new_id](int& id) {
    if (id < 0) return;
    auto it = new_id.find(id);
    id = it == new_id.end() ? 0 : it->second;
  };
  for (Act& a : c.acts_) {
    rename(a.id);
    rename(a.waiting_inline);
    rename(a.inline_caller);
  }
  for (int& h : c.lock_holder_) rename(h);
  for (int& h : c.device_holder_) rename(h);
  for (Req& r : c.reqs_) rename(r.cancel_routine_act);
  for (QueueSt& q : c.queues_) rename(q.sync_waiter);
  c.next_act_id_ = 0;
  // A handle's epoch only says how many reuses ago it was taken.
  const auto relative = [&c](Val& v) {
    if (v.req < 0 || v.epoch == kCurrentEpoch) return;
    v.epoch = c.reqs_[static_cast<std::size_t>(v.req)].epoch - v.epoch;
  };
  const auto relative_all = [&relative](std::vector<Val>& vals) {
    for (Val& v : vals) relative(v);
  };
  relative_all(c.globals_);
  for (std::vector<Val>& l : c.global_lists_) relative_all(l);
  for (Act& a : c.acts_) {
    for (Frame& f : a.frames) {
      clear_dead_locals(f);
      relative_all(f.locals);
      for (std::vector<Val>& l : f.lists) relative_all(l);
      for (auto& [expr, v] : f.memo) relative(v);
    }
  }
  for (Req& r : c.reqs_) {
    relative_all(r.ctx);
    for (std::vector<Val>& l : r.ctx_lists) relative_all(l);
  }
  for (Req& r : c.reqs_) r.epoch = 0;
  return c;
}

bool RefMachine::same_state(const RefMachine& other) const {
  const RefMachine a = normalized();
  const RefMachine b = other.normalized();
  return a.reqs_ == b.reqs_ && a.queues_ == b.queues_ && a.lock_holder_ == b.lock_holder_ &&
         a.event_set_ == b.event_set_ && a.deferred_state_ == b.deferred_state_ &&
         a.int_lock_holder_ == b.int_lock_holder_ && a.int_dpc_queued_ == b.int_dpc_queued_ &&
         a.irq_raised_ == b.irq_raised_ && a.targets_ == b.targets_ &&
         a.pool_used_ == b.pool_used_ && a.entry_called_ == b.entry_called_ &&
         a.globals_ == b.globals_ && a.global_lists_ == b.global_lists_ &&
         a.device_holder_ == b.device_holder_ && a.acts_ == b.acts_ && a.arrived_ == b.arrived_ &&
         a.power_ == b.power_ && a.stop_line_ == b.stop_line_ && a.purge_ == b.purge_ &&
         a.stage_ == b.stage_ && a.file_state_ == b.file_state_ && a.nbls_ == b.nbls_ &&
         a.cancel_send_done_ == b.cancel_send_done_ &&
         a.partial_id_generated_ == b.partial_id_generated_ && a.pause_state_ == b.pause_state_ &&
         a.vcbs_ == b.vcbs_ && a.tasks_ == b.tasks_ && a.conv_closed_ == b.conv_closed_ &&
         a.messages_ == b.messages_;
}

std::vector<RefPending> RefMachine::pending_objects() const {
  std::vector<RefPending> out;
  for (const Req& r : reqs_) {
    if (!r.received || !r.alive()) continue;
    out.push_back({r.name, r.cancel_flag || r.cancel_aimed || r.wiped || r.markex_cancelled});
  }
  for (const Nbl& b : nbls_) {
    if (b.from_protocol && (b.owner == NblOwner::Filter || b.owner == NblOwner::Below)) {
      out.push_back({b.name, b.cancelled});
    }
  }
  for (std::size_t k = 0; k < tasks_.size(); ++k) {
    if (tasks_[k].state == TaskSt::Outstanding)
      out.push_back({fmt::format("task#{}", k + 1), false});
  }
  return out;
}

}  // namespace cc
