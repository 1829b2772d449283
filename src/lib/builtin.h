// builtin.h: how a builtin is declared. Every builtin is a row of a table (name, parameters,
// docstring, arity, C++ function) next to its code, so (doc f) and the reference cannot drift.
// A plain builtin computes a value and returns; a native builtin is a continuation the VM calls
// again after each Valk call it asks for, so builtins never re-enter the VM from C++.
#pragma once

#include <cstdint>
#include <span>

#include "value/object.h"
#include "value/value.h"
#include "vm/frame.h"

namespace valk {

class VM;
class Heap;

struct Args {
  Value* v;
  uint32_t n;
  Value operator[](size_t i) const { return v[i]; }
  uint32_t size() const { return n; }
};

// Returns the result, or an Error value (made with vm.error(...)) to raise it.
using BuiltinFn = Value (*)(VM& vm, Args args);

enum class NativeAction : uint8_t {
  kReturn,    // done: `value` is the result
  kCall,      // call the function pushed with `nargs` arguments pushed after it, then resume
  kTailCall,  // the pushed call replaces this builtin: its result is the result
  kEval,      // run the chunk `value` (a Proto) in the caller's frame, then resume
  kTailEval,  // the chunk `value` replaces this builtin
  kDecline,   // (intrinsics) run the prelude function's Valk body instead
  kError,     // raise the Error `value`
  kSuspend,   // suspend the fiber: the loop calls the continuation again with the value it is
              // resumed with (VM::resume_fiber); see docs/CONCURRENCY.md
};

struct NativeResult {
  NativeAction action;
  Value value;
  uint32_t nargs;
  static NativeResult ret(Value v) { return {NativeAction::kReturn, v, 0}; }
  static NativeResult call(uint32_t n) { return {NativeAction::kCall, Value(), n}; }
  static NativeResult tail_call(uint32_t n) { return {NativeAction::kTailCall, Value(), n}; }
  static NativeResult eval(Value proto) { return {NativeAction::kEval, proto, 0}; }
  static NativeResult tail_eval(Value proto) { return {NativeAction::kTailEval, proto, 0}; }
  static NativeResult decline() { return {NativeAction::kDecline, Value(), 0}; }
  static NativeResult error(Value e) { return {NativeAction::kError, e, 0}; }
  static NativeResult suspend() { return {NativeAction::kSuspend, Value(), 0}; }
};

// A NativeFn (vm/frame.h) is called first with `resumed` undefined, then with the result of each
// call it asked for. When the frame catches errors, an Error value arrives as `resumed` instead
// of unwinding past it.

namespace builtinflag {
inline constexpr uint8_t kCallBare = 1;  // (f) written alone calls it (it needs no argument)
inline constexpr uint8_t kDummyArg = 2;  // takes no argument but accepts one and ignores it, as
                                         // the original's programs call (time-us {})
inline constexpr uint8_t kCatch = 4;     // native frame that catches errors raised below it
inline constexpr uint8_t kReplCommand = 8;  // its name typed alone at the REPL runs it (help, quit)
inline constexpr uint8_t kShowsText = 16;   // a String it returns to the REPL's prompt is shown as
                                            // text, not in quotes with escapes (doc)
inline constexpr uint8_t kMultimethod = 32; // sys/multi-call: the VM asks multi_fast_method first
inline constexpr uint8_t kNullary = kCallBare | kDummyArg;
}  // namespace builtinflag

// A builtin's name is held in its row, not as a pointer to a string literal: the linker merges
// literals and may keep a short name as the tail of any string of the binary, so that installing
// the builtins at start-up paged in the whole string pool.
inline constexpr size_t kBuiltinNameBytes = 32;

struct BuiltinInfo {
  char name[kBuiltinNameBytes];
  const char* params;  // as written in the reference, e.g. "f & xs"
  const char* doc;
  int16_t min_args;
  int16_t max_args;  // -1: any number
  uint8_t flags;
  uint8_t extra_slots;  // native builtins: state slots beyond the arguments
  BuiltinFn fn;         // plain builtins
  NativeFn native;      // native builtins
};

// True when v is a builtin whose row has builtinflag `flag`.
inline bool is_builtin_with(Value v, uint8_t flag) {
  return is_builtin(v) && (v.as<Builtin>()->info->flags & flag);
}

// The tables of each area (lib/*.cpp), data rather than functions: installing them at start-up
// then reads the rows without running (so without paging in) the code of every area.
extern const std::span<const BuiltinInfo> core_builtins;
extern const std::span<const BuiltinInfo> module_builtins;  // import, export (lib/module.cpp)
extern const std::span<const BuiltinInfo> error_builtins;
extern const std::span<const BuiltinInfo> introspect_builtins;
extern const std::span<const BuiltinInfo> record_builtins;
// The method a multimethod (info: its {name dispatch methods}) runs for `args` when the VM can
// pick it without running the dispatch function (lib/record.cpp), else undefined: the caller
// then calls sys/multi-call as usual. Never raises.
Value multi_fast_method(VM& vm, Value info, Args args);
extern const std::span<const BuiltinInfo> arith_builtins;
extern const std::span<const BuiltinInfo> math_builtins;
extern const std::span<const BuiltinInfo> dict_builtins;
extern const std::span<const BuiltinInfo> table_builtins;
extern const std::span<const BuiltinInfo> list_builtins;
extern const std::span<const BuiltinInfo> io_builtins;
extern const std::span<const BuiltinInfo> system_builtins;
// The documentation of a function as (doc f) gives it, or an Error when f is not one.
Value function_doc(VM& vm, Value f);
extern const std::span<const BuiltinInfo> help_builtins;  // help and quit (lib/help.cpp)
extern const std::span<const BuiltinInfo> gc_builtins;
extern const std::span<const BuiltinInfo> aio_builtins;  // src/aio/builtins.cpp
extern const std::span<const BuiltinInfo> isolate_builtins;  // src/aio/isolate.cpp
extern const std::span<const BuiltinInfo> string_builtins;
// String builders own their bytes: the heap frees them with the builder (lib/string.cpp).
size_t finalize_builder(Object* o);
extern const std::span<const BuiltinInfo> regex_builtins;
// HTTP: http/serve, http/request ... and the original's http2/ builtins (src/net/builtins.cpp).
extern const std::span<const BuiltinInfo> net_builtins;
extern const std::span<const BuiltinInfo> json_builtins;  // lib/json.cpp
extern const std::span<const BuiltinInfo> fs_builtins;    // aio/fs.cpp
extern const std::span<const BuiltinInfo> proc_builtins;  // aio/proc.cpp
extern const std::span<const BuiltinInfo> marshal_builtins;  // lib/marshal.cpp
// Compiled patterns the re/ builtins keep cached on this thread (lib/regex.cpp).
size_t regex_cache_size();

}  // namespace valk
