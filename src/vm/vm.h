// vm.h: the virtual machine of one isolate: its heap, symbols, global frame, value stack and
// frames, the watched names, and the entry points that run code.
// Error strategy: Valk errors are Error values. Builtins return them; the VM raises them by
// unwinding its own frames to the nearest catching frame or to the entry of the run. No C++
// exception is thrown by the runtime and none crosses a C callback.
#pragma once

#include <atomic>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "compile/compiler.h"
#include "compile/opcodes.h"
#include "gc/heap.h"
#include "lib/builtin.h"
#include "value/srcpos.h"
#include "value/symbol.h"
#include "vm/fiber.h"
#include "vm/frame.h"
#include "vm/module.h"

namespace valk {

class Loop;  // aio/loop.h

enum class WatchId : uint8_t {
#define WATCH(id, name, origin) id,
#include "vm/watched.def"
#undef WATCH
  kCount
};
inline constexpr uint64_t watch_bit(WatchId id) { return uint64_t(1) << int(id); }
static_assert(int(WatchId::kCount) <= limits::kMaxWatchedSymbols);
// Per watched name: 'B' for a builtin, 'P' for a prelude function; and the names, as arrays of
// their own: string literals are merged by the linker, which may keep a short name as the tail of
// any string of the binary, so that reading them at start-up paged in the whole string pool.
inline constexpr size_t kWatchNameBytes = 12;
extern const char kWatchOrigins[int(WatchId::kCount)];
extern const char kWatchNames[int(WatchId::kCount)][kWatchNameBytes];
// Per instruction: the bits of the watched names it stands for (opcodes.def), every bit when one
// of them is not watched.
extern const uint64_t kOpWatchMasks[kOpCount];

struct VmConfig {
  HeapConfig heap{limits::kDefaultNurseryBytes, limits::kDefaultHeapLimitBytes, false, false,
                  limits::kInitialNurseryBytes};
  FILE* out = stdout;
  FILE* err = stderr;
  bool load_prelude = true;
  std::vector<std::string> args;  // the program's arguments (sys/args)
  bool worker = false;            // the VM of a worker isolate (aio/isolate.h)
  // How `load` shows the error of a form before it goes on: `valk` sets the form with the source
  // excerpt and hints (repl/teach.h, a library this one cannot call); null: describe_error.
  std::string (*show_load_error)(VM& vm, Value error) = nullptr;
};

namespace pollbit {
inline constexpr uint32_t kCollect = 1;    // the heap wants a collection
inline constexpr uint32_t kInterrupt = 2;  // Ctrl-C: stop the running evaluation
}  // namespace pollbit

class VM final : public RootSource {
 public:
  explicit VM(const VmConfig& config = VmConfig());
  ~VM();
  VM(const VM&) = delete;
  VM& operator=(const VM&) = delete;

  // ---- running code ---------------------------------------------------------------------
  // Evaluates a form in the global frame (a top-level form of a file: CodeShape::kExpression;
  // a REPL line or -e, read as a list of its data: CodeShape::kList). Returns its value, or an
  // Error value carrying its position and call chain.
  Value eval_toplevel(Value form, SrcPos pos, CodeShape shape = CodeShape::kExpression);
  // Reads `text` and evaluates its forms in order; returns the last value or the first error
  // (a read error becomes an Error value too).
  Value run_source(std::string_view text, std::string_view file_name);
  // Calls a function from C++ with the given arguments.
  Value call(Value fn, std::span<const Value> args);

  // ---- parts ----------------------------------------------------------------------------
  Heap& heap() { return heap_; }
  SymbolTable& symbols() { return symbols_; }
  SourceFiles& files() { return files_; }
  FILE* out() const { return out_; }
  FILE* err() const { return err_; }
  const std::vector<std::string>& program_args() const { return config_.args; }
  bool is_worker() const { return config_.worker; }
  Symbol* sym(std::string_view name) { return symbols_.intern(name); }
  // The builtin declared with this name (whatever the name is bound to now), or undefined.
  Value builtin_named(std::string_view name) const;

  // ---- errors -----------------------------------------------------------------------------
  // An Error value with this message (raised when a builtin returns it).
  Value error(std::string_view message);
  // "file:line:col: message" followed by one "  in f (file:line:col)" line per call.
  // A line of an error's trace that says how lines were folded ("[...]", "... N more ..."),
  // rather than naming a call.
  static bool is_trace_note(std::string_view line);
  std::string describe_error(Value error);
  // Folds the calls raise_at recorded into an error's trace lines and error/trace's lists, once:
  // every reader of ErrorObj::trace or ::frames calls it first.
  void settle_trace(Value error);
  // An error of a loaded form as `load` prints it (VmConfig::show_load_error).
  std::string show_load_error(Value error) {
    return config_.show_load_error ? config_.show_load_error(*this, error) : describe_error(error);
  }

  // ---- bindings (vm/lookup.cpp) ----------------------------------------------------------
  uint32_t current_scope() const { return fib_.frames[fib_.nframes - 1].scope; }
  // The binding of sym seen from the frame `scope` (LANGUAGE.md 5), undefined when unbound; past
  // the frames, the globals of module `ns` come first (0: the global frame only).
  Value lookup(Symbol* sym, uint32_t scope, uint16_t ns = 0);
  void define_global(Symbol* sym, Value value);           // def
  void bind_in_scope(Symbol* sym, Value value, uint32_t scope);  // =
  // The frame `scope` as an Env closures can hold (made on first need), or undefined for the
  // global frame.
  Value capture_env(uint32_t scope);
  bool set_env_binding(Env* e, Symbol* sym, Value value);

  // ---- modules (vm/module.cpp) -------------------------------------------------------------
  // The module whose file the code at `pos` was read from, or 0.
  uint16_t module_of_pos(SrcPos pos) const;
  // Where definitions go now: the module of the innermost user code running (prelude functions
  // such as fun defining on its behalf), or 0 for the global frame.
  uint16_t current_namespace() const;
  // The global binding of sym seen from module `ns`: its own globals, then the global frame.
  Value global_in(Symbol* sym, uint16_t ns) const;
  // def in the current namespace: "" or the error message.
  std::string define(Symbol* sym, Value value);
  // "LEnv: Symbol `x` is not bound", with why when x is m/f of a module that does not export f.
  std::string unbound_message(const Symbol* s) const;
  // What `=` does with one name (the builtin and the ASSIGN instruction): binds it in `scope`, or
  // at top level as define does (a module's code: in its own globals). "" or why it is refused.
  std::string assign(Symbol* sym, Value value, uint32_t scope);
  ModuleRegistry& modules() { return modules_; }
  // The source position the frame below native frame `fi` is at (its caller's code).
  SrcPos caller_position(uint32_t fi) const { return fi > 0 ? frame_position(fib_.frames[fi - 1]) : SrcPos{}; }

  // ---- record types (lib/record.cpp, lib/marshal.cpp) ----------------------------------------
  // A record type is the identity of its descriptor {name field ...}. `record` makes desc the
  // type of that name and those fields here; unmarshal maps a descriptor it reads to that type (or
  // to the first copy of it read, when none is defined), so a round trip keeps a record's type.
  void define_record_type(Value desc);
  Value intern_record_type(Value desc);

  // ---- for native builtins ---------------------------------------------------------------
  Value& slot(uint32_t frame, uint32_t i) { return fib_.stack[fib_.frames[frame].base + i]; }
  // The function a frame is running (the closure, or the builtin).
  Value frame_callee(uint32_t frame) const { return fib_.stack[fib_.frames[frame].base - 1]; }
  uint32_t arg_count(uint32_t frame) const { return fib_.frames[frame].nargs; }
  Frame& frame(uint32_t i) { return fib_.frames[i]; }
  void push(Value v) { fib_.stack[fib_.sp++] = v; }
  // Room for `extra` more pushes; slots of frames stay valid (re-read them after this).
  bool ensure_stack(size_t extra) { return grow_stack(size_t(fib_.sp) + extra + 8); }
  // Compiles a Q-expression (or any value) as code run in the caller's frame; a compile error
  // comes back as an Error value.
  Value compile_chunk(Value code);

  // ---- fibers (vm/fiber.cpp) ---------------------------------------------------------------
  // The fiber running now (a FiberObj), or undefined while the main fiber runs.
  Value running_fiber() const { return running_; }
  // True while the main fiber runs in its outermost run, where an await may suspend it (not
  // in a spawned fiber, nor in a run entered from C++ by a builtin).
  bool main_can_suspend() const {
    return running_.is_undefined() && suspend_entry_ != UINT32_MAX && reentry_ == suspend_reentry_;
  }
  // The event loop, futures and timers of this VM (aio/loop.h).
  Loop& loop() { return *loop_; }
  // A fiber that will call fn with args and settle `future` with the result (not yet scheduled:
  // Loop::spawn does that). Returns the FiberObj, or an Error when memory is short.
  Value new_fiber(Value fn, Args args, Value future);
  // Runs a spawned fiber until it ends (returns true, *result its value or Error) or suspends
  // (returns false). A suspended native is called again with `resumed`; when `raise` is an Error,
  // it is raised at the suspension point instead (aio/cancel). `fiber` is updated to where the
  // collector moved the FiberObj during the run (it may be young).
  bool run_fiber(Value& fiber, Value resumed, Value raise, Value* result);
  // The error `await` raises for a future rejected with `error`: the same message and position,
  // its trace followed by a note and the chain of calls at the await (the running frame's).
  Value rethrow_awaited(Value error);
  // Runs ready fibers and the loop until nothing is pending (the end of `valk FILE`). Returns
  // undefined, or the interrupted error when a Ctrl-C stopped it.
  Value run_pending();
  // Stacks of ended fibers kept for reuse (at most limits::kSpareFibers), for tests.
  size_t spare_fibers() const { return spare_fibers_.size(); }

  // ---- watched names (vm/watch.cpp) --------------------------------------------------------
  uint64_t broken_watches() const { return broken_; }
  bool watch_intact(const Symbol* s) const {
    return s->watch >= 0 && !(broken_ & (uint64_t(1) << s->watch));
  }
  Symbol* watched_symbol(WatchId id) const { return watched_syms_[int(id)]; }
  // Records what a watched name means originally (a builtin, or a prelude closure).
  void set_watch_expected(WatchId id, Value value);
  // Marks that some frame may bind sym (flag: symflag::kParamBound or kEqBound).
  void note_scope_binding(Symbol* sym, uint32_t flag);

  // ---- control ---------------------------------------------------------------------------
  void interrupt() { poll_.fetch_or(pollbit::kInterrupt, std::memory_order_relaxed); }
  // Forgets an interrupt that arrived while nothing was running (Ctrl-C at the prompt).
  void clear_interrupt() { poll_.fetch_and(~pollbit::kInterrupt, std::memory_order_relaxed); }
  // True (and forgotten) when a Ctrl-C came: the loop asks while the main fiber awaits.
  bool take_interrupt() {
    return poll_.fetch_and(~pollbit::kInterrupt, std::memory_order_relaxed) & pollbit::kInterrupt;
  }
  // The error a Ctrl-C raises: uncatchable, so it unwinds to the top (REPL line or program).
  Value interrupted_error();
  void collect_garbage(bool full);
  void trace_roots(RootVisitor& visitor, bool young_only) override;
  // Frame `i` (its slots or fields) may now hold young values: minor collections scan the
  // stack from the lowest such frame up (frames below were all scanned since they last ran).
  void touch_frame(uint32_t i) {
    if (i < fib_.young_from) fib_.young_from = i;
  }
  // Values C++ code holds across a run of the VM (see RootGuard).
  std::vector<Value*>& extra_roots() { return extra_roots_; }
  uint32_t frame_count() const { return fib_.nframes; }
  // Forms of the embedded prelude and test module, read once (lib/embedded.h).
  Value& embedded_forms(int i) { return embedded_forms_[i]; }

 private:
  friend class Interpreter;
  friend struct VmInternals;

  void install_builtins();
  void load_prelude();
  void init_watches();
  void update_dispatch();
  void refresh_watch(Symbol* sym);
  void pin_forms_in_flight(Symbol* sym);
  Value pinned_value(uint32_t frame, uint32_t pc);
  void drop_pins_above(uint32_t frame);

  // Runs frames from the top until the run that pushed frame `entry` returns (vm/interp.cpp).
  Value execute(uint32_t entry);
  // Pushes an entry frame (the global frame of one run), returning its index.
  uint32_t push_entry();
  void pop_entry(uint32_t entry);
  Value host_call_stub(uint32_t nargs);
  bool grow_stack(size_t needed);
  Value make_room(uint32_t slots, bool new_frame);
  // Goes on with the main fiber's run `entry` while it is suspended: drives the loop until the
  // main fiber is resumed, until the run ends.
  Value drive_main(uint32_t entry, Value result);
  // Stacks for a new fiber needing `slots` stack slots: spare ones when they fit, else new
  // (null when memory is short). give_back_stacks keeps an ended fiber's for reuse, or frees them.
  Fiber* take_stacks(size_t slots);
  void give_back_stacks(Fiber* stacks);
  // Enters a run from C++ (eval_toplevel, call): the outermost one may suspend the main fiber.
  Value run_entry(uint32_t entry);
  bool grow_frames();
  // Records where an error was raised and the chain of calls, once.
  Value raise_at(Value error);
  Value at_safepoint();
  Value lookup_in_env(Value env, Symbol* sym, bool* found);
  // The value of s in a Binding list (an Env's `=` bindings), *found set when it is there.
  static Value find_binding(Value list, const Symbol* s, bool* found) {
    for (Value b = list; !b.is_undefined(); b = b.as<Binding>()->next) {
      if (b.as<Binding>()->sym == s) {
        *found = true;
        return b.as<Binding>()->value;
      }
    }
    return Value::undefined();
  }
  // The Env `depth` links up the running lambda's closure chain (closure_env is link 0), when a
  // lookup of sym would meet no binding of it before that Env; undefined otherwise (UPVAL and
  // UPEQ look sym up by name then). What a lookup meets first: the running frame's own slots,
  // which the compiler knows are not sym's; its Env's runtime bindings; the Envs walked over,
  // whose parameters the compiler knows are not sym but whose `=` bindings (extras) may be.
  // Only a name `=` has bound somewhere (symflag::kEqBound) can be among extras.
  static Value enclosing_env(const Frame& running, Value closure_env, uint32_t depth, const Symbol* sym) {
    bool eq_bound = sym->scope_flags & symflag::kEqBound;
    bool found = false;
    if (eq_bound && !running.env.is_undefined()) find_binding(running.env.as<Env>()->extras, sym, &found);
    Value env = closure_env;
    for (; depth > 0 && !found; --depth) {
      if (eq_bound) find_binding(env.as<Env>()->extras, sym, &found);
      env = env.as<Env>()->parent;
    }
    return found ? Value::undefined() : env;
  }
  bool binds_same_names(const Frame& f, const Frame& c) const;
  uint32_t run_base(uint32_t s);
  // Frame `k` gained a binding: runs of frames above it reaching down to it may no longer bind
  // the same names (none above the top frame, the usual case of `=`).
  void forget_runs_through(uint32_t k) {
    if (k + 1 < fib_.nframes) forget_runs_above(k);
  }
  void forget_runs_above(uint32_t k);
  // `=` binding slot j of lambda frame f (its slots at `slots`) to v, f touched already (the
  // running frame always is): a slot after the parameters bound for the first time makes runs
  // through the frame stale, and a held slot (frame.h) becomes the frame's own.
  void bind_frame_slot(Frame& f, Value* slots, uint32_t j, uint32_t nparams, Value v) {
    if (slots[j].is_undefined() && j >= nparams) forget_runs_through(uint32_t(&f - fib_.frames));
    bind_running_slot(f, slots, j, v);
  }
  // The same in the running frame, the top one: no run of frames above it can reach down to it.
  static void bind_running_slot(Frame& f, Value* slots, uint32_t j, Value v) {
    slots[j] = v;
    f.held_slots &= ~held_bit(j);
  }
  void freeze_env(Value env);
  Value build_residue(Frame* f, Proto* callee, Value callee_env);
  bool callable_without_arguments(Value v) const;
  Value watched_meaning(const struct InlineSite* site, Frame* fr);
  bool means_original(const Symbol* s, Value v) const;
  // The prelude's own definition of a watched name. An inline instruction whose fast path does not
  // apply calls it, not the name's current binding: the site was compiled while the name meant it.
  Value original(WatchId id) const { return watch_expected_[int(id)]; }
  Value apply_operator(Op op, Args args);
  Value make_partial(Value fn, Args args);
  SrcPos frame_position(const Frame& f) const;
  std::string_view frame_name(const Frame& f) const;

  VmConfig config_;
  Heap heap_;
  SymbolTable symbols_;
  SourceFiles files_;
  FILE* out_;
  FILE* err_;

  Fiber fib_;  // the running fiber's stacks (a suspended fiber keeps its own: aio/fiber.h)
  std::vector<Symbol*> young_globals_;  // symbols given a young global since the last collection
  int reentry_ = 0;

  // Fibers (vm/fiber.cpp): the run that may suspend (the running fiber's own entry frame; for the
  // main fiber, the outermost entry from C++), and how the next execute() resumes.
  uint32_t suspend_entry_ = UINT32_MAX;
  int suspend_reentry_ = 0;      // reentry_ of that outermost run: deeper means a run from C++
  bool suspended_ = false;       // execute() returned because the fiber suspended
  Value resume_value_ = Value::undefined();
  Value resume_raise_ = Value::undefined();
  Value running_ = Value::undefined();  // the running FiberObj; undefined: the main fiber
  Fiber main_saved_;                    // the main fiber's stacks while a spawned fiber runs
  std::vector<Fiber*> spare_fibers_;    // ended fibers' stacks at their starting sizes, for reuse
  bool main_parked_ = false;
  Loop* loop_ = nullptr;                // owned

  std::atomic<uint32_t> poll_{0};
  const void* dispatch_[kOpCount] = {};       // handlers in use (computed-goto builds)
  const void* fast_handlers_[kOpCount] = {};
  const void* slow_handlers_[kOpCount] = {};
  bool op_slow_[kOpCount] = {};               // handlers in use (switch builds)
  bool handlers_known_ = false;

  uint64_t broken_ = ~uint64_t(0);
  Symbol* watched_syms_[int(WatchId::kCount)] = {};
  Value watch_expected_[int(WatchId::kCount)];
  struct Pin {
    uint32_t frame;
    uint32_t pc;
    Value value;
  };
  std::vector<Pin> pins_;

  std::vector<Value*> extra_roots_;
  std::vector<Builtin*> builtins_;  // owned, freed with the VM
  std::vector<Value> host_stubs_;
  Value embedded_forms_[2] = {Value::undefined(), Value::undefined()};
  ModuleRegistry modules_;
  Value record_types_ = Value::undefined();  // a Table from each descriptor to itself
};

// Keeps a Value alive (and updated when objects move) while C++ code holds it across a run.
class RootGuard {
 public:
  RootGuard(VM& vm, Value& v) : vm_(vm) { vm.extra_roots().push_back(&v); }
  ~RootGuard() { vm_.extra_roots().pop_back(); }
  RootGuard(const RootGuard&) = delete;
  RootGuard& operator=(const RootGuard&) = delete;

 private:
  VM& vm_;
};

}  // namespace valk
