// equal.cpp: structural equality with an explicit stack of pairs still to compare, and the hash
// consistent with it. What each type compares and hashes is its row in value/types.cpp.
#include "value/equal.h"

#include "value/object.h"
#include "value/types.h"

namespace valk {

bool double_as_int(double d, int64_t* out) {
  // 2^63 is exact as a double; everything in [-2^63, 2^63) converts without overflow.
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return false;
  auto i = int64_t(d);
  if (double(i) != d) return false;
  *out = i;
  return true;
}

bool numbers_equal(Value a, Value b) {
  bool fa = is_float(a), fb = is_float(b);
  if (!fa && !fb) return int_value(a) == int_value(b);
  if (fa && fb) {
    double x = float_value(a), y = float_value(b);
    return x == y || (x != x && y != y);
  }
  double d = fa ? float_value(a) : float_value(b);
  int64_t i;
  return double_as_int(d, &i) && i == int_value(fa ? b : a);
}

namespace {

// Equal without looking inside (true), different (false), or components pushed onto work.
bool compare_shallow(Value a, Value b, EqualWork& work) {
  if (a == b) return true;
  if (is_number(a) || is_number(b)) return is_number(a) && is_number(b) && numbers_equal(a, b);
  if (!a.is_object() || !b.is_object()) return false;
  ObjType t = a.obj()->type;
  if (t != b.obj()->type) return false;
  auto equal = type_info(t).equal;
  return equal != nullptr && equal(a, b, work);
}

// A key of one dict looked for among the keys of a collision node of the other (a pair of the
// work with a DictNode on its right, types.h): candidate i is compared with its own work list.
// When that list empties the key is found, and its value joins the comparison that asked; when a
// pair differs the next candidate is tried, and with none left the comparison that asked fails.
struct Search {
  Value key, value;
  const DictNode* node;
  uint32_t candidate;
  EqualWork work;
  const Value* pair() const { return node->pairs() + 2 * candidate; }
};

bool is_search(Value b) { return b.is_object() && b.obj()->type == ObjType::kDictNode; }

// The pairs on `root` and all they lead to, compared. Out of line: values_equal stays small for
// the many calls that look into nothing.
[[gnu::noinline]] bool components_equal(EqualWork& root) {
  std::vector<Search> searches;  // innermost last; empty unless dicts with colliding keys meet
  bool same = true;
  for (;;) {
    if (!same) {
      if (searches.empty()) return false;
      Search& s = searches.back();
      if (++s.candidate < s.node->aux) {
        s.work.clear();
        same = compare_shallow(s.key, s.pair()[0], s.work);
      } else {
        searches.pop_back();  // same stays false: the comparison that asked fails
      }
      continue;
    }
    EqualWork& work = searches.empty() ? root : searches.back().work;
    if (work.empty()) {
      if (searches.empty()) return true;
      std::pair<Value, Value> found{searches.back().value, searches.back().pair()[1]};
      searches.pop_back();
      (searches.empty() ? root : searches.back().work).push_back(found);
      continue;
    }
    auto [a, b] = work.back();
    work.pop_back();
    same = compare_shallow(a, b, work);  // false for a search: no key is a DictNode
    if (!same && is_search(b)) {
      Value value = work.back().first;
      work.pop_back();
      searches.push_back({a, value, b.as<DictNode>(), 0, {}});
      same = compare_shallow(a, searches.back().pair()[0], searches.back().work);
    }
  }
}

}  // namespace

bool values_equal(Value a, Value b) {
  // Strings first, without the type table or a work list: they are most keys of dicts and tables.
  if (is_string(a) && is_string(b)) return a.as<String>()->view() == b.as<String>()->view();
  EqualWork work;  // allocates only when a pair of lists, dicts ... must be looked into
  if (!compare_shallow(a, b, work)) return false;
  return work.empty() || components_equal(work);
}

uint64_t hash_value_at(Value v, int depth) {
  if (v.is_fixnum()) return hash_int(v.fixnum_value());
  if (is_string(v)) return hash_bytes(v.as<String>()->view());
  if (v.is_flonum()) return type_info(ObjType::kFloat).hash(v, depth);
  if (!v.is_object()) return hash_mix(v.bits());
  // Numbers hash alike at every depth: -0.0 (boxed) must hash as 0 does, wherever it is.
  if (depth <= 0 && !is_number(v) && !is_symbol(v)) return 0;
  auto hash = type_info(v.obj()->type).hash;
  return hash ? hash(v, depth) : hash_mix(v.bits());
}

uint64_t hash_value(Value v) { return hash_value_at(v, kHashDepth); }

}  // namespace valk
