// vm.cpp: setting up a VM (builtins, prelude, watched names), entering it from C++ (top-level
// forms, sources, calls), its stacks, its roots, and errors with their positions and call chains.
#include "vm/vm.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>

#include "aio/loop.h"
#include "compile/compiler.h"
#include "compile/proto.h"
#include "lib/embedded.h"
#include "read/reader.h"
#include "value/handle.h"
#include "value/make.h"
#include "value/table.h"
#include "vm/builtin_tables.h"
#include "vm/intrinsic.h"

namespace valk {

VM::VM(const VmConfig& config)
    : config_(config), heap_(config.heap), out_(config.out), err_(config.err) {
  // Set here rather than by each area: start-up then does not page in the code of every area.
  heap_.set_finalizer(ObjType::kProto, finalize_proto);
  heap_.set_finalizer(ObjType::kFiber, finalize_fiber);
  heap_.set_finalizer(ObjType::kTable, finalize_table);
  heap_.set_finalizer(ObjType::kStrBuilder, finalize_builder);
  heap_.set_finalizer(ObjType::kHandle, finalize_handle);
  heap_.set_poll(PollWord{&poll_, pollbit::kCollect});
  for (auto& v : watch_expected_) v = Value::undefined();
  if (!fib_.allocate(limits::kInitialStackSlots, limits::kInitialFrames)) allocation_failed("the VM stacks", limits::kInitialStackSlots * sizeof(Value) + limits::kInitialFrames * sizeof(Frame));
  loop_ = new Loop(*this);
  init_watches();
  install_builtins();
  loop_->bind_builtins();
  if (config_.load_prelude) load_prelude();
}

VM::~VM() {
  delete loop_;  // closes its handles first: their callbacks may still touch the VM
  fib_.release();
  for (Fiber* f : spare_fibers_) {
    f->release();
    delete f;
  }
  for (Builtin* b : builtins_) std::free(b);  // a builtin may be bound to several names: freed once
}

Value VM::builtin_named(std::string_view name) const {
  for (Builtin* b : builtins_) {
    if (name == b->info->name) return Value::object(b);
  }
  return Value::undefined();
}

std::vector<std::span<const BuiltinInfo>> builtin_tables() {
  return {core_builtins, module_builtins, error_builtins, introspect_builtins, record_builtins, arith_builtins,
          math_builtins, dict_builtins, table_builtins, list_builtins, io_builtins, system_builtins,
          gc_builtins, aio_builtins, string_builtins, regex_builtins, help_builtins, net_builtins,
          json_builtins, fs_builtins, proc_builtins, marshal_builtins, isolate_builtins};
}

void VM::install_builtins() {
  for (auto table : builtin_tables()) {
    for (const BuiltinInfo& info : table) {
      auto* b = static_cast<Builtin*>(std::malloc(sizeof(Builtin)));
      if (!b) std::abort();
      b->type = ObjType::kBuiltin;
      b->gc = gcbit::kImmortal;
      b->flags = 0;
      b->aux = 0;
      b->info = &info;
      builtins_.push_back(b);
      Symbol* s = sym(info.name);
      s->global = Value::object(b);
      if (s->watch >= 0 && kWatchOrigins[s->watch] == 'B') set_watch_expected(WatchId(s->watch), s->global);
    }
  }
  sym("aio")->global = make_handle(heap_, new AioRef);
}

void VM::load_prelude() {
  // The cursor is a root: running a form may move the list.
  Value cell = read_embedded(*this, EmbeddedFile::kPrelude);
  RootGuard guard(*this, cell);
  for (; is_cons(cell); cell = cdr(cell)) {
    Value r = eval_toplevel(car(cell), cell_pos(cell));
    if (is_error(r)) {
      std::fprintf(err_, "prelude: %s\n", describe_error(r).c_str());
      std::abort();
    }
  }
  for (int id = 0; id < int(WatchId::kCount); ++id) {
    if (kWatchOrigins[id] == 'P') set_watch_expected(WatchId(id), watched_syms_[id]->global);
  }
  attach_intrinsics(*this);
}

// ---- entering the VM ---------------------------------------------------------------------

uint32_t VM::push_entry() {
  if (fib_.nframes + 2 >= fib_.frames_cap) grow_frames();
  uint32_t i = fib_.nframes++;
  Frame& f = fib_.frames[i];
  f.kind = FrameKind::kEntry;
  f.flags = 0;
  f.pc = nullptr;
  f.base = fib_.sp;
  f.scope = i;
  f.step = 0;
  f.nargs = 0;
  f.proto = Value::undefined();
  f.env = Value::undefined();
  f.residue = Value::undefined();
  f.run_base = 0;
  ++reentry_;
  return i;
}

void VM::pop_entry(uint32_t entry) {
  fib_.nframes = entry;
  touch_frame(entry > 0 ? entry - 1 : 0);
  fib_.sp = fib_.frames[entry].base;
  --reentry_;
  if (fib_.nframes == 0) pins_.clear();
}

// Pushes a chunk frame running `proto` above the top frame, in the scope of the frame below.
static void push_chunk_frame(Frame* frames, uint32_t& nframes, Value* stack, uint32_t& sp, Value proto) {
  stack[sp++] = proto;
  Frame& f = frames[nframes];
  f.kind = FrameKind::kChunk;
  f.flags = 0;
  f.base = sp;
  f.scope = frames[nframes - 1].scope;
  f.step = 0;
  f.nargs = 0;
  f.pc = proto.as<Proto>()->code;
  f.proto = proto;
  f.env = Value::undefined();
  f.residue = Value::undefined();
  f.run_base = 0;
  ++nframes;
  for (uint32_t i = 0; i < proto.as<Proto>()->ntry; ++i) stack[sp++] = Value::undefined();  // its try slots
}

Value VM::eval_toplevel(Value form, SrcPos pos, CodeShape shape) {
  Value proto = compile_code(*this, form, ProtoKind::kTopLevel, pos, shape);
  if (is_error(proto)) {
    auto* e = proto.as<ErrorObj>();
    if (!e->pos.known()) e->pos = pos;
    return proto;
  }
  if (reentry_ >= limits::kMaxVmReentry) return error("too many nested entries into the VM");
  uint32_t entry = push_entry();
  if (!grow_stack(fib_.sp + proto.as<Proto>()->max_stack + 16)) {
    pop_entry(entry);
    return error("out of memory: cannot grow the stack");
  }
  push_chunk_frame(fib_.frames, fib_.nframes, fib_.stack, fib_.sp, proto);
  Value result = run_entry(entry);
  pop_entry(entry);
  return result;
}

Value VM::host_call_stub(uint32_t nargs) {
  if (nargs < host_stubs_.size() && !host_stubs_[nargs].is_undefined()) return host_stubs_[nargs];
  auto* extra = new ProtoExtra;
  extra->code = {encode(Op::CALL, nargs), encode(Op::RET)};
  Proto* p = make_proto(heap_, ProtoKind::kChunk, extra, nargs + 2);
  Value v = Value::object(p);
  if (nargs < 64) {
    if (host_stubs_.size() <= nargs) host_stubs_.resize(nargs + 1, Value::undefined());
    host_stubs_[nargs] = v;
  }
  return v;
}

Value VM::call(Value fn, std::span<const Value> args) {
  if (reentry_ >= limits::kMaxVmReentry) return error("too many nested entries into the VM");
  Value stub = host_call_stub(uint32_t(args.size()));
  uint32_t entry = push_entry();
  if (!grow_stack(fib_.sp + args.size() + 16)) {
    pop_entry(entry);
    return error("out of memory: cannot grow the stack");
  }
  push_chunk_frame(fib_.frames, fib_.nframes, fib_.stack, fib_.sp, stub);
  fib_.stack[fib_.sp++] = fn;
  for (Value a : args) fib_.stack[fib_.sp++] = a;
  Value result = run_entry(entry);
  pop_entry(entry);
  return result;
}

Value VM::run_source(std::string_view text, std::string_view file_name) {
  uint32_t file = files_.intern(file_name);
  ReadResult read = read_forms(heap_, symbols_, ReadInput{text, file, 1, false});
  if (!read.ok) {
    Value e = error(read.error.message);
    e.as<ErrorObj>()->pos = read.error.pos;
    e.obj()->flags |= errflag::kRaised;
    return e;
  }
  // The cursor is a root: running a form may move the list.
  Value cell = read.forms;
  RootGuard guard(*this, cell);
  Value last = Value::empty_sexpr();
  for (; is_cons(cell); cell = cdr(cell)) {
    last = eval_toplevel(car(cell), cell_pos(cell));
    if (is_error(last)) return last;
  }
  return last;
}

Value VM::compile_chunk(Value code) {
  SrcPos pos = is_cons(code) ? cell_pos(code) : SrcPos{};
  return compile_code(*this, code, ProtoKind::kChunk, pos, CodeShape::kList);
}

// ---- stacks ------------------------------------------------------------------------------

bool Fiber::allocate(size_t stack_slots, uint32_t frame_count) {
  stack = static_cast<Value*>(std::malloc(sizeof(Value) * stack_slots));
  frames = static_cast<Frame*>(std::malloc(sizeof(Frame) * frame_count));
  stack_cap = stack_slots;
  frames_cap = frame_count;
  call_cap = frame_count < limits::kMaxCallDepth ? frame_count : limits::kMaxCallDepth;
  return stack && frames;
}

void Fiber::release() {
  std::free(stack);
  std::free(frames);
  *this = Fiber{};
}

bool VM::grow_stack(size_t needed) {
  if (needed <= fib_.stack_cap) return true;
  size_t cap = fib_.stack_cap * 2;
  while (cap < needed) cap *= 2;
  auto* bigger = static_cast<Value*>(std::realloc(fib_.stack, sizeof(Value) * cap));
  if (!bigger) return false;
  fib_.stack = bigger;
  fib_.stack_cap = cap;
  return true;
}

bool VM::grow_frames() {
  // Calls stop at kMaxCallDepth frames (the error is raised at that point); a few more frames are
  // kept for the entries of host calls and for reporting the error.
  uint32_t limit = limits::kMaxCallDepth + 16;
  if (fib_.frames_cap >= limit) return fib_.nframes + 1 < fib_.frames_cap;
  uint32_t cap = fib_.frames_cap * 2 > limit ? limit : fib_.frames_cap * 2;
  auto* bigger = static_cast<Frame*>(std::realloc(fib_.frames, sizeof(Frame) * cap));
  if (!bigger) return false;
  fib_.frames = bigger;
  fib_.frames_cap = cap;
  fib_.call_cap = cap < limits::kMaxCallDepth ? cap : limits::kMaxCallDepth;
  return true;
}

// ---- collection --------------------------------------------------------------------------

void VM::trace_roots(RootVisitor& visitor, bool young_only) {
  // A minor collection skips the frames below fib_.young_from: nothing young can be in them (each
  // was scanned by the last collection and has not run or been written since).
  uint32_t from = young_only && fib_.young_from < fib_.nframes ? fib_.young_from : 0;
  auto visit = [&](Value& v) { visitor.visit(v); };
  // The running stack as one range (the collector's fast path), then the frames' fields.
  uint32_t stack_from = from == 0 ? 0 : fib_.frames[from].base - 1;
  visitor.visit_range(fib_.stack + stack_from, fib_.stack + fib_.sp);
  for (uint32_t i = from; i < fib_.nframes; ++i) {
    visitor.visit(fib_.frames[i].proto);
    visitor.visit(fib_.frames[i].env);
    visitor.visit(fib_.frames[i].residue);
    if (fib_.frames[i].flags & frameflag::kTailSite) visitor.visit(fib_.frames[i].tail_proto);
  }
  // The main fiber's stacks while a spawned fiber runs, and the fibers and futures the loop holds.
  if (main_parked_) main_saved_.trace(visit);
  visitor.visit(running_);
  visitor.visit(resume_value_);
  visitor.visit(resume_raise_);
  loop_->trace(visitor);
  // Globals are set only by define_global, which notes the symbols given a young value: a minor
  // collection visits those (after any collection everything is old: promote-all).
  if (young_only) {
    for (Symbol* s : young_globals_) visitor.visit(s->global);
  } else {
    for (Symbol* s : symbols_.all()) visitor.visit(s->global);
  }
  for (auto& v : watch_expected_) visitor.visit(v);
  for (auto& pin : pins_) visitor.visit(pin.value);
  for (Value* root : extra_roots_) visitor.visit(*root);
  for (auto& v : host_stubs_) visitor.visit(v);
  for (auto& v : embedded_forms_) visitor.visit(v);
  modules_.trace(visitor);
  visitor.visit(record_types_);
}

void VM::define_record_type(Value desc) {
  if (record_types_.is_undefined()) record_types_ = table_new(heap_);
  table_set(heap_, record_types_, desc, desc);
}

Value VM::intern_record_type(Value desc) {
  if (record_types_.is_undefined()) record_types_ = table_new(heap_);
  Value known = table_get(record_types_, desc);
  if (!known.is_undefined()) return known;
  table_set(heap_, record_types_, desc, desc);
  return desc;
}

void VM::collect_garbage(bool full) {
  uint64_t majors_before = heap_.stats().major_count;
  heap_.collect(*this, full);
  fib_.young_from = fib_.nframes > 0 ? fib_.nframes - 1 : 0;  // all is old now; the top frame runs on
  for (Symbol* s : young_globals_) s->flags &= uint16_t(~symflag::kYoungGlobal);
  young_globals_.clear();
  // Verification walks the whole heap: after major collections only, whose cost it matches
  // (after every minor one, a stress run over a large live heap would turn quadratic).
  if (heap_.config().verify && heap_.stats().major_count != majors_before) {
    std::string problem = heap_.verify(*this);
    if (!problem.empty()) {
      std::fprintf(err_, "heap verification failed: %s\n", problem.c_str());
      std::abort();
    }
  }
}

Value VM::at_safepoint() {
  uint32_t bits = poll_.load(std::memory_order_relaxed);
  if (bits & pollbit::kInterrupt) {
    poll_.fetch_and(~pollbit::kInterrupt, std::memory_order_relaxed);
    return interrupted_error();
  }
  if (heap_.collection_wanted()) collect_garbage(false);
  if (heap_.out_of_memory()) {
    heap_.clear_out_of_memory();
    return error("out of memory");
  }
  return Value::undefined();
}

// ---- errors ------------------------------------------------------------------------------

Value VM::error(std::string_view message) { return make_error(heap_, message); }

Value VM::interrupted_error() {
  Value e = error("interrupted");
  e.obj()->flags |= errflag::kUncatchable;
  return e;
}

std::string VM::unbound_message(const Symbol* s) const {
  std::string text = "LEnv: Symbol `" + std::string(s->name()) + "` is not bound";
  // m/f where m names an imported module that has f but does not export it.
  std::string_view name = s->name();
  size_t slash = name.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return text;
  uint16_t id = modules_.of_prefix(std::string(name.substr(0, slash)));
  if (!id) return text;
  const Module& m = modules_.at(id);
  Symbol* inner = symbols_.find(name.substr(slash + 1));
  if (!inner || m.exports.is_undefined() || !m.names.is_object()) return text;  // it exports everything
  for (Value n = m.exports; is_cons(n); n = cdr(n)) {
    if (car(n) == Value::object(inner)) return text;  // exported: imported elsewhere, not here
  }
  if (!table_get(m.names, Value::object(inner)).is_undefined()) {
    text += ": " + m.name + ".valk does not export `" + std::string(inner->name()) + "`";
  }
  return text;
}

SrcPos VM::frame_position(const Frame& f) const {
  if ((f.kind != FrameKind::kLambda && f.kind != FrameKind::kChunk) || !f.pc) return SrcPos{};
  const Proto* p = f.proto.as<Proto>();
  uint32_t offset = uint32_t(f.pc - p->code);
  return proto_pos_at(p, offset > 0 ? offset - 1 : 0);
}

namespace {
// A lambda's name in traces: the name it was first defined as.
std::string_view lambda_name(const Proto* p) {
  return is_symbol(p->name) ? p->name.as<Symbol>()->name() : "<lambda>";
}
}  // namespace

std::string_view VM::frame_name(const Frame& f) const {
  switch (f.kind) {
    case FrameKind::kLambda: return lambda_name(f.proto.as<Proto>());
    case FrameKind::kChunk:
      return f.proto.as<Proto>()->kind == ProtoKind::kTopLevel ? "<top level>" : "<eval>";
    case FrameKind::kNative:
      if (f.flags & frameflag::kScope) return lambda_name(f.proto.as<Proto>());
      return fib_.stack[f.base - 1].as<Builtin>()->info->name;
    case FrameKind::kEntry: break;
  }
  return "";
}

namespace {

// One call of a trace: who, and where (unknown when not known). The name lives as long as the VM
// (a Symbol's name, a builtin's table entry, or a literal): raise_at keeps the calls as bytes.
struct TraceCall {
  std::string_view name;
  SrcPos pos;
  friend bool operator==(const TraceCall& a, const TraceCall& b) { return a.name == b.name && a.pos == b.pos; }
};

// The frames' calls (innermost first), with runs of the same call kept as one call and a count.
struct TraceRun {
  TraceCall call;
  size_t count;
  friend bool operator==(const TraceRun&, const TraceRun&) = default;
};
static_assert(std::is_trivially_copyable_v<TraceRun>);  // kept as bytes in the ErrorObj
struct TraceLines {
  std::vector<TraceRun> runs;
  void add(TraceCall call) {
    if (!runs.empty() && runs.back().call == call) {
      ++runs.back().count;
    } else {
      runs.push_back({call, 1});
    }
  }
  void repeat_last() { ++runs.back().count; }
};

// One line of the folded trace: its text, and the call it names (null for a note).
struct FoldedLine {
  std::string text;
  const TraceCall* call;
};

// How many times the `period` runs starting at i repeat back to back.
size_t cycle_repeats(const TraceLines& t, size_t i, size_t period) {
  size_t k = 1;
  while (i + (k + 1) * period <= t.runs.size() &&
         std::equal(t.runs.begin() + long(i), t.runs.begin() + long(i + period), t.runs.begin() + long(i + k * period)))
    ++k;
  return k;
}

// One line of a trace: who, and where when known.
std::string trace_line(const TraceCall& call, const SourceFiles& files) {
  std::string line(call.name);
  if (call.pos.known()) line += " (" + files.format(call.pos) + ")";
  return line;
}

// Turns the calls into the trace: repeated lines folded into one line with a count, repeated
// cycles of lines (mutual recursion, recursion through the prelude) into one copy and a count,
// and the middle dropped past limits::kMaxTraceLines.
std::vector<FoldedLine> fold_trace(const TraceLines& t, const SourceFiles& files) {
  std::vector<FoldedLine> folded;
  for (size_t i = 0; i < t.runs.size();) {
    size_t best_period = 1, best_repeats = 1;
    for (size_t period = 2; period <= limits::kMaxTraceCycle; ++period) {
      size_t k = cycle_repeats(t, i, period);
      if (k >= 2 && k * period > best_repeats * best_period) best_period = period, best_repeats = k;
    }
    for (size_t j = i; j < i + best_period; ++j) {
      const auto& [call, count] = t.runs[j];
      std::string line = trace_line(call, files);
      folded.push_back({count > 1 ? line + " [" + std::to_string(count) + " times]" : line, &call});
    }
    if (best_repeats > 1) {
      folded.push_back({"[the " + std::to_string(best_period) + " lines above " + std::to_string(best_repeats) +
                            " times]",
                        nullptr});
    }
    i += best_period * best_repeats;
  }
  if (folded.size() <= limits::kMaxTraceLines) return folded;
  size_t keep = limits::kMaxTraceLines / 2;
  std::vector<FoldedLine> cut(folded.begin(), folded.begin() + long(keep));
  cut.push_back({"... " + std::to_string(folded.size() - 2 * keep) + " more ...", nullptr});
  cut.insert(cut.end(), folded.end() - long(keep), folded.end());
  return cut;
}

// A call of error/trace: {function file line column}, file "" and 0s when not known.
Value trace_entry(Heap& heap, const TraceCall& call, const SourceFiles& files) {
  Value items[] = {make_string(heap, call.name),
                   make_string(heap, call.pos.known() ? files.name(call.pos.file()) : ""),
                   Value::fixnum(int64_t(call.pos.line())), Value::fixnum(int64_t(call.pos.col()))};
  return make_list(heap, items, true);
}

// True when two frames print the same trace line (the same code at the same place).
bool same_line(const Frame& a, const Frame& b) {
  return a.kind == b.kind && a.proto == b.proto && a.pc == b.pc && a.flags == b.flags &&
         !(a.flags & frameflag::kTailSite) && (a.kind == FrameKind::kLambda || a.kind == FrameKind::kChunk);
}

}  // namespace

Value VM::raise_at(Value err) {
  auto* e = err.as<ErrorObj>();
  if (e->flags & errflag::kRaised) return err;
  e->flags |= errflag::kRaised;
  // The error is placed at the innermost frame running the user's code: an error raised inside
  // the prelude is reported where the program called it (the chain still shows the prelude).
  bool positioned = e->pos.known();
  SrcPos fallback;
  TraceLines lines;
  const Frame* previous = nullptr;
  for (uint32_t i = fib_.nframes; i-- > 0;) {
    const Frame& f = fib_.frames[i];
    if (f.kind == FrameKind::kEntry) break;
    // An inlined try open where this frame stands shows as the call of try it stands for, and
    // the frame as it was at that call (the outermost one): the trace reads as if try were not
    // inlined.
    const TryRange* try_call = nullptr;
    if ((f.kind == FrameKind::kLambda || f.kind == FrameKind::kChunk) && f.pc) {
      const Proto* p = f.proto.as<Proto>();
      proto_open_tries(p, uint32_t(f.pc - p->code), [&](const TryRange& t) {
        lines.add(TraceCall{"try", SrcPos{}});
        previous = nullptr;
        try_call = &t;  // its handler's CALL is placed at the try form
        return false;
      });
    }
    // A deep recursion repeats one frame many times over: count it without formatting it again.
    if (previous && positioned && same_line(f, *previous)) {
      lines.repeat_last();
      continue;
    }
    SrcPos pos = frame_position(f);
    if (!positioned && pos.known()) {
      if (!files_.is_builtin(pos.file())) {
        e->pos = pos;
        positioned = true;
      } else if (!fallback.known()) {
        fallback = pos;
      }
    }
    // A chunk run by eval or load shares its line with the frame that ran it: skip it.
    if (f.kind == FrameKind::kChunk && f.proto.as<Proto>()->kind == ProtoKind::kChunk) continue;
    if (try_call) pos = proto_pos_at(f.proto.as<Proto>(), try_call->handler);
    lines.add(TraceCall{frame_name(f), pos});
    previous = &f;
    if (f.kind == FrameKind::kLambda && (f.flags & frameflag::kTailSite)) {
      // The call that reached this frame's builtin code by a tail call (interp.cpp).
      const Proto* caller = f.tail_proto.as<Proto>();
      SrcPos site = proto_pos_at(caller, f.tail_offset > 0 ? f.tail_offset - 1 : 0);
      if (!positioned && site.known() && !files_.is_builtin(site.file())) {
        e->pos = site;
        positioned = true;
      }
      // (a chunk that eval ran: placed, but its line is the frame's below, as above)
      if (caller->kind == ProtoKind::kChunk) continue;
      lines.add(TraceCall{lambda_name(caller), site});
      previous = nullptr;
    }
  }
  if (!positioned) e->pos = fallback;
  // Most caught errors are never shown: the calls are kept as they are, and folded into lines
  // and error/trace's lists when first read (settle_trace). A try/catch loop spent nine tenths of
  // its time folding and formatting traces no one read.
  e->trace = make_string(heap_, std::string_view(reinterpret_cast<const char*>(lines.runs.data()),
                                                 lines.runs.size() * sizeof(lines.runs[0])));
  heap_.write_barrier(e, e->trace);
  e->frames = Value::nil();
  e->flags |= errflag::kTraceRecorded;
  return err;
}

void VM::settle_trace(Value err) {
  if (!is_error(err) || !(err.as<ErrorObj>()->flags & errflag::kTraceRecorded)) return;
  auto* e = err.as<ErrorObj>();
  std::string_view bytes = e->trace.as<String>()->view();
  TraceLines lines;
  lines.runs.resize(bytes.size() / sizeof(lines.runs[0]));
  if (!bytes.empty()) std::memcpy(static_cast<void*>(lines.runs.data()), bytes.data(), bytes.size());  // none: no calls
  std::vector<FoldedLine> folded = fold_trace(lines, files_);
  ListBuilder trace(heap_, true);
  for (const FoldedLine& line : folded) trace.push(make_string(heap_, line.text));
  e->trace = trace.finish();
  heap_.write_barrier(e, e->trace);
  ListBuilder frames(heap_, true);
  for (const FoldedLine& line : folded) {
    if (line.call) frames.push(trace_entry(heap_, *line.call, files_));
  }
  e->frames = frames.finish();
  heap_.write_barrier(e, e->frames);
  e->flags &= uint16_t(~errflag::kTraceRecorded);
}

bool VM::is_trace_note(std::string_view line) { return line.starts_with("[") || line.starts_with("..."); }

std::string VM::describe_error(Value err) {
  if (!is_error(err)) return "";
  settle_trace(err);
  const auto* e = err.as<ErrorObj>();
  std::string s;
  if (e->pos.known()) s += files_.format(e->pos) + ": ";
  s += e->message.as<String>()->view();
  for (Value t = e->trace; is_cons(t); t = cdr(t)) {
    std::string_view line = car(t).as<String>()->view();
    s += is_trace_note(line) ? "\n  " : "\n  in ";
    s += line;
  }
  return s;
}

// ---- calls -------------------------------------------------------------------------------

bool VM::callable_without_arguments(Value v) const {
  if (is_closure(v)) {
    const Proto* p = v.as<Closure>()->proto.as<Proto>();
    return p->nparams == 0 && !(p->pflags & protoflag::kVariadic);
  }
  return is_builtin_with(v, builtinflag::kCallBare);
}

Value VM::make_partial(Value fn, Args args) {
  auto* p = static_cast<Partial*>(heap_.alloc(sizeof(Partial) + 8 * size_t(args.n), ObjType::kPartial));
  p->aux = args.n;
  p->fn = fn;
  for (uint32_t i = 0; i < args.n; ++i) p->args()[i] = args[i];
  heap_.finish(p);
  return Value::object(p);
}

Value VM::apply_operator(Op op, Args args) {
  // The original builtin of the one watched name the instruction stands for.
  Value expected = watch_expected_[std::countr_zero(kOpWatchMasks[int(op)])];
  return expected.as<Builtin>()->info->fn(*this, args);
}

}  // namespace valk
