// The NDIS module's class (docs/semantics/ndis.md): NET_BUFFER_LISTs sent by a protocol through
// a filter (or to the spec's miniport driver) and by the spec's own driver to the miniports
// below, their cancel ids, NdisF/NdisCancelSendNetBufferLists, filter pause and restart.
// ndis.cpp: build, layout, environment, end states, words; ndis_api.cpp: the NDIS calls.
#pragma once

#include <string>
#include <vector>

#include "engine/module_base.h"

namespace cc::ndis {

/// Who owns a NET_BUFFER_LIST.
enum class NblOwner : uint8_t {
  Unallocated,  ///< a pool slot NdisAllocateNetBufferList has not handed out yet
  Above,        ///< the protocol has not sent it yet
  Filter,       ///< the spec's driver (filter, protocol or miniport driver) owns it
  Below,        ///< sent to a miniport below: the driver relinquished ownership
  ReturnedUp,
  Freed,  ///< NdisFreeNetBufferList (driver-allocated NBLs)
};

/// NBL record layout (bytes).
enum NblField : uint32_t {
  kNOwner = 0,
  kNFlags = 1,
  kNEpoch = 2,        ///< uses completed by the miniport (a reused NBL starts a new use)
  kNIdEpoch = 3,      ///< kNEpoch when its cancel id was last set
  kNCompletions = 4,  ///< NdisFSendNetBufferListsComplete calls on it
  kNMiniport = 5,     ///< Below: the miniport holding it
  kNNext = 6,         ///< the next NBL of its chain + 1 (0: none)
  kNSendHead = 7,     ///< the head + 1 of the chain it was handed to the driver in
  kNCancelId = 8,     ///< 8 bytes: a uintptr (a symbolic id keeps its term in the first word)
  kNStatus = 16,
  kNCompleteHead = 20,  ///< the head + 1 of the chain the miniport completed it in
  kNblStride = 24,
};
enum NblFlag : uint8_t {
  kNblAborted = 1,        ///< a cancel for its id reached the miniport while it was queued there
  kNblCancelAimed = 2,    ///< the protocol cancelled its id before it was returned
  kNblArrivedPaused = 4,  ///< handed to its filter while the filter was paused
  kNblInSend = 8,         ///< its Filter/MiniportSendNetBufferLists call has not returned yet
  kNblInComplete = 16,    ///< its ...SendNetBufferListsComplete call has not returned yet
};

/// Reading: how many NBLs NdisAllocateNetBufferList can hand out in one execution (the state
/// stays finite). The reference executor uses the same bound.
constexpr uint32_t kDriverNblPool = 3;

/// A filter module's pause state (one byte per driver declaration).
enum class PauseState : uint8_t { Running, Pausing, Paused, Restarting };

/// Activity kinds (numbered after KMDF's 1..6 so that slots sort as they always have; KMDF
/// took 10 and 11 later, and pause/restart take 20 and 21, clear of KMDF's next ones: the
/// kinds of all modules share one number space).
constexpr uint8_t kFilterSend = 7;          ///< Filter/MiniportSendNetBufferLists (an NBL)
constexpr uint8_t kFilterSendComplete = 8;  ///< Filter/ProtocolSendNetBufferListsComplete
constexpr uint8_t kFilterCancel = 9;        ///< Filter...CancelSend / MiniportCancelSend (a line)
constexpr uint8_t kFilterPause = 20;        ///< FilterPause (subject: a pause line)
constexpr uint8_t kFilterRestart = 21;      ///< FilterRestart (subject: a pause line)
/// Environment actor kinds.
constexpr uint8_t kProtocolSend = 0;    ///< index: send line
constexpr uint8_t kProtocolCancel = 1;  ///< index: cancel_send line
constexpr uint8_t kMiniport = 2;        ///< index: NBL
constexpr uint8_t kPause = 3;           ///< index: pause line
constexpr uint8_t kRestart = 4;         ///< index: pause line

/// The callback a driver declaration binds for one job.
enum class Callback : uint8_t { Send, SendComplete, Cancel, Pause, Restart };

/// A cancel id as a driver writes it: small ids in decimal, others in hex with every digit of
/// the pointer width (`width` bits), so that the high byte shows.
std::string id_text(uint64_t id, unsigned width);
/// "filter", "protocol driver" or "miniport driver".
std::string_view role_noun(ast::NdisRole r);

class Ndis final : public ModuleBase {
 public:
  explicit Ndis(Core& core) : ModuleBase(core) {}
  std::string_view name() const override { return "ndis"; }
  ApiDomain domain() const override { return ApiDomain::Ndis; }
  std::string build() override;
  uint64_t activities() const override;
  void layout(Layout& layout) override;
  void env_actors(std::vector<EnvActor>& out) const override;
  bool symbolic() const override;
  void initial_state() override;
  Outcome exec_api(ApiCall& call) override;
  RunResult run_env(const EnvActor& e) override;
  std::optional<std::string> arg_text(ApiId api, uint32_t i, int64_t v) const override {
    if (api == ApiId::NDIS_SET_NET_BUFFER_LIST_CANCEL_ID && i == 1) {
      return id_text(static_cast<uint64_t>(v), spec_.pointer_width);
    }
    return std::nullopt;
  }
  int symbolic_param(ApiId api) const override {
    // The cancel id may be a term (CR012); a cancel by a term id splits on the match.
    switch (api) {
      case ApiId::NDIS_SET_NET_BUFFER_LIST_CANCEL_ID:
      case ApiId::NdisFCancelSendNetBufferLists:
      case ApiId::NdisCancelSendNetBufferLists:
        return 1;
      default:
        return -1;
    }
  }
  Outcome on_finish(uint32_t a, const Instr& in) override;
  std::optional<Finding> end_state(EndPhase phase) override;
  Fairness fairness(const EnvActor& e) const override;
  void pending(std::vector<Finding>& out) const override;
  /// True for an NBL the protocol sent that the filter or the miniport below still holds.
  bool held_below_or_by_filter(uint32_t n) const;
  std::optional<std::string> type_text(int32_t v, TypeKind t) const override;
  std::string lane(uint32_t a, std::string_view unit) const override;
  void objects(ViewPhase phase, std::vector<ObjectView>& out) const override;

 private:
  struct NblInfo {
    std::string name;
    bool from_protocol = false;
    uint32_t filter = 0;              ///< the driver declaration it belongs to
    uint32_t send_item = ast::kNone;  ///< the send line that hands it over
    uint64_t protocol_id = 0;         ///< the cancel id the protocol set
  };
  std::vector<NblInfo> nbls_;
  uint32_t nnbl_ = 0;
  Region env_flags_, nbl_region_, pause_region_;

  // ---- ndis.cpp ----
  uint8_t* nbl(uint32_t n) const { return s_ + nbl_region_.at(n); }
  NblOwner owner(uint32_t n) const { return static_cast<NblOwner>(nbl(n)[kNOwner]); }
  void set_owner(uint32_t n, NblOwner o) { nbl(n)[kNOwner] = static_cast<uint8_t>(o); }
  PauseState pause_state(uint32_t f) const {
    return static_cast<PauseState>(s_[pause_region_.at(f)]);
  }
  void set_pause_state(uint32_t f, PauseState p) {
    s_[pause_region_.at(f)] = static_cast<uint8_t>(p);
  }
  /// The function declaration `f` binds for `cb` (by its role's callback name), or kNone.
  uint32_t handler(uint32_t f, Callback cb) const;
  /// The declaration that owns the NBLs the spec's driver allocates.
  uint32_t originator() const;
  void spawn(uint8_t kind, uint32_t fn, uint32_t subject, int64_t arg0, int64_t arg1);
  bool send_enabled(uint32_t item) const;
  bool cancel_send_enabled(uint32_t item) const;
  RunResult env_send(uint32_t item);
  RunResult env_cancel_send(uint32_t item);
  RunResult env_miniport(uint32_t n);
  /// The NBLs the miniport may complete together with `n` in one call: `n` and the NBLs its
  /// chain links to in order, as long as each is below at the same miniport and comes back
  /// with the same status (kMiniportCompletesChains).
  std::vector<uint32_t> completion_chain(uint32_t n, bool aborted) const;
  RunResult env_pause(uint32_t item, bool restart);
  /// NDIS restarts filter `f` (Restarting until its FilterRestart returns, if it has one).
  void restarting(uint32_t f, bool has_callback);
  std::string nbl_place(uint32_t n) const;
  /// The first send filter `f` must see back before its pause completes — a protocol NBL it
  /// holds outside the send and send-complete calls of that NBL, or one it originated that is
  /// below — or nnbl_.
  uint32_t outstanding_nbl(uint32_t f) const;

  // ---- ndis_api.cpp ----
  Outcome api_send(ApiCall& call);
  Outcome api_complete(ApiCall& call);
  Outcome api_cancel(ApiCall& call);
  Outcome api_cancel_id(ApiCall& call);
  Outcome api_pool(ApiCall& call);
  Outcome api_pause_complete(ApiCall& call);
  Outcome api_chain(ApiCall& call);
  /// The NBLs of the chain that starts at `n`, in order; nullopt (after a CR008) if it loops.
  std::optional<std::vector<uint32_t>> chain_of(uint32_t n, std::string_view api, const Instr& in);
  /// The checks of sending NBL `n` below (CR001, CR004, CR008, CR016, CR011).
  Outcome check_send(uint32_t n, std::string_view api, const Instr& in);
  /// The checks of completing NBL `n` upward with `st` (CR001, CR008, CR016).
  Outcome check_complete(uint32_t n, int32_t st, std::string_view api, const Instr& in);
  std::optional<uint32_t> nbl_handle(int32_t h, std::string_view api, const Instr& in);
  /// Touching an NBL the driver does not own: below (given away) or already returned up.
  Outcome not_owned(const Instr& in, std::string_view api, uint32_t n);
  /// CR008 when `api` is not the call of NBL `n`'s driver role (NdisF… for filters, NdisM…
  /// for miniport drivers, NdisSend… for protocols).
  bool wrong_role(const Instr& in, std::string_view api, uint32_t n);
  /// CR012: can `id`, set on NBL `n`, collide with another driver's cancel id?
  Outcome check_cancel_id_collision(uint32_t n, SymTermId id, const Instr& in);
  /// The cancel id of NBL `n` as traces show it (a term when symbolic).
  std::string nbl_id_text(uint32_t n) const;
  /// The concrete cancel id of NBL n (meaningless when it is symbolic: see tagged()).
  uint64_t cancel_id(uint32_t n) const {
    uint64_t v;
    std::memcpy(&v, nbl(n) + kNCancelId, 8);
    return v;
  }
  /// Sets NBL n's cancel id to a concrete value.
  void set_cancel_id(uint32_t n, uint64_t v) {
    std::memcpy(nbl(n) + kNCancelId, &v, 8);
    if (sym()) {
      set_tag(nbl(n) + kNCancelId, false);
      set_tag(nbl(n) + kNCancelId + 4, false);
    }
  }
  /// The id a cancel of `id_text` shows in traces (the id's term when it is symbolic).
  std::string shown_id(uint64_t id) const { return id_text(id, spec_.pointer_width); }
};

}  // namespace cc::ndis
