// dict.h: persistent dictionaries, a hash array mapped trie (HAMT) of immutable nodes on the
// collected heap. Any value is a key, compared with values_equal and hashed with hash_value
// (value/equal.h), so 1 and 1.0 are one key. Every change returns a new dictionary sharing all
// untouched nodes with the old one. This is the C++ API the builtins (lib/dict.cpp), the reader
// and JSON use; none of these functions collects.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gc/heap.h"
#include "value/equal.h"
#include "value/object.h"
#include "value/types.h"

namespace valk {

// Dict and DictNode are laid out in value/object.h.

inline uint64_t dict_count(Value d) { return d.as<Dict>()->count; }

Value dict_empty(Heap& heap);
// The value bound to key, or undefined when there is none.
Value dict_get(Value dict, Value key);
// dict with key bound to value (replacing a binding of an equal key).
Value dict_assoc(Heap& heap, Value dict, Value key, Value value);
// dict without key (dict itself when key is absent).
Value dict_dissoc(Heap& heap, Value dict, Value key);

// A Dict of many entries made at once: they are gathered, then the trie is made bottom-up, each
// node allocated once. Assoc after assoc inside one builtin, where nothing collects, left every
// copied path behind until the builtin returned (2 KB a key: 2 GB for a JSON object of a million
// keys). Equal keys are one entry, as with assoc: the first key, the last value. Like the rest
// of this API it does not collect, so the gathered values need no rooting until finish.
class DictBuilder {
 public:
  explicit DictBuilder(Heap& heap) : heap_(&heap) {}
  void add(Value key, Value value) { entries_.push_back({hash_value(key), key, value}); }
  Value finish();

 private:
  struct Entry {
    uint64_t hash;
    Value key, value;
  };
  void keep_unique();
  Value build(size_t begin, size_t end, int shift);
  Heap* heap_;
  std::vector<Entry> entries_;
  std::vector<Entry> scratch_;
};

// A Dict of shape's keys, in shape's trie, values[i] bound to the i-th key of dict_for_each's
// order: shape's nodes copied without hashing or comparing a key. For a Dict made again and
// again with the same keys (the HTTP server's request Dict).
Value dict_refill(Heap& heap, Value shape, const Value* values);
// Calls f(key, value) for every entry, in an order fixed by the hashes (not insertion order).
template <class F>
void dict_for_each(Value dict, F&& f);

// Type-table hooks (value/types.cpp).
size_t dict_node_size(const Object* o);
const char* dict_print_parts(std::string& out, Value v, std::vector<Value>& parts);
bool dict_equal(Value a, Value b, EqualWork& work);
uint64_t dict_hash(Value v, int depth);

// ---- implementation of the template ------------------------------------------------------

template <class F>
void dict_node_for_each(const DictNode* n, F& f) {
  const Value* p = n->pairs();
  for (uint32_t i = 0, size = n->size(); i < size; ++i) {
    if (p[2 * i].is_undefined()) {
      dict_node_for_each(p[2 * i + 1].as<DictNode>(), f);
    } else {
      f(p[2 * i], p[2 * i + 1]);
    }
  }
}

template <class F>
void dict_for_each(Value dict, F&& f) {
  Value root = dict.as<Dict>()->root;
  if (!root.is_undefined()) dict_node_for_each(root.as<DictNode>(), f);
}

}  // namespace valk
