// dict_test.cpp: the persistent HAMT (dict.cpp) through its C++ API: persistence, removal down to
// empty, hash collisions, structural keys, and a workload under GC stress with heap verification.
#include "value/dict.h"

#include <gtest/gtest.h>

#include "../vm/harness.h"
#include "config/limits.h"
#include "value/equal.h"
#include "value/make.h"
#include "value/symbol.h"

namespace valk {
namespace {

class DictTest : public ::testing::Test {
 protected:
  // Big enough that nothing here fills it: allocation never collects, and no collection runs.
  Heap heap{HeapConfig{size_t(64) << 20, 0, false, false}};
  Value i(int64_t n) { return make_int(heap, n); }
};

TEST_F(DictTest, AssocLeavesTheOldDictUnchanged) {
  Value d0 = dict_empty(heap);
  Value d1 = dict_assoc(heap, d0, i(1), i(10));
  Value d2 = dict_assoc(heap, d1, i(1), i(20));
  EXPECT_EQ(dict_count(d0), 0u);
  EXPECT_TRUE(dict_get(d0, i(1)).is_undefined());
  EXPECT_EQ(int_value(dict_get(d1, i(1))), 10);
  EXPECT_EQ(int_value(dict_get(d2, i(1))), 20);
  EXPECT_EQ(dict_count(d2), 1u);
}

TEST_F(DictTest, ManyKeysInsertLookUpAndRemoveToEmpty) {
  constexpr int kN = 20000;
  Value d = dict_empty(heap);
  for (int k = 0; k < kN; ++k) d = dict_assoc(heap, d, i(k * 7919), i(k));
  EXPECT_EQ(dict_count(d), uint64_t(kN));
  for (int k = 0; k < kN; ++k) ASSERT_EQ(int_value(dict_get(d, i(k * 7919))), k);
  EXPECT_TRUE(dict_get(d, i(3)).is_undefined());
  uint64_t seen = 0;
  dict_for_each(d, [&](Value, Value) { ++seen; });
  EXPECT_EQ(seen, uint64_t(kN));
  for (int k = 0; k < kN; ++k) d = dict_dissoc(heap, d, i(k * 7919));
  EXPECT_EQ(dict_count(d), 0u);
  EXPECT_TRUE(values_equal(d, dict_empty(heap)));
}

TEST_F(DictTest, KeysWithEqualHashesShareACollisionNode) {
  // Lists differing only deeper than kHashDepth hash alike: distinct keys, one 64-bit hash.
  auto nested = [&](int64_t leaf) {
    Value v = i(leaf);
    for (int d = 0; d <= kHashDepth; ++d) v = make_cons(heap, v, Value::nil(), true);
    return v;
  };
  ASSERT_EQ(hash_value(nested(1)), hash_value(nested(2)));
  Value d = dict_empty(heap);
  for (int64_t k = 0; k < 10; ++k) d = dict_assoc(heap, d, nested(k), i(k));
  d = dict_assoc(heap, d, nested(3), i(33));
  EXPECT_EQ(dict_count(d), 10u);
  for (int64_t k = 0; k < 10; ++k) ASSERT_EQ(int_value(dict_get(d, nested(k))), k == 3 ? 33 : k);
  Value e = dict_dissoc(heap, d, nested(0));
  EXPECT_EQ(dict_count(e), 9u);
  EXPECT_TRUE(dict_get(e, nested(0)).is_undefined());
  EXPECT_EQ(int_value(dict_get(e, nested(9))), 9);
  for (int64_t k = 1; k < 10; ++k) e = dict_dissoc(heap, e, nested(k));
  EXPECT_EQ(dict_count(e), 0u);
}

TEST_F(DictTest, StridedIntegerKeysGoDeepAndStayFound) {
  Value d = dict_empty(heap);
  int64_t stride = int64_t(1) << 40;  // the low 40 bits are equal: eight levels of one slot
  for (int64_t k = 0; k < 64; ++k) d = dict_assoc(heap, d, i(k * stride), i(k));
  for (int64_t k = 0; k < 64; ++k) ASSERT_EQ(int_value(dict_get(d, i(k * stride))), k);
  d = dict_assoc(heap, d, make_float(heap, double(stride)), i(-1));  // 2^40 as a float: one key
  EXPECT_EQ(dict_count(d), 64u);
  EXPECT_EQ(int_value(dict_get(d, i(stride))), -1);
}

// Hashing is bounded: a Dict's keys and values count one level below it, and what lies
// kHashDepth levels below the hashed value is not looked at, through keys as through values.
TEST_F(DictTest, HashLooksNoDeeperThanTheDepthThroughKeysAndValues) {
  auto wrapped = [&](int64_t leaf, int levels = kHashDepth) {  // lists around leaf
    Value v = i(leaf);
    for (int d = 0; d < levels; ++d) v = make_cons(heap, v, Value::nil(), true);
    return v;
  };
  auto with_key = [&](Value k) { return dict_assoc(heap, dict_empty(heap), k, i(0)); };
  auto with_value = [&](Value v) { return dict_assoc(heap, dict_empty(heap), i(0), v); };
  EXPECT_FALSE(values_equal(with_key(wrapped(1)), with_key(wrapped(2))));
  EXPECT_EQ(hash_value(with_key(wrapped(1))), hash_value(with_key(wrapped(2))));
  EXPECT_EQ(hash_value(with_value(wrapped(1))), hash_value(with_value(wrapped(2))));
  // One level less, the leaves are reached and tell the Dicts apart, through keys and values.
  EXPECT_NE(hash_value(with_key(wrapped(1, kHashDepth - 1))), hash_value(with_key(wrapped(2, kHashDepth - 1))));
  EXPECT_NE(hash_value(with_value(wrapped(1, kHashDepth - 1))), hash_value(with_value(wrapped(2, kHashDepth - 1))));
}

// Strings and symbols hold nothing: they count in a hash at any depth, so keys that differ only
// in a string at the depth limit do not all collide (a Dict of them went quadratic).
TEST_F(DictTest, StringsAndSymbolsCountAtTheDepthLimit) {
  auto wrapped = [&](Value leaf) {
    for (int d = 0; d < kHashDepth; ++d) leaf = make_cons(heap, leaf, Value::nil(), true);
    return leaf;
  };
  EXPECT_NE(hash_value(wrapped(make_string(heap, "a"))), hash_value(wrapped(make_string(heap, "b"))));
  SymbolTable symbols;
  EXPECT_NE(hash_value(wrapped(Value::object(symbols.intern("a")))), hash_value(wrapped(Value::object(symbols.intern("b")))));
}

TEST_F(DictTest, EqualDictsHashAlikeWhateverTheOrder) {
  Value a = dict_empty(heap), b = dict_empty(heap);
  for (int k = 0; k < 100; ++k) a = dict_assoc(heap, a, make_string(heap, std::to_string(k)), i(k));
  for (int k = 99; k >= 0; --k) b = dict_assoc(heap, b, make_string(heap, std::to_string(k)), i(k));
  EXPECT_TRUE(values_equal(a, b));
  EXPECT_EQ(hash_value(a), hash_value(b));
  EXPECT_FALSE(values_equal(a, dict_assoc(heap, b, i(0), i(0))));
}

// dict_refill against dict_assoc: the same keys with new values, over shapes with deep nodes
// (strided keys) and a collision node, and the empty shape.
TEST_F(DictTest, RefillGivesTheDictThatAssocWouldBuild) {
  auto nested = [&](int64_t leaf) {
    Value v = i(leaf);
    for (int d = 0; d <= kHashDepth; ++d) v = make_cons(heap, v, Value::nil(), true);
    return v;
  };
  std::vector<Value> keys;
  for (int64_t k = 0; k < 40; ++k) keys.push_back(i(k * (int64_t(1) << 35)));
  for (int64_t k = 0; k < 100; ++k) keys.push_back(make_string(heap, std::to_string(k)));
  for (int64_t k = 0; k < 3; ++k) keys.push_back(nested(k));
  Value shape = dict_empty(heap), expected = dict_empty(heap);
  for (size_t k = 0; k < keys.size(); ++k) {
    shape = dict_assoc(heap, shape, keys[k], Value::nil());
    expected = dict_assoc(heap, expected, keys[k], i(int64_t(k) * 3 - 50));
  }
  std::vector<Value> values;
  dict_for_each(shape, [&](Value key, Value) { values.push_back(dict_get(expected, key)); });
  Value refilled = dict_refill(heap, shape, values.data());
  EXPECT_TRUE(values_equal(refilled, expected));
  EXPECT_EQ(dict_count(refilled), uint64_t(keys.size()));
  for (size_t k = 0; k < keys.size(); ++k) ASSERT_EQ(int_value(dict_get(refilled, keys[k])), int64_t(k) * 3 - 50);
  EXPECT_TRUE(dict_get(shape, keys[0]).is_nil());  // the shape is untouched
  EXPECT_EQ(dict_count(dict_refill(heap, dict_empty(heap), nullptr)), 0u);
}

// The builder makes the trie assoc after assoc would: the same entries in the same order (so the
// same printed form), equal keys one entry (the first key, the last value: 1 then 1.0), keys of
// one hash in one collision node in the order they came.
TEST_F(DictTest, BuilderGivesTheDictThatAssocWouldBuild) {
  auto nested = [&](int64_t leaf) {
    Value v = i(leaf);
    for (int d = 0; d <= kHashDepth; ++d) v = make_cons(heap, v, Value::nil(), true);
    return v;
  };
  std::vector<std::pair<Value, Value>> given;
  for (int64_t k = 0; k < 2000; ++k) given.push_back({i(k * (int64_t(1) << 35)), i(k)});
  for (int64_t k = 0; k < 3000; ++k) given.push_back({make_string(heap, std::to_string(k % 2500)), i(k)});
  for (int64_t k = 0; k < 5; ++k) given.push_back({nested(k % 3), i(k)});
  given.push_back({i(1), i(-1)});
  given.push_back({make_float(heap, 1.0), i(-2)});
  Value expected = dict_empty(heap);
  DictBuilder built(heap);
  for (auto [k, v] : given) {
    expected = dict_assoc(heap, expected, k, v);
    built.add(k, v);
  }
  Value d = built.finish();
  EXPECT_EQ(dict_count(d), dict_count(expected));
  std::vector<std::pair<Value, Value>> a, b;
  dict_for_each(d, [&](Value k, Value v) { a.push_back({k, v}); });
  dict_for_each(expected, [&](Value k, Value v) { b.push_back({k, v}); });
  ASSERT_EQ(a.size(), b.size());
  for (size_t n = 0; n < a.size(); ++n) {
    ASSERT_EQ(a[n].first, b[n].first) << n;  // the very key assoc kept
    ASSERT_TRUE(values_equal(a[n].second, b[n].second)) << n;
  }
  EXPECT_TRUE(values_equal(d, expected));
  EXPECT_EQ(int_value(dict_get(d, i(1))), -2);
  EXPECT_EQ(int_value(dict_get(d, nested(1))), 4);
  EXPECT_EQ(dict_count(DictBuilder(heap).finish()), 0u);
}

// A Dict of 100,000 entries made by one builtin allocates about its own size (the trie's
// nodes): 153 MB went to copied paths before the builder, which nothing could collect until the
// builtin returned (2.2 GB for a million entries).
TEST(DictBuilderMemory, OneCallBuildsAllocateAboutTheTrie) {
  test::Harness h;
  ASSERT_EQ(h.eval("(do (def {es} (map (\\ {i} {list i (* 2 i)}) (range 0 100000))) "
                   "(def {t} (table)) (map (\\ {e} {table/set! t (fst e) (snd e)}) es) "
                   "(def {m} (marshal (dict/from-entries es))) 1)"),
            "1");
  for (const char* build : {"(dict/from-entries es)", "(table/to-dict t)", "(unpack dict (join {} (unpack join es)))",
                            "(unmarshal m)"}) {
    uint64_t before = h.vm().heap().stats().bytes_allocated;
    EXPECT_EQ(h.eval(std::string("(get ") + build + " 99999)"), "199998") << build;
    uint64_t bytes = h.vm().heap().stats().bytes_allocated - before;
    EXPECT_LT(bytes, uint64_t(100) * 100000) << build;
  }
}

TEST(DictGcStress, DictsAndTablesSurviveCollectionsUnderStress) {
  const char* workload =
      "(fun {fill d i n} {if (== i n) {d} {fill (assoc d i (list i \"v\")) (+ i 1) n}})\n"
      "(def {d} (fill (dict) 0 300))\n"
      "(def {t} (table))\n"
      "(fun {tfill i n} {if (== i n) {t} {do (table/set! t (sys/readable i) (list i)) (tfill (+ i 1) n)}})\n"
      "(tfill 0 300)\n"
      "(list (len d) (get d 299) (len (dissoc d 5 6)) (len t) (table/get t \"150\") (== d (fill (dict) 0 300)))";
  test::Harness plain;
  std::string expected = plain.eval(workload);
  EXPECT_EQ(expected, "{300 {299 \"v\"} 298 300 {150} 1}");
  VmConfig config;
  config.heap.stress = true;
  config.heap.verify = true;
  test::Harness stressed(config);
  EXPECT_EQ(stressed.eval(workload), expected);
}

// Keys whose 64-bit hashes are equal (five lists around anything hash alike) share a collision
// node, whose order is the insertion order: equality finds each key among the other dict's
// colliding keys, whatever the order, and tells a changed value or key apart.
TEST_F(DictTest, DictsWithCollidingKeysCompareWhateverTheOrder) {
  auto wrapped = [&](Value v) {
    for (int d = 0; d <= kHashDepth; ++d) v = make_cons(heap, v, Value::nil(), true);
    return v;
  };
  auto build = [&](std::vector<int64_t> order, int64_t changed_value, int64_t changed_key) {
    Value d = dict_empty(heap);
    for (int64_t k : order) {
      d = dict_assoc(heap, d, wrapped(i(k == changed_key ? -k : k)), i(k == changed_value ? -1 : k));
    }
    return d;
  };
  Value a = build({1, 2, 3, 4}, 0, 0);
  EXPECT_TRUE(values_equal(a, build({4, 2, 3, 1}, 0, 0)));
  EXPECT_EQ(hash_value(a), hash_value(build({3, 1, 4, 2}, 0, 0)));
  EXPECT_FALSE(values_equal(a, build({4, 3, 2, 1}, 3, 0)));
  EXPECT_FALSE(values_equal(a, build({4, 3, 2, 1}, 0, 2)));
  EXPECT_FALSE(values_equal(build({4, 3, 2, 1}, 0, 2), a));
}

// A chain of dicts, each the key of the next, beside a colliding key at every level: finding a
// key among colliding ones compares it with values_equal's own stack, not the C stack (this
// crashed at this depth when each search was a nested call).
TEST(DictDeepTest, ChainOfDictsWithCollidingKeysComparesWithoutRecursion) {
  constexpr int kDepth = 100'000;
  Heap heap{HeapConfig{size_t(512) << 20, 0, false, false}};
  auto wrapped = [&](Value v) {
    for (int d = 0; d <= kHashDepth; ++d) v = make_cons(heap, v, Value::nil(), true);
    return v;
  };
  auto chain = [&](int64_t leaf, bool colliding_key_first) {
    Value c = make_int(heap, leaf);
    for (int n = 0; n < kDepth; ++n) {
      Value d = dict_empty(heap);
      Value deep = wrapped(c), shallow = wrapped(Value::nil());
      d = dict_assoc(heap, d, colliding_key_first ? shallow : deep, make_int(heap, 1));
      d = dict_assoc(heap, d, colliding_key_first ? deep : shallow, make_int(heap, 1));
      c = d;
    }
    return c;
  };
  Value a = chain(7, false);
  EXPECT_TRUE(values_equal(a, chain(7, true)));
  EXPECT_FALSE(values_equal(a, chain(8, true)));  // differs only at the innermost leaf
}

}  // namespace
}  // namespace valk
