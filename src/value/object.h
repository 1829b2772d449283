// object.h: the layouts of every heap object and the small inline helpers to inspect values.
// Every object starts with an 8-byte header; every reference to another object is a Value
// field (so the collector traces and moves one kind of slot), except pointers to symbols, which
// never move and never die.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "value/srcpos.h"
#include "value/value.h"

namespace valk {

// One enumerator per line of value/types.def; kCount sizes the per-type tables.
enum class ObjType : uint8_t {
#define VALK_TYPE(name, what) name,
#include "value/types.def"
#undef VALK_TYPE
  kCount
};

// Bits of Object::gc, owned by the collector.
namespace gcbit {
inline constexpr uint8_t kMarked = 1;
inline constexpr uint8_t kOld = 2;         // lives in the old space (slabs or large objects)
inline constexpr uint8_t kForwarded = 4;   // evacuated: the first field holds the new address
inline constexpr uint8_t kImmortal = 8;    // outside the heap (symbols, builtins)
inline constexpr uint8_t kRemembered = 16; // old object in the remembered set
inline constexpr uint8_t kLarge = 32;      // allocated on its own, outside the slabs
}  // namespace gcbit

struct Object {
  ObjType type;
  uint8_t gc;
  uint16_t flags;  // meaning depends on the type
  uint32_t aux;    // meaning depends on the type (counts for variable-sized objects)
};
static_assert(sizeof(Object) == 8);

// ---- lists -------------------------------------------------------------------------------

namespace consflag {
inline constexpr uint16_t kQuoted = 1;     // cell of a Q-expression { }, else of an S-expression ( )
inline constexpr uint16_t kHasSource = 2;  // a SourceCons made by the reader
}  // namespace consflag

struct Cons : Object {
  Value car;
  Value cdr;
};

// A cell made by the reader: it knows where its element was written, and caches the code the
// list compiles to when run by eval, if or as a lambda body (lists never change, so the cache
// never goes stale).
struct SourceCons : Cons {
  SrcPos pos;
  Value code;  // a Proto, or undefined
};

// ---- atoms -------------------------------------------------------------------------------

struct BoxedInt : Object {
  int64_t value;
};

struct BoxedFloat : Object {
  double value;
};

namespace strflag {
// Object::flags of a String, set the first time a str/ function needs its characters (Strings are
// immutable, so it holds for good; lib/string.cpp).
inline constexpr uint16_t kChecked = 1;  // the two below are known
inline constexpr uint16_t kInvalid = 2;  // not valid UTF-8
inline constexpr uint16_t kAscii = 4;    // every byte below 0x80: character k is byte k
}  // namespace strflag

struct String : Object {
  uint64_t length;
  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  std::string_view view() const { return {data(), length}; }
};

namespace symflag {
inline constexpr uint32_t kParamBound = 1;  // some lambda has it as a parameter
inline constexpr uint32_t kEqBound = 2;     // `=` has bound it beyond a frame's parameters
// Object::flags of a symbol
inline constexpr uint16_t kYoungGlobal = 1;  // listed for the next minor collection (vm.cpp)
}  // namespace symflag

struct Symbol : Object {
  Value global;          // binding in the global frame; undefined when unbound
  uint32_t scope_flags;  // symflag bits: when zero no frame can bind it, so lookups go global
  int32_t watch;         // index among watched symbols, or -1
  uint32_t length;
  uint32_t id;
  uint64_t hash;
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  std::string_view name() const { return {data(), length}; }
};

// ---- functions ---------------------------------------------------------------------------

struct BuiltinInfo;
struct Builtin : Object {
  const BuiltinInfo* info;
};

struct Intrinsic;
struct ProtoExtra;

enum class ProtoKind : uint8_t {
  kLambda,    // body of a lambda: runs in a new frame holding its parameters
  kChunk,     // code run by eval, if or load in the frame of whoever ran it
  kTopLevel,  // a top-level form of a file, the REPL or -e: runs in the global frame
};

namespace protoflag {
inline constexpr uint8_t kVariadic = 1;      // formals end with & rest
inline constexpr uint8_t kMakesClosures = 2; // contains a literal \ form that captures the frame
inline constexpr uint8_t kRunsList = 4;      // a chunk compiled from a list run as code
inline constexpr uint8_t kBuiltinCode = 8;   // compiled from the embedded prelude or a module
}  // namespace protoflag

struct Proto : Object {
  uint16_t nparams;    // frame slots for parameters, the rest list included
  uint16_t nrequired;  // parameters before &
  uint16_t nslots;     // nparams, then slots for the names its body binds with a literal `=`
                       // (undefined until bound; vm/lookup.cpp), named in params[nparams..]
  ProtoKind kind;
  uint8_t pflags;
  uint16_t module;     // namespace its global names resolve in: 0 the global frame, else a module (vm/module.cpp)
  uint16_t ntry;       // slots above the `=` slots holding the handlers of the inlined tries open
                       // (one per level of nesting); the operand stack starts after them
  uint32_t max_stack;  // temporaries the code needs above its parameters
  // The argument count CALL and TAILCALL enter this lambda with straight away: nparams when it
  // has no & rest and no intrinsic, else kNoDirectCall (update_direct_nargs after a change).
  uint32_t direct_nargs;
  uint32_t held_mask;  // the `=` slots (bit i: slot i) a self tail call holds (Frame::held_slots):
                       // all of them, bound ones held and unbound ones seen past; set with nslots
  uint32_t ncode;
  uint32_t nconsts;
  const uint32_t* code;
  Value* consts;
  Symbol* const* params;
  const Intrinsic* intrinsic;  // native fast path of a prelude function, or null
  Value formals;               // parameter list as written (a Q-expression), or undefined
  Value body;                  // the code this was compiled from
  Value name;                  // symbol the function was first defined as, or undefined
  ProtoExtra* extra;           // owned storage: code, constants, lines, inline sites
  bool variadic() const { return (pflags & protoflag::kVariadic) != 0; }
  static constexpr uint32_t kNoDirectCall = UINT32_MAX;
  void update_direct_nargs() { direct_nargs = variadic() || intrinsic ? kNoDirectCall : nparams; }
};

struct Closure : Object {
  Value proto;  // Proto
  Value env;    // Env the lambda closed over, or undefined
};

struct Partial : Object {  // aux: number of bound arguments
  Value fn;
  Value* args() { return reinterpret_cast<Value*>(this + 1); }
};

// ---- frames kept on the heap -------------------------------------------------------------

namespace envflag {
inline constexpr uint16_t kFrozen = 1;  // its frame is gone: no `=` can change it any more
}  // namespace envflag

struct Env : Object {  // aux: number of slots
  Value proto;   // Proto whose parameter names name the slots
  Value parent;  // Env this frame's lambda closed over, or undefined
  Value extras;  // Binding list made by `=`, or undefined
  Value* slots() { return reinterpret_cast<Value*>(this + 1); }
};

struct Binding : Object {
  Symbol* sym;
  Value value;
  Value next;  // Binding or undefined
};

// One link of the bindings of frames replaced by tail calls: a name and its value, or (sym null)
// a reference to an Env those frames had closed over.
struct Residue : Object {
  Value next;
  Symbol* sym;
  Value value;
};

namespace errflag {
inline constexpr uint16_t kUncatchable = 1;  // an interrupt: unwinds past load and test runners
inline constexpr uint16_t kRaised = 2;       // position and call chain already recorded
inline constexpr uint16_t kTraceRecorded = 4;  // trace holds the calls as bytes (VM::settle_trace)
inline constexpr uint16_t kCancelled = 8;       // aio/cancel's: the operation settled with it stops
}  // namespace errflag

struct ErrorObj : Object {
  Value message;  // String
  SrcPos pos;     // where it was raised (unknown when not from code)
  Value trace;    // Q-expression of Strings, innermost call first (folded: see vm.cpp), or the
                  // calls recorded (errflag::kTraceRecorded): read after VM::settle_trace
  Value data;     // what (error "msg" data) attached, or {} (error/data)
  Value frames;   // the trace's calls as {function file line column} lists (error/trace)
};

// ---- concurrency (src/aio/) ----------------------------------------------------------------
// Object::aux of a Future: its state.
enum class FutureState : uint32_t { kPending = 0, kResolved = 1, kRejected = 2 };
namespace futureflag {
inline constexpr uint16_t kPromise = 1;  // settled by aio/resolve and aio/reject (else by its fiber)
inline constexpr uint16_t kHandled = 2;  // someone awaited it or chained on it: failures are theirs
}  // namespace futureflag
struct Future : Object {
  Value value;    // the result, or the Error it was rejected with; undefined while pending
  Value waiters;  // list of what runs when it settles (aio/future.cpp), innermost last
  Value fiber;    // the FiberObj computing it (aio/spawn), or undefined
};
inline FutureState future_state(const Future* f) { return FutureState(f->aux); }
inline bool future_pending(const Future* f) { return future_state(f) == FutureState::kPending; }

struct Fiber;  // vm/fiber.h
enum class FiberState : uint32_t { kReady = 0, kRunning = 1, kSuspended = 2, kDone = 3 };
namespace fiberflag {
inline constexpr uint16_t kCancelled = 1;  // aio/cancel: raise `cancelled` at its next suspension
}  // namespace fiberflag
struct FiberObj : Object {  // aux: FiberState
  Fiber* stacks;   // owned; null once the fiber has ended
  Value future;    // the Future its result settles
  Value awaiting;  // while suspended in await: the Future awaited (cancelled with the fiber)
};

// The one mutable text object: str/add! appends in amortized constant time, str/build copies the
// bytes out into an immutable String. It holds no Values, so it needs no write barrier; it is
// allocated old (alloc_old) because its finalizer frees `bytes`.
struct StrBuilder : Object {
  std::string* bytes;
};

// ---- dictionaries (value/dict.h) ----------------------------------------------------------

struct Dict : Object {
  Value root;      // DictNode, or undefined when empty
  uint64_t count;  // number of entries
};

namespace dictflag {
inline constexpr uint16_t kCollision = 1;  // a node of keys whose 64-bit hashes are all equal
}  // namespace dictflag

// Bits set in x. Written out because __builtin_popcount is a call into libgcc on baseline x86-64
// (no POPCNT instruction assumed), and dictionaries count bits on every step.
inline uint32_t popcount32(uint32_t x) {
  x = x - ((x >> 1) & 0x55555555u);
  x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
  x = (x + (x >> 4)) & 0x0F0F0F0Fu;
  return (x * 0x01010101u) >> 24;
}

// A trie node. Normal: aux is a 32-bit map of which of the 32 slots of this level are present,
// and each present one is a pair (key, value), or (undefined, child node). Collision node: aux is
// the number of pairs, all keys sharing one hash.
struct DictNode : Object {
  Value* pairs() { return reinterpret_cast<Value*>(this + 1); }
  const Value* pairs() const { return reinterpret_cast<const Value*>(this + 1); }
  uint32_t size() const {
    return (flags & dictflag::kCollision) ? aux : popcount32(aux);
  }
};

// A mutable hash table (value/table.h); its slot array is malloc'd and freed by its finalizer.
struct TableSlot {
  Value key;  // all bits 0: an empty slot; a private tombstone: a deleted entry
  Value value;  // all bits 0 in empty slots and tombstones
};
struct Table : Object {
  TableSlot* slots;
  uint64_t capacity;  // a power of two
  uint64_t count;     // live entries
  uint64_t used;      // live entries and tombstones
  // Some key or value is a heap object. Without one the collector need not read the slots: a
  // table of numbers costs a major collection nothing, however large (reading its untouched
  // slots would also fault them in).
  bool holds_objects;
};

// ---- host objects (value/handle.h) ---------------------------------------------------------

// What a Handle refers to: a C++ object with a kind name ("HttpServer") used in printing and in
// type errors. The Handle owns it: the heap's finalizer deletes it when the Handle dies, so it
// must not touch the Valk heap in its destructor.
struct HostRef {
  virtual ~HostRef() = default;
  virtual const char* kind() const = 0;
  // What the printer shows after the kind, e.g. "127.0.0.1:8080"; empty: nothing.
  virtual std::string describe() const { return {}; }
};

struct Handle : Object {
  HostRef* ref;  // owned
};

// ---- records (value/record.h) -------------------------------------------------------------

// A value of a type defined by (record {point x y}). `desc` is the Q-expression {point x y} the
// type was defined with: its identity is the type's (defining the type again makes a new one).
struct Record : Object {  // aux: number of fields
  Value desc;
  Value* fields() { return reinterpret_cast<Value*>(this + 1); }
  const Value* fields() const { return reinterpret_cast<const Value*>(this + 1); }
};

// ---- inspection --------------------------------------------------------------------------

inline bool is_obj(Value v, ObjType t) { return v.is_object() && v.obj()->type == t; }
inline bool is_cons(Value v) { return is_obj(v, ObjType::kCons); }
inline bool is_qcons(Value v) {
  return is_cons(v) && (v.obj()->flags & consflag::kQuoted) != 0;
}
inline bool is_scons(Value v) {
  return is_cons(v) && (v.obj()->flags & consflag::kQuoted) == 0;
}
// A Q-expression: {} or a quoted cell. An S-expression: () or an unquoted cell.
inline bool is_qexpr(Value v) { return v.is_nil() || is_qcons(v); }
inline bool is_sexpr(Value v) { return v.is_empty_sexpr() || is_scons(v); }
inline bool is_list(Value v) { return v.is_empty_list() || is_cons(v); }
inline bool is_int(Value v) { return v.is_fixnum() || is_obj(v, ObjType::kInt); }
// Most floats are flonums (value/value.h); the rest are boxed.
inline bool is_float(Value v) { return v.is_flonum() || is_obj(v, ObjType::kFloat); }
inline bool is_number(Value v) { return is_int(v) || is_float(v); }
inline bool is_dict(Value v) { return is_obj(v, ObjType::kDict); }
inline bool is_table(Value v) { return is_obj(v, ObjType::kTable); }
inline bool is_string(Value v) { return is_obj(v, ObjType::kString); }
inline bool is_symbol(Value v) { return is_obj(v, ObjType::kSymbol); }
inline bool is_error(Value v) { return is_obj(v, ObjType::kError); }
inline bool is_str_builder(Value v) { return is_obj(v, ObjType::kStrBuilder); }
inline bool is_closure(Value v) { return is_obj(v, ObjType::kClosure); }
inline bool is_builtin(Value v) { return is_obj(v, ObjType::kBuiltin); }
inline bool is_partial(Value v) { return is_obj(v, ObjType::kPartial); }
inline bool is_future(Value v) { return is_obj(v, ObjType::kFuture); }
inline bool is_handle(Value v) { return is_obj(v, ObjType::kHandle); }
inline bool is_record(Value v) { return is_obj(v, ObjType::kRecord); }
inline bool is_function(Value v) {
  return v.is_object() && (v.obj()->type == ObjType::kClosure ||
                           v.obj()->type == ObjType::kBuiltin ||
                           v.obj()->type == ObjType::kPartial);
}

inline int64_t int_value(Value v) {
  return v.is_fixnum() ? v.fixnum_value() : v.as<BoxedInt>()->value;
}

inline double float_value(Value v) { return v.is_flonum() ? v.flonum_value() : v.as<BoxedFloat>()->value; }
// An Integer or Float as a double (rounding integers beyond 2^53).
inline double number_as_double(Value v) { return is_float(v) ? float_value(v) : double(int_value(v)); }

inline Value car(Value v) { return v.as<Cons>()->car; }
inline Value cdr(Value v) { return v.as<Cons>()->cdr; }
inline SrcPos cell_pos(Value v) {
  return (v.obj()->flags & consflag::kHasSource) ? v.as<SourceCons>()->pos : SrcPos{};
}

// Number of elements of a list (stops at the first non-cell).
inline size_t list_length(Value v) {
  size_t n = 0;
  for (; is_cons(v); v = cdr(v)) ++n;
  return n;
}

// Name of a value's type as shown in error messages: Integer, Float, String, Symbol, S-expression,
// Q-expression, Function, Error, ... (the name in its row of value/types.cpp).
const char* type_name(Value v);

}  // namespace valk
