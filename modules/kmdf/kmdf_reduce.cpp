// KMDF's reductions (docs/decisions.md, "Reductions"): the requests of one `arrive` line are
// interchangeable (symmetry), and a request no other actor can touch is a component that
// partial-order reduction may run alone.
#include <algorithm>

#include "modules/kmdf/kmdf_module.h"

namespace cc::kmdf {

bool Kmdf::has_symmetry() const {
  return symmetric_;
}

int32_t Kmdf::rename_handle(int32_t h, const std::vector<uint8_t>& new_of) const {
  const auto u = static_cast<uint32_t>(h);
  const uint32_t r = (u & 0xFFFF) - 1;
  if (h == 0 || r >= nreq_) return h;
  return static_cast<int32_t>((u & ~0xFFFFU) | (new_of[r] + 1U));
}

void Kmdf::canonicalize() {
  request_keys();
  callback_views();
  std::vector<std::vector<std::string>>& views = req_views_;
  for (uint32_t r = 0; r < nreq_; ++r) {
    const auto end = views[r].begin() + static_cast<std::ptrdiff_t>(view_count_[r]);
    std::sort(views[r].begin(), end);
    for (auto v = views[r].begin(); v != end; ++v) (req_keys_[r] += 'A').append(*v);
  }
  req_new_of_.resize(nreq_);
  for (uint32_t r = 0; r < nreq_; ++r) req_new_of_[r] = static_cast<uint8_t>(r);
  bool moved = false;
  for (const std::vector<uint32_t>& cls : arrive_reqs_) {
    if (cls.size() < 2) continue;
    req_order_.assign(cls.begin(), cls.end());
    std::stable_sort(req_order_.begin(), req_order_.end(),
                     [this](uint32_t x, uint32_t y) { return req_keys_[x] < req_keys_[y]; });
    for (std::size_t i = 0; i < cls.size(); ++i) {
      req_new_of_[req_order_[i]] = static_cast<uint8_t>(cls[i]);
      moved = moved || req_order_[i] != cls[i];
    }
  }
  if (!moved) return;
  rename_requests();
}

void Kmdf::request_keys() {
  // Sort key of a request, invariant under renumbering: its record, where it stands in each
  // queue, which globals hold it, and what each callback referring to it is doing (the
  // callback's bytes with every request handle reduced to "this one", "another" or NULL),
  // those descriptions sorted (callback_views()).
  req_keys_.resize(nreq_);
  for (uint32_t r = 0; r < nreq_; ++r) {
    req_keys_[r].assign(reinterpret_cast<const char*>(req(r)), requests_.stride);
    for (std::size_t f = 0; f < spec_.context.size(); ++f) {
      if (spec_.context[f].type == TypeKind::Request) {
        std::memset(req_keys_[r].data() + kRCtx + 4 * f, 0, 4);
      }
    }
    if (ext_) std::memset(req_keys_[r].data() + ext_at_ + kXComplCtx, 0, 4);
  }
  for (uint32_t q = 0; q < spec_.queues.size(); ++q) {
    const uint8_t* p = queue(q);
    for (uint32_t i = 0; i < p[kQCount]; ++i) {
      std::string& key = req_keys_[p[kQItems + i]];
      key += 'Q';
      key.push_back(static_cast<char>(q));
      key.push_back(static_cast<char>(i));
    }
    if (p[kQCurrent] != 0) (req_keys_[p[kQCurrent] - 1u] += 'S').push_back(static_cast<char>(q));
  }
  for (std::size_t g = 0; g < spec_.globals.size(); ++g) {
    const TypeKind t = spec_.globals[g].type;
    const uint8_t* w = global(static_cast<uint32_t>(g));
    if (t == TypeKind::Request) {
      const int32_t h = get32(w);
      const uint32_t r = (static_cast<uint32_t>(h) & 0xFFFF) - 1;
      if (h != 0 && r < nreq_) {
        std::string& key = req_keys_[r];
        key += 'G';
        key.append(reinterpret_cast<const char*>(&g), sizeof g);
        key.push_back(static_cast<char>(static_cast<uint32_t>(h) >> 16));
      }
    } else if (t == TypeKind::ListRequest) {
      const auto n = static_cast<uint32_t>(get32(w));
      for (uint32_t k = 1; k <= n && k <= prog_.list_capacity; ++k) {
        const int32_t h = get32(w + 4 * k);
        const uint32_t r = (static_cast<uint32_t>(h) & 0xFFFF) - 1;
        if (h != 0 && r < nreq_) {
          std::string& key = req_keys_[r];
          key += 'L';
          key.append(reinterpret_cast<const char*>(&g), sizeof g);
          key.push_back(static_cast<char>(k));
        }
      }
    }
  }
}

void Kmdf::callback_views() {
  const auto mark = [](int32_t h, uint32_t self) -> char {
    if (h == 0) return 'n';
    return ((static_cast<uint32_t>(h) & 0xFFFF) - 1 == self) ? 's' : 'o';
  };
  // Per request, the first view_count_[r] strings of views[r] are this state's descriptions
  // (the strings are reused from one call to the next, so no allocation once warm).
  std::vector<std::vector<std::string>>& views = req_views_;
  views.resize(nreq_);
  view_count_.assign(nreq_, 0);
  std::string& view = req_view_;
  for (uint32_t a = 0; a < c_.nact_; ++a) {
    const uint8_t* p = act(a);
    if (p[kAUnit] == 0) continue;
    const CodeUnit& u = prog_.units[p[kAUnit] - 1u];
    const auto kind = static_cast<ActKind>(p[kAKind]);
    const bool subject = p[kASubject] != 0 && subject_is_request(kind);
    // The requests this callback refers to.
    std::vector<uint32_t>& refs = req_refs_;
    refs.clear();
    if (subject) refs.push_back(p[kASubject] - 1u);
    for (uint32_t i = 0; i < u.reg_types.size(); ++i) {
      const auto add = [&](int32_t h) {
        const uint32_t r = (static_cast<uint32_t>(h) & 0xFFFF) - 1;
        if (h != 0 && r < nreq_) refs.push_back(r);
      };
      if (u.reg_types[i] == TypeKind::Request) add(reg(a, Reg{static_cast<uint16_t>(i)}));
      if (u.reg_types[i] == TypeKind::ListRequest) {
        const auto n = static_cast<uint32_t>(reg(a, Reg{static_cast<uint16_t>(i)}));
        for (uint32_t k = 1; k <= n && k <= prog_.list_capacity; ++k) {
          add(reg(a, Reg{static_cast<uint16_t>(i + k)}));
        }
      }
    }
    std::sort(refs.begin(), refs.end());
    refs.erase(std::unique(refs.begin(), refs.end()), refs.end());
    for (const uint32_t self : refs) {
      view.assign(reinterpret_cast<const char*>(p), kARegs);
      view[kAWait] = p[kAWait] != 0 ? 1 : 0;
      view[kASubject] = subject ? mark(static_cast<int32_t>(p[kASubject]), self) : 0;
      for (uint32_t i = 0; i < u.reg_types.size(); ++i) {
        const int32_t v = reg(a, Reg{static_cast<uint16_t>(i)});
        if (u.reg_types[i] == TypeKind::Request) {
          view.push_back(mark(v, self));
          view.push_back(static_cast<char>(static_cast<uint32_t>(v) >> 16));
        } else if (u.reg_types[i] == TypeKind::ListRequest) {
          const auto n = static_cast<uint32_t>(v);
          view.push_back(static_cast<char>(n));
          for (uint32_t k = 1; k <= n && k <= prog_.list_capacity; ++k) {
            view.push_back(mark(reg(a, Reg{static_cast<uint16_t>(i + k)}), self));
          }
          i += prog_.list_capacity;
        } else {
          view.append(reinterpret_cast<const char*>(act(a) + kARegs + 4 * i), 4);
        }
      }
      std::vector<std::string>& mine = views[self];
      if (view_count_[self] == mine.size()) mine.emplace_back();
      mine[view_count_[self]++].assign(view);
    }
  }
}

void Kmdf::rename_requests() {
  // Records.
  std::vector<uint8_t>& buf = buf_;
  buf.assign(s_ + requests_.offset, s_ + requests_.offset + std::size_t(nreq_) * requests_.stride);
  for (uint32_t r = 0; r < nreq_; ++r) {
    std::memcpy(req(req_new_of_[r]), buf.data() + std::size_t(r) * requests_.stride,
                requests_.stride);
  }
  // Context fields holding requests.
  for (uint32_t r = 0; r < nreq_; ++r) {
    for (std::size_t f = 0; f < spec_.context.size(); ++f) {
      if (spec_.context[f].type != TypeKind::Request) continue;
      uint8_t* w = req(r) + kRCtx + 4 * f;
      set32(w, rename_handle(get32(w), req_new_of_));
    }
    if (ext_) set32(rext(r) + kXComplCtx, rename_handle(get32(rext(r) + kXComplCtx), req_new_of_));
  }
  // Queue entries (their order is kept) and a sequential queue's current request.
  for (uint32_t q = 0; q < spec_.queues.size(); ++q) {
    uint8_t* p = queue(q);
    for (uint32_t i = 0; i < p[kQCount]; ++i) p[kQItems + i] = req_new_of_[p[kQItems + i]];
    if (p[kQCurrent] != 0) p[kQCurrent] = static_cast<uint8_t>(req_new_of_[p[kQCurrent] - 1u] + 1u);
  }
  // Callback subjects and request registers.
  for (uint32_t a = 0; a < c_.nact_; ++a) {
    uint8_t* p = act(a);
    if (p[kAUnit] == 0) continue;
    const auto kind = static_cast<ActKind>(p[kAKind]);
    if (p[kASubject] != 0 && subject_is_request(kind)) {
      p[kASubject] = static_cast<uint8_t>(req_new_of_[p[kASubject] - 1u] + 1u);
    }
    const CodeUnit& u = prog_.units[p[kAUnit] - 1u];
    for (uint32_t i = 0; i < u.reg_types.size(); ++i) {
      const Reg r{static_cast<uint16_t>(i)};
      if (u.reg_types[i] == TypeKind::Request) {
        set_reg(a, r, rename_handle(reg(a, r), req_new_of_));
      } else if (u.reg_types[i] == TypeKind::ListRequest) {
        const auto n = static_cast<uint32_t>(reg(a, r));
        for (uint32_t k = 1; k <= n && k <= prog_.list_capacity; ++k) {
          const Reg e{static_cast<uint16_t>(i + k)};
          set_reg(a, e, rename_handle(reg(a, e), req_new_of_));
        }
      }
    }
  }
  // Globals.
  for (std::size_t g = 0; g < spec_.globals.size(); ++g) {
    const TypeKind t = spec_.globals[g].type;
    uint8_t* w = global(static_cast<uint32_t>(g));
    if (t == TypeKind::Request) {
      set32(w, rename_handle(get32(w), req_new_of_));
    } else if (t == TypeKind::ListRequest) {
      const auto n = static_cast<uint32_t>(get32(w));
      for (uint32_t k = 1; k <= n && k <= prog_.list_capacity; ++k) {
        set32(w + 4 * k, rename_handle(get32(w + 4 * k), req_new_of_));
      }
    }
  }
}

void Kmdf::rename_slots(const std::array<uint8_t, 256>& new_of) {
  const auto rename = [&new_of](uint8_t& ref) {
    if (ref != 0 && ref != kOrphanOwner) ref = static_cast<uint8_t>(new_of[ref - 1u] + 1u);
  };
  for (uint32_t q = 0; q < spec_.queues.size(); ++q) {
    rename(queue(q)[kQSyncWaiter]);
    rename(queue(q)[kQSyncHolder]);
  }
  for (uint32_t t = 0; t < spec_.timers.size(); ++t) rename(deferred(t)[kDWaiter]);
  for (uint32_t i = 0; i < spec_.interrupts.size(); ++i) rename(interrupt(i)[kILock]);
  for (std::size_t d = 0; d < spec_.devices.size(); ++d) {
    uint8_t& ref = device(static_cast<uint32_t>(d))[1];
    if (ref != 0 && ref != kOrphanOwner) ref = static_cast<uint8_t>(new_of[ref - 1u] + 1u);
  }
  for (uint32_t r = 0; ext_ && r < nreq_; ++r) {
    uint8_t& w = rext(r)[kXSyncWaiter];
    if (w != 0) w = static_cast<uint8_t>(new_of[w - 1u] + 1u);
  }
  for (uint32_t t = 0; ext_ && t < spec_.targets.size(); ++t) {
    uint8_t& w = target(t)[kTWaiter];
    if (w != 0) w = static_cast<uint8_t>(new_of[w - 1u] + 1u);
  }
}

bool Kmdf::handle_escapes(uint32_t r) const {
  const auto holds = [r](int32_t v) {
    return v != 0 && (static_cast<uint32_t>(v) & 0xFFFF) == r + 1;
  };
  // Globals and other requests' context fields of request type.
  for (std::size_t g = 0; g < spec_.globals.size(); ++g) {
    const TypeKind t = spec_.globals[g].type;
    if (t != TypeKind::Request && t != TypeKind::ListRequest) continue;
    const uint32_t words = t == TypeKind::ListRequest ? 1 + prog_.list_capacity : 1;
    for (uint32_t w = 0; w < words; ++w) {
      if (holds(get32(global(static_cast<uint32_t>(g)) + 4 * w))) return true;
    }
  }
  for (std::size_t f = 0; f < spec_.context.size(); ++f) {
    if (spec_.context[f].type != TypeKind::Request) continue;
    for (uint32_t o = 0; o < nreq_; ++o) {
      const int32_t v = get32(req(o) + kRCtx + 4 * f);
      // Its own context may name only itself: the component never sees another request.
      if (o == r ? (v != 0 && !holds(v)) : holds(v)) return true;
    }
  }
  for (uint32_t o = 0; ext_ && o < nreq_; ++o) {  // completion-routine contexts
    const int32_t v = get32(rext(o) + kXComplCtx);
    if (o == r ? (v != 0 && !holds(v)) : holds(v)) return true;
  }
  // Registers: activities outside the component must not hold it, those inside must hold
  // nothing else.
  for (uint32_t a = 0; a < c_.nact_; ++a) {
    const uint8_t* p = act(a);
    if (p[kAUnit] == 0) continue;
    const bool inside =
        subject_is_request(static_cast<ActKind>(p[kAKind])) && p[kASubject] == r + 1;
    const CodeUnit& u = prog_.units[p[kAUnit] - 1u];
    for (std::size_t i = 0; i < u.reg_types.size(); ++i) {
      const TypeKind t = u.reg_types[i];
      if (t != TypeKind::Request && t != TypeKind::ListRequest) continue;
      const std::size_t words = t == TypeKind::ListRequest ? 1 + prog_.list_capacity : 1;
      for (std::size_t w = 0; w < words && i + w < u.reg_types.size(); ++w) {
        const int32_t v = get32(p + kARegs + 4 * (i + w));
        if (inside ? (v != 0 && !holds(v) && !(t == TypeKind::ListRequest && w == 0)) : holds(v)) {
          return true;
        }
      }
    }
  }
  return false;
}

bool Kmdf::closed_component(uint32_t r, std::vector<uint32_t>& actors) {
  if (reqs_[r].created) return false;
  // A target's state (WdfIoTargetStop/Start/Purge, a reader) is shared by every request sent
  // to it, and a synchronous sender waits outside the component.
  if (targets_dynamic_ || (ext_ && rext(r)[kXSyncWaiter] != 0)) return false;
  const Place pl = place(r);
  if (pl == Place::NotArrived || pl == Place::Queued) return false;  // the queue is shared
  // Completing the current request of a sequential queue lets the next one be dispatched.
  const uint8_t q = req(r)[kRSrcQueue];
  if (q != kNoQueue && queue(q)[kQCurrent] == r + 1) return false;
  for (const uint8_t fn : {req(r)[kRCancelFn], req(r)[kRComplFn]}) {
    if (fn != 0 && !c_.fn_local(fn - 1u)) return false;
  }
  for (uint32_t a = 0; a < c_.nact_; ++a) {
    const uint8_t* p = act(a);
    if (p[kAUnit] == 0) continue;
    const bool inside =
        subject_is_request(static_cast<ActKind>(p[kAKind])) && p[kASubject] == r + 1;
    const uint8_t waits = p[kAWait];
    if (!inside) {
      // Nobody outside may be waiting for a callback of the component.
      if (waits != 0 && act(waits - 1u)[kASubject] == r + 1 &&
          subject_is_request(static_cast<ActKind>(act(waits - 1u)[kAKind]))) {
        return false;
      }
      continue;
    }
    if ((p[kAFlags] & (kNeedsSync | kHoldsSync)) != 0) return false;
    if (!c_.local_now(a)) return false;
    for (std::size_t l = 0; l < spec_.locks.size(); ++l) {
      if (c_.lock_owner(static_cast<uint32_t>(l)) == a + 1) return false;
    }
    // An interrupt's lock decides whether its ISR may start and at which IRQL a call is made.
    for (uint32_t i = 0; i < spec_.interrupts.size(); ++i) {
      if (interrupt(i)[kILock] == a + 1) return false;
    }
    actors.push_back(a);
  }
  if (handle_escapes(r)) return false;
  if (env_cancel_of_[r] != UINT32_MAX) actors.push_back(env_cancel_of_[r]);
  if (env_target_of_[r] != UINT32_MAX) actors.push_back(env_target_of_[r]);
  if (timeouts_)
    actors.push_back(c_.env_actor_number(*this, static_cast<uint8_t>(EnvKind::Timeout), r));
  return true;
}

}  // namespace cc::kmdf
