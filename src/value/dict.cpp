// dict.cpp: the persistent hash array mapped trie (see dict.h). Five bits of the key's hash
// choose a slot at each level; a change copies the nodes on the path from the root (at most 13
// levels, then a collision node), so the recursion below is bounded.
#include "value/dict.h"

#include <algorithm>
#include <cstring>

#include "value/equal.h"

namespace valk {

namespace {

constexpr int kBits = 5;
constexpr int kHashBits = 64;

uint32_t slot_bit(uint64_t hash, int shift) { return 1u << ((hash >> shift) & 31); }
uint32_t index_of(uint32_t bitmap, uint32_t bit) { return popcount32(bitmap & (bit - 1)); }

DictNode* new_node(Heap& heap, uint32_t npairs, uint16_t flags, uint32_t aux) {
  auto* n = static_cast<DictNode*>(heap.alloc(sizeof(DictNode) + 16 * size_t(npairs), ObjType::kDictNode));
  n->flags = flags;
  n->aux = aux;
  return n;
}

Value finish_node(Heap& heap, DictNode* n) {
  heap.finish(n);
  return Value::object(n);
}

// A copy of n with pair i replaced by (key, value).
Value with_pair(Heap& heap, const DictNode* n, uint32_t i, Value key, Value value) {
  uint32_t size = n->size();
  DictNode* c = new_node(heap, size, n->flags, n->aux);
  std::memcpy(c->pairs(), n->pairs(), 16 * size_t(size));
  c->pairs()[2 * i] = key;
  c->pairs()[2 * i + 1] = value;
  return finish_node(heap, c);
}

// A copy of n with (key, value) inserted as pair i; aux becomes new_aux.
Value with_inserted(Heap& heap, const DictNode* n, uint32_t i, Value key, Value value, uint32_t new_aux) {
  uint32_t size = n->size();
  DictNode* c = new_node(heap, size + 1, n->flags, new_aux);
  std::memcpy(c->pairs(), n->pairs(), 16 * size_t(i));
  c->pairs()[2 * i] = key;
  c->pairs()[2 * i + 1] = value;
  std::memcpy(c->pairs() + 2 * (i + 1), n->pairs() + 2 * i, 16 * size_t(size - i));
  return finish_node(heap, c);
}

// A copy of n without pair i (undefined when that leaves it empty).
Value without_pair(Heap& heap, const DictNode* n, uint32_t i, uint32_t new_aux) {
  uint32_t size = n->size();
  if (size == 1) return Value::undefined();
  DictNode* c = new_node(heap, size - 1, n->flags, new_aux);
  std::memcpy(c->pairs(), n->pairs(), 16 * size_t(i));
  std::memcpy(c->pairs() + 2 * i, n->pairs() + 2 * (i + 1), 16 * size_t(size - i - 1));
  return finish_node(heap, c);
}

// A node holding two entries whose hashes agree below `shift`.
Value merge(Heap& heap, int shift, Value k1, Value v1, uint64_t h1, Value k2, Value v2, uint64_t h2) {
  if (shift >= kHashBits) {
    DictNode* c = new_node(heap, 2, dictflag::kCollision, 2);
    Value* p = c->pairs();
    p[0] = k1, p[1] = v1, p[2] = k2, p[3] = v2;
    return finish_node(heap, c);
  }
  uint32_t b1 = slot_bit(h1, shift), b2 = slot_bit(h2, shift);
  if (b1 == b2) {
    Value child = merge(heap, shift + kBits, k1, v1, h1, k2, v2, h2);
    DictNode* c = new_node(heap, 1, 0, b1);
    c->pairs()[0] = Value::undefined();
    c->pairs()[1] = child;
    return finish_node(heap, c);
  }
  DictNode* c = new_node(heap, 2, 0, b1 | b2);
  Value* p = c->pairs();
  if (b1 < b2) {
    p[0] = k1, p[1] = v1, p[2] = k2, p[3] = v2;
  } else {
    p[0] = k2, p[1] = v2, p[2] = k1, p[3] = v1;
  }
  return finish_node(heap, c);
}

// Where a key of this hash would be in n's trie: outside collision nodes the one candidate pair
// (whose key may still differ from the key), in a collision node that node, whose keys all have
// this hash (the caller compares them: dict_get here, values_equal for dict_equal).
struct Found {
  const Value* pair = nullptr;
  const DictNode* collision = nullptr;
};
Found node_find(const DictNode* n, uint64_t hash) {
  for (int shift = 0;; shift += kBits) {
    if (n->flags & dictflag::kCollision) return {nullptr, n};
    uint32_t bit = slot_bit(hash, shift);
    if (!(n->aux & bit)) return {};
    const Value* p = n->pairs() + 2 * index_of(n->aux, bit);
    if (!p[0].is_undefined()) return {p, nullptr};
    n = p[1].as<DictNode>();
  }
}

// Where key is among a collision node's pairs, or its count when absent.
uint32_t collision_index(const DictNode* n, Value key) {
  const Value* p = n->pairs();
  uint32_t i = 0;
  while (i < n->aux && !values_equal(p[2 * i], key)) ++i;
  return i;
}

Value node_assoc(Heap& heap, const DictNode* n, int shift, uint64_t hash, Value key, Value value,
                 bool* added) {
  const Value* p = n->pairs();
  if (n->flags & dictflag::kCollision) {
    uint32_t i = collision_index(n, key);
    if (i < n->aux) return with_pair(heap, n, i, p[2 * i], value);
    *added = true;
    return with_inserted(heap, n, n->aux, key, value, n->aux + 1);
  }
  uint32_t bit = slot_bit(hash, shift);
  uint32_t i = index_of(n->aux, bit);
  if (!(n->aux & bit)) {
    *added = true;
    return with_inserted(heap, n, i, key, value, n->aux | bit);
  }
  Value k = p[2 * i], v = p[2 * i + 1];
  if (k.is_undefined()) {
    Value child = node_assoc(heap, v.as<DictNode>(), shift + kBits, hash, key, value, added);
    return with_pair(heap, n, i, Value::undefined(), child);
  }
  // An equal key keeps the key first stored (as Lua and Python do): (dict 1 "a" 1.0 "b") is [1 "b"].
  if (k == key || values_equal(k, key)) return with_pair(heap, n, i, k, value);
  *added = true;
  Value child = merge(heap, shift + kBits, k, v, hash_value(k), key, value, hash);
  return with_pair(heap, n, i, Value::undefined(), child);
}

// n without key: n itself when absent, undefined when it becomes empty.
Value node_dissoc(Heap& heap, DictNode* n, int shift, uint64_t hash, Value key, bool* removed) {
  Value* p = n->pairs();
  if (n->flags & dictflag::kCollision) {
    uint32_t i = collision_index(n, key);
    if (i == n->aux) return Value::object(n);
    *removed = true;
    return without_pair(heap, n, i, n->aux - 1);
  }
  uint32_t bit = slot_bit(hash, shift);
  if (!(n->aux & bit)) return Value::object(n);
  uint32_t i = index_of(n->aux, bit);
  Value k = p[2 * i];
  if (k.is_undefined()) {
    Value child = node_dissoc(heap, p[2 * i + 1].as<DictNode>(), shift + kBits, hash, key, removed);
    if (!*removed) return Value::object(n);
    if (!child.is_undefined()) return with_pair(heap, n, i, Value::undefined(), child);
    return without_pair(heap, n, i, n->aux & ~bit);
  }
  if (!(k == key || values_equal(k, key))) return Value::object(n);
  *removed = true;
  return without_pair(heap, n, i, n->aux & ~bit);
}

Value make_dict(Heap& heap, Value root, uint64_t count) {
  auto* d = static_cast<Dict*>(heap.alloc(sizeof(Dict), ObjType::kDict));
  d->root = root;
  d->count = count;
  heap.finish(d);
  return Value::object(d);
}

}  // namespace

Value dict_empty(Heap& heap) { return make_dict(heap, Value::undefined(), 0); }

Value dict_get(Value dict, Value key) {
  Value root = dict.as<Dict>()->root;
  if (root.is_undefined()) return Value::undefined();
  Found f = node_find(root.as<DictNode>(), hash_value(key));
  if (f.collision) {
    uint32_t i = collision_index(f.collision, key);
    return i < f.collision->aux ? f.collision->pairs()[2 * i + 1] : Value::undefined();
  }
  if (!f.pair || !(f.pair[0] == key || values_equal(f.pair[0], key))) return Value::undefined();
  return f.pair[1];
}

Value dict_assoc(Heap& heap, Value dict, Value key, Value value) {
  auto* d = dict.as<Dict>();
  uint64_t hash = hash_value(key);
  if (d->root.is_undefined()) {
    DictNode* n = new_node(heap, 1, 0, slot_bit(hash, 0));
    n->pairs()[0] = key;
    n->pairs()[1] = value;
    return make_dict(heap, finish_node(heap, n), 1);
  }
  bool added = false;
  Value root = node_assoc(heap, d->root.as<DictNode>(), 0, hash, key, value, &added);
  return make_dict(heap, root, d->count + (added ? 1 : 0));
}

namespace {
// A copy of n and its children, the values taken from `values` in dict_node_for_each's order.
Value refill_node(Heap& heap, const DictNode* n, const Value*& values) {
  uint32_t size = n->size();
  DictNode* c = new_node(heap, size, n->flags, n->aux);
  const Value* from = n->pairs();
  Value* to = c->pairs();
  for (uint32_t i = 0; i < size; ++i) {
    to[2 * i] = from[2 * i];
    to[2 * i + 1] = from[2 * i].is_undefined() ? refill_node(heap, from[2 * i + 1].as<DictNode>(), values) : *values++;
  }
  return finish_node(heap, c);
}
}  // namespace

Value dict_refill(Heap& heap, Value shape, const Value* values) {
  auto* d = shape.as<Dict>();
  if (d->root.is_undefined()) return dict_empty(heap);
  return make_dict(heap, refill_node(heap, d->root.as<DictNode>(), values), d->count);
}

// Equal keys have equal hashes: after a stable sort by hash, each run of one hash keeps its
// distinct keys in the order they came, each with the last value given for it.
void DictBuilder::keep_unique() {
  std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) { return a.hash < b.hash; });
  size_t kept = 0;
  for (size_t run = 0; run < entries_.size();) {
    size_t run_end = run;
    while (run_end < entries_.size() && entries_[run_end].hash == entries_[run].hash) ++run_end;
    size_t run_kept = kept;
    for (size_t i = run; i < run_end; ++i) {
      size_t j = run_kept;
      while (j < kept && !(entries_[j].key == entries_[i].key || values_equal(entries_[j].key, entries_[i].key))) ++j;
      if (j < kept) {
        entries_[j].value = entries_[i].value;
      } else {
        entries_[kept++] = entries_[i];
      }
    }
    run = run_end;
  }
  entries_.resize(kept);
}

// The node of entries [begin, end), whose hashes agree below `shift`: the shape assoc gives
// them (one pair per slot of five bits, a child node where two or more share it, a collision
// node once all 64 bits agree).
Value DictBuilder::build(size_t begin, size_t end, int shift) {
  if (shift >= kHashBits) {
    DictNode* c = new_node(*heap_, uint32_t(end - begin), dictflag::kCollision, uint32_t(end - begin));
    for (size_t i = begin; i < end; ++i) {
      c->pairs()[2 * (i - begin)] = entries_[i].key;
      c->pairs()[2 * (i - begin) + 1] = entries_[i].value;
    }
    return finish_node(*heap_, c);
  }
  // A stable counting sort of the range by this level's slot (a collision node keeps the order
  // the keys came in).
  size_t starts[33] = {};
  for (size_t i = begin; i < end; ++i) ++starts[((entries_[i].hash >> shift) & 31) + 1];
  for (int s = 0; s < 32; ++s) starts[s + 1] += starts[s];
  size_t fill[32];
  std::copy(starts, starts + 32, fill);
  for (size_t i = begin; i < end; ++i) scratch_[begin + fill[(entries_[i].hash >> shift) & 31]++] = entries_[i];
  std::copy(scratch_.begin() + ptrdiff_t(begin), scratch_.begin() + ptrdiff_t(end), entries_.begin() + ptrdiff_t(begin));
  // Children first: the node is then allocated last, as assoc allocates a path's nodes.
  Value slots[32];
  uint32_t bitmap = 0, npairs = 0;
  for (int s = 0; s < 32; ++s) {
    size_t from = begin + starts[s], to = begin + starts[s + 1];
    if (from == to) continue;
    bitmap |= 1u << s;
    ++npairs;
    slots[s] = to - from == 1 ? Value::undefined() : build(from, to, shift + kBits);
  }
  DictNode* n = new_node(*heap_, npairs, 0, bitmap);
  Value* p = n->pairs();
  for (int s = 0; s < 32; ++s) {
    if (!(bitmap & (1u << s))) continue;
    const Entry& e = entries_[begin + starts[s]];
    bool child = starts[s + 1] - starts[s] > 1;
    *p++ = child ? Value::undefined() : e.key;
    *p++ = child ? slots[s] : e.value;
  }
  return finish_node(*heap_, n);
}

Value DictBuilder::finish() {
  if (entries_.empty()) return dict_empty(*heap_);
  keep_unique();
  scratch_.resize(entries_.size());
  Value root = build(0, entries_.size(), 0);
  Value d = make_dict(*heap_, root, entries_.size());
  entries_.clear();
  scratch_.clear();
  return d;
}

Value dict_dissoc(Heap& heap, Value dict, Value key) {
  auto* d = dict.as<Dict>();
  if (d->root.is_undefined()) return dict;
  bool removed = false;
  Value root = node_dissoc(heap, d->root.as<DictNode>(), 0, hash_value(key), key, &removed);
  if (!removed) return dict;
  return make_dict(heap, root, d->count - 1);
}

// ---- type-table hooks --------------------------------------------------------------------

size_t dict_node_size(const Object* o) {
  return Heap::round_size(sizeof(DictNode) + 16 * size_t(static_cast<const DictNode*>(o)->size()));
}

// [k1 v1 k2 v2]: keys and values in their readable form, so the text reads back.
const char* dict_print_parts(std::string& out, Value v, std::vector<Value>& parts) {
  out += '[';
  dict_for_each(v, [&](Value k, Value val) {
    parts.push_back(k);
    parts.push_back(val);
  });
  return "]";
}

// Each key of a is looked for in b without comparing keys here: outside collision nodes b has
// one candidate where the key would be, and a holds the key iff the two are equal, so the pair
// of keys joins the work like the values do; a collision node joins it as a search (the key and
// the node, above the key's value), for values_equal to do. (Comparing keys with values_equal from here would recurse once per
// level of dicts used as keys, and a 100,000-deep chain overflows the C stack.)
bool dict_equal(Value a, Value b, EqualWork& work) {
  if (dict_count(a) != dict_count(b)) return false;
  Value root = b.as<Dict>()->root;
  if (root.is_undefined()) return true;
  bool same = true;
  dict_for_each(a, [&](Value k, Value v) {
    if (!same) return;
    Found f = node_find(root.as<DictNode>(), hash_value(k));
    if (f.collision) {
      work.emplace_back(v, Value::undefined());
      work.emplace_back(k, Value::object(f.collision));
      return;
    }
    if (!f.pair) {
      same = false;
      return;
    }
    if (f.pair[0] != k) work.emplace_back(k, f.pair[0]);
    work.emplace_back(v, f.pair[1]);
  });
  return same;
}

// Order-independent: the sum of the entries' hashes.
uint64_t dict_hash(Value v, int depth) {
  uint64_t sum = 0;
  dict_for_each(v, [&](Value k, Value val) {
    sum += hash_combine(hash_value_at(k, depth - 1), hash_value_at(val, depth - 1));
  });
  return hash_combine(0xD1C7 + dict_count(v), sum);
}

}  // namespace valk
