// marshal.h: values to bytes and back (marshal, unmarshal; docs/MARSHAL.md): the versioned wire
// format, the encoder and decoder, and the per-type hooks the rows of value/types.cpp point to.
// Worker isolates (aio/isolate.cpp) pass values between heaps with it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "value/object.h"

namespace valk {

class VM;

// The first bytes of every marshalled value, then one version byte.
inline constexpr char kMarshalMagic[4] = {'\x89', 'V', 'L', 'K'};
inline constexpr uint8_t kMarshalVersion = 1;

// One byte before each value. Fixed by the format (never derived from ObjType, whose order may
// change). A tag added later leaves older bytes readable; changing what a tag means needs a new
// version.
enum class Tag : uint8_t {
  kUndefined = 1,  // an empty slot (a closure that closes over nothing, an unbound parameter)
  kNil = 2,        // {}
  kEmptySexpr = 3, // ()
  kInt = 4,        // zigzag varint
  kFloat = 5,      // 8 bytes, little-endian IEEE
  kString = 6,     // varint length, bytes
  kSymbol = 7,     // varint length, name
  kQCons = 8,      // car, cdr
  kSCons = 9,
  kQConsAt = 10,   // position, car, cdr (a cell the reader made: error positions survive)
  kSConsAt = 11,
  kBuiltin = 12,   // varint length, name
  kGlobalFn = 13,  // varint length, name: a prelude function, the receiver's own binding of it
  kClosure = 14,   // proto, env
  kPartial = 15,   // varint count, fn, args
  kProto = 16,     // formals, body, name: compiled again by the receiver
  kEnv = 17,       // varint slots, proto, parent, extras, slots
  kBinding = 18,   // varint length, name, value, next
  kError = 19,     // flags byte, position, message, trace, data, frames
  kDict = 20,      // varint count, key value ...
  kTable = 21,     // varint count, key value ...
  kRef = 22,       // varint index of an earlier object (shared structure and cycles)
  kRecord = 23,    // varint count, descriptor, fields
};

class Encoder {
 public:
  Encoder(VM& vm, std::string& out);
  // Appends v's encoding (without the header); false when a value cannot be marshalled, with
  // error() saying which.
  [[nodiscard]] bool encode(Value v);
  const std::string& error() const { return error_; }

  // For the type hooks: the object's own bytes, then its components in the order the
  // decoder reads them.
  void tag(Tag t) { out_.push_back(char(t)); }
  void byte(uint8_t b) { out_.push_back(char(b)); }
  void varint(uint64_t v);
  void bytes(std::string_view s);  // length, then the bytes
  void f64(double d);
  void pos(SrcPos p);
  void child(Value v) { stack_.push_back(v); }
  void fail(Value v, std::string_view why);
  VM& vm() { return vm_; }

 private:
  bool seen(Value v);

  VM& vm_;
  std::string& out_;
  std::vector<Value> stack_;  // components still to encode, the next on top
  std::vector<uint64_t> memo_keys_;  // open addressing: object address -> index (0: empty)
  std::vector<uint32_t> memo_index_;
  size_t memo_count_ = 0;
  std::vector<uint32_t> files_;  // file id -> 1 + its index in this encoding, 0: not yet written
  uint32_t nfiles_ = 0;
  std::string error_;
};

// Hooks of the type table (value/types.h): each writes its tag and fields, and queues its
// components with Encoder::child. A type without a hook cannot be marshalled.
void marshal_int(Encoder& e, Value v);
void marshal_float(Encoder& e, Value v);
void marshal_string(Encoder& e, Value v);
void marshal_symbol(Encoder& e, Value v);
void marshal_cons(Encoder& e, Value v);
void marshal_builtin(Encoder& e, Value v);
void marshal_closure(Encoder& e, Value v);
void marshal_partial(Encoder& e, Value v);
void marshal_proto(Encoder& e, Value v);
void marshal_env(Encoder& e, Value v);
void marshal_binding(Encoder& e, Value v);
void marshal_error(Encoder& e, Value v);
void marshal_dict(Encoder& e, Value v);
void marshal_table(Encoder& e, Value v);
void marshal_record(Encoder& e, Value v);

// The bytes of v (header included) in *out, or false with *error saying what cannot be
// marshalled ("marshal: cannot marshal a Future <promise pending>").
[[nodiscard]] bool marshal_value(VM& vm, Value v, std::string* out, std::string* error);
// The value the bytes encode, built in vm's heap, or an Error value naming the problem and its
// byte offset; *failed (when given) tells the two apart, since an Error is also a value that
// marshals. Never collects (it runs between two safe points).
Value unmarshal_value(VM& vm, std::string_view bytes, bool* failed = nullptr);

}  // namespace valk
