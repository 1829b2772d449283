// fiber.cpp: fibers in the VM: making a spawned fiber's stacks, switching the VM to a fiber and
// back, and the main fiber's runs that suspend (the loop runs while the main fiber waits).
// See docs/CONCURRENCY.md for the model; aio/loop.cpp decides which fiber runs when.
#include "vm/fiber.h"

#include "aio/loop.h"
#include "compile/proto.h"
#include "gc/heap.h"
#include "value/make.h"
#include "vm/vm.h"

namespace valk {

namespace {

// Sets the frame fields a run's bottom frames need (the others are set when they are pushed).
Frame& init_frame(Frame& f, FrameKind kind, uint32_t base, uint32_t scope, Value proto, const uint32_t* pc) {
  f.kind = kind;
  f.flags = 0;
  f.pc = pc;
  f.base = base;
  f.scope = scope;
  f.step = 0;
  f.nargs = 0;
  f.proto = proto;
  f.env = Value::undefined();
  f.residue = Value::undefined();
  f.run_base = 0;
  return f;
}
}  // namespace

size_t finalize_fiber(Object* o) {
  auto* f = static_cast<FiberObj*>(o);
  if (!f->stacks) return 0;
  f->stacks->release();
  delete f->stacks;
  f->stacks = nullptr;
  return 0;
}

Value VM::new_fiber(Value fn, Args args, Value future) {
  // The fiber's run is the host call stub (CALL n; RET) over the callee and its arguments, above
  // an entry frame that stands for the global frame: lookup in the fiber never sees its spawner.
  Value stub = host_call_stub(args.n);
  Fiber* stacks = take_stacks(2 + size_t(args.n) + stub.as<Proto>()->max_stack + 2 * limits::kStackSlack);
  if (!stacks) return error("out of memory: cannot make a fiber");
  init_frame(stacks->frames[0], FrameKind::kEntry, 0, 0, Value::undefined(), nullptr);
  stacks->stack[0] = stub;
  init_frame(stacks->frames[1], FrameKind::kChunk, 1, 0, stub, stub.as<Proto>()->code);
  stacks->nframes = 2;
  stacks->stack[1] = fn;
  for (uint32_t i = 0; i < args.n; ++i) stacks->stack[2 + i] = args[i];
  stacks->sp = 2 + args.n;
  // Young: most fibers end at their first run and die in the nursery (see Heap::alloc_finalized).
  auto* f = static_cast<FiberObj*>(heap_.alloc_finalized(sizeof(FiberObj), ObjType::kFiber));
  f->aux = uint32_t(FiberState::kReady);
  f->stacks = stacks;
  f->future = future;
  f->awaiting = Value::undefined();
  heap_.finish(f);
  return Value::object(f);
}

Fiber* VM::take_stacks(size_t slots) {
  if (slots <= limits::kFiberStackSlots && !spare_fibers_.empty()) {
    Fiber* stacks = spare_fibers_.back();
    spare_fibers_.pop_back();
    return stacks;
  }
  auto* stacks = new Fiber;
  if (!stacks->allocate(slots > limits::kFiberStackSlots ? slots : limits::kFiberStackSlots, limits::kFiberFrames)) {
    stacks->release();
    delete stacks;
    return nullptr;
  }
  return stacks;
}

void VM::give_back_stacks(Fiber* stacks) {
  // Only stacks at their starting sizes are kept: a fiber that grew them gives the memory back.
  if (stacks->stack_cap == limits::kFiberStackSlots && stacks->frames_cap == limits::kFiberFrames &&
      spare_fibers_.size() < limits::kSpareFibers) {
    stacks->sp = 0;
    stacks->nframes = 0;
    stacks->young_from = 0;
    spare_fibers_.push_back(stacks);
    return;
  }
  stacks->release();
  delete stacks;
}

bool VM::run_fiber(Value& fiber, Value resumed, Value raise, Value* result) {
  // Fibers run only from the loop, which only the main fiber drives: the main fiber is parked.
  auto* f = fiber.as<FiberObj>();
  main_saved_ = fib_;
  main_parked_ = true;
  fib_ = *f->stacks;
  fib_.young_from = 0;  // its stacks were scanned through the FiberObj: scan all once more
  f->stacks->sp = 0;    // the stacks are the VM's while it runs (traced as roots)
  f->stacks->nframes = 0;
  f->aux = uint32_t(FiberState::kRunning);
  running_ = fiber;
  uint32_t saved_entry = suspend_entry_;
  suspend_entry_ = 0;
  resume_value_ = resumed;
  resume_raise_ = raise;
  Value out = execute(0);
  fiber = running_;  // a collection during the run may have moved a young FiberObj
  f = fiber.as<FiberObj>();
  bool done = !suspended_;
  suspended_ = false;
  suspend_entry_ = saved_entry;
  *f->stacks = fib_;
  fib_ = main_saved_;
  main_parked_ = false;
  main_saved_ = Fiber{};
  running_ = Value::undefined();
  if (!done) {
    f->aux = uint32_t(FiberState::kSuspended);
    heap_.remember_old(f);  // its stacks were written without the barrier
    return false;
  }
  give_back_stacks(f->stacks);  // an ended fiber gives its stacks back at once
  f->stacks = nullptr;
  f->aux = uint32_t(FiberState::kDone);
  *result = out;
  return true;
}

Value VM::run_entry(uint32_t entry) {
  // Only the outermost run from C++ may suspend the main fiber: an inner one (C++ called from
  // a builtin) returns to C++ code that cannot wait, so await there is an error (interp.cpp).
  if (suspend_entry_ != UINT32_MAX || !running_.is_undefined()) return execute(entry);
  suspend_entry_ = entry;
  suspend_reentry_ = reentry_;
  Value result = drive_main(entry, execute(entry));
  suspend_entry_ = UINT32_MAX;
  return result;
}

Value VM::drive_main(uint32_t entry, Value result) {
  while (suspended_) {
    suspended_ = false;
    Resume r = loop_->run_until_main_resumed();
    resume_value_ = r.value;
    resume_raise_ = r.raise;
    result = execute(entry);
  }
  return result;
}

Value VM::rethrow_awaited(Value err) {
  const auto* e = err.as<ErrorObj>();
  Value here = raise_at(error(e->message.as<String>()->view()));  // placed at the await site
  settle_trace(err);
  settle_trace(here);
  auto* h = here.as<ErrorObj>();
  ListBuilder trace(heap_, true);
  for (Value t = e->trace; is_cons(t); t = cdr(t)) trace.push(car(t));
  std::string note = "[awaited";
  if (h->pos.known()) note += " at " + files_.format(h->pos);
  trace.push(make_string(heap_, note + "]"));
  for (Value t = h->trace; is_cons(t); t = cdr(t)) trace.push(car(t));
  h->trace = trace.finish();
  heap_.write_barrier(h, h->trace);
  ListBuilder frames(heap_, true);  // error/trace: the fiber's calls, then the awaiting ones
  for (Value t = e->frames; is_cons(t); t = cdr(t)) frames.push(car(t));
  for (Value t = h->frames; is_cons(t); t = cdr(t)) frames.push(car(t));
  h->frames = frames.finish();
  heap_.write_barrier(h, h->frames);
  h->data = e->data;
  heap_.write_barrier(h, h->data);
  if (e->pos.known()) h->pos = e->pos;
  return here;
}

Value VM::run_pending() {
  if (suspend_entry_ != UINT32_MAX || !running_.is_undefined()) return Value::undefined();  // only from the top
  return loop_->run_all() ? Value::undefined() : interrupted_error();
}

}  // namespace valk
