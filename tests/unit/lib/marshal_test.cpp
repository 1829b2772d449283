// marshal_test.cpp: the codec of lib/marshal.cpp from C++: errors keep message, position and
// trace; identity of shared parts and cycles; long and deep values without recursion; every
// truncation and many corruptions of a rich value are clean errors.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include <random>
#include <string>

#include "../vm/harness.h"
#include "config/limits.h"
#include "lib/marshal.h"
#include "value/make.h"

namespace valk {
namespace {

using test::Harness;

std::string bytes_of(VM& vm, Value v) {
  std::string out, error;
  EXPECT_TRUE(marshal_value(vm, v, &out, &error)) << error;
  return out;
}

TEST(Marshal, ErrorKeepsMessagePositionAndTrace) {
  Harness h;
  Value e = h.run("(fun {inner x} {error \"boom\"})\n(fun {outer x} {inner x})\n(outer 1)", "err.valk");
  test::ErrorInfo before = h.inspect(e);
  ASSERT_TRUE(before.is_error) << h.show(e);
  std::string b = bytes_of(h.vm(), e);
  Harness other;  // another VM: file names travel by name
  test::ErrorInfo after = other.inspect(unmarshal_value(other.vm(), b));
  ASSERT_TRUE(after.is_error);
  EXPECT_EQ(after.message, "boom");
  EXPECT_EQ(after.where, before.where);
  EXPECT_EQ(after.where, "err.valk:1:17");
  EXPECT_EQ(after.trace, before.trace);
  EXPECT_FALSE(after.trace.empty());
}

TEST(Marshal, SharedPartsStayShared) {
  Harness h;
  Value v = h.run("(do (= {s} \"x\") (= {l} {1 2}) (list s l s l))");
  Value r = unmarshal_value(h.vm(), bytes_of(h.vm(), v));
  ASSERT_TRUE(is_cons(r)) << h.show(r);
  Value items[4];
  for (int i = 0; i < 4; ++i, r = cdr(r)) items[i] = car(r);
  EXPECT_EQ(items[0], items[2]);  // identity, not equality
  EXPECT_EQ(items[1], items[3]);
  EXPECT_NE(items[0], car(v));    // a copy
}

TEST(Marshal, RecursiveClosureIsACycle) {
  Harness h;
  Value f = h.run("(fun {looper} {do (= {go} (\\ {n} {if (== n 0) {7} {go (- n 1)}})) go}) (looper)");
  ASSERT_TRUE(is_closure(f)) << h.show(f);
  Value g = unmarshal_value(h.vm(), bytes_of(h.vm(), f));
  ASSERT_TRUE(is_closure(g)) << h.show(g);
  // go's frame binds go to go itself.
  Value env = g.as<Closure>()->env;
  ASSERT_TRUE(is_obj(env, ObjType::kEnv));
  Value b = env.as<Env>()->extras;
  ASSERT_TRUE(is_obj(b, ObjType::kBinding));
  EXPECT_EQ(b.as<Binding>()->value, g);
  h.vm().define_global(h.vm().sym("g"), g);
  EXPECT_EQ(h.eval("(g 1000)"), "7");
}

TEST(Marshal, LongAndDeepValuesNeedNoRecursion) {
  Harness h;
  Heap& heap = h.vm().heap();
  Value deep = Value::nil();
  for (int i = 0; i < 200000; ++i) deep = make_cons(heap, deep, Value::nil(), true);
  std::string b = bytes_of(h.vm(), deep);
  Value r = unmarshal_value(h.vm(), b);
  int depth = 0;
  for (; is_cons(r); r = car(r)) ++depth;
  EXPECT_EQ(depth, 200000);
  EXPECT_EQ(h.eval("(len (unmarshal (marshal (range 0 300000))))"), "300000");
}

TEST(Marshal, ClosureWorksInAnotherVm) {
  Harness h;
  Value f = h.run("(def {mk} (\\ {n} {\\ {x} {+ x n (len (join {1} {2}))}})) (mk 40)");
  std::string b = bytes_of(h.vm(), f);
  Harness other;
  Value g = unmarshal_value(other.vm(), b);
  ASSERT_TRUE(is_closure(g)) << other.show(g);
  other.vm().define_global(other.vm().sym("g"), g);
  EXPECT_EQ(other.eval("(g 0)"), "42");
}

// A rich value: every tag the format has.
const char* kRich =
    "(do (= {t} (table 1 2)) (table/set! t \"me\" t) (= {k} 5)"
    " (list 1 -70000000000000 2.5 \"s\" (head {sym}) {a (b c)} () (dict \"k\" {1}) t + map"
    " (\\ {x} {+ x k}) ((\\ {a b} {a}) 1) (\\ {x} {x})))";

TEST(Marshal, EveryTruncationIsACleanError) {
  Harness h;
  std::string b = bytes_of(h.vm(), h.run(kRich));
  ASSERT_GT(b.size(), 50u);
  for (size_t n = 0; n < b.size(); ++n) {
    Value r = unmarshal_value(h.vm(), std::string_view(b).substr(0, n));
    ASSERT_TRUE(is_error(r)) << "prefix " << n;
    EXPECT_NE(h.show(r).find("unmarshal: "), std::string::npos);
  }
  EXPECT_FALSE(is_error(unmarshal_value(h.vm(), b)));
  h.vm().collect_garbage(true);
}

// A record arrives as one of the receiver's type of that name and fields (its descriptor is
// interned): in another VM that defines the type, and across collections of the registry.
TEST(Marshal, RecordArrivesOfTheReceiversType) {
  Harness h;
  std::string b = bytes_of(h.vm(), h.run("(do (record {pt x y}) (pt 1 2))"));
  Harness other;
  other.run("(record {pt x y})");
  other.vm().collect_garbage(true);
  Value r = unmarshal_value(other.vm(), b);
  ASSERT_FALSE(is_error(r)) << other.show(r);
  RootGuard guard(other.vm(), r);
  other.vm().collect_garbage(true);
  other.vm().define_global(other.vm().sym("got"), r);
  EXPECT_EQ(other.show(other.run("(list (pt/y got) (pt? got) (== got (pt 1 2)))")), "{2 1 1}");
}

// Valk cannot make a list, dictionary or record contain itself; input that does (a list cell
// whose tail refers back to the cell) is refused, or printing it would never end.
TEST(Marshal, ImmutableValuesThatContainThemselvesAreRefused) {
  Harness h;
  const std::string cyclic("\x89VLK\x01\x08\x06\x01x\x08\x16\x02\x02", 13);
  Value r = unmarshal_value(h.vm(), cyclic);
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(h.show(r), "Error: unmarshal: malformed value: a list, dictionary or record that contains itself at offset 5");
}

// limits::kMaxUnmarshalCodeCells: 187 bytes whose lambda body shares its lists into a tree of
// more cells than the limit (the compiler would walk each use) are refused, at once.
TEST(Marshal, CodeBodiesPastTheCellLimitAreRefused) {
  Harness h;
  std::ifstream in(std::string(VALK_SOURCE_DIR) +
                   "/tests/fuzz/regressions/unmarshal/lambda-body-shared-into-an-exponential-tree", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(bytes.size(), 187u);
  Value r = unmarshal_value(h.vm(), bytes);
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(h.show(r), "Error: unmarshal: malformed code: its body has more than " +
                           std::to_string(limits::kMaxUnmarshalCodeCells) + " cells, or contains itself at offset 6");
  // A body under the limit crosses.
  Value f = unmarshal_value(h.vm(), bytes_of(h.vm(), h.run("(\\ {x} {+ x (* x 2)})")));
  EXPECT_EQ(h.show(h.vm().call(f, std::vector<Value>{Value::fixnum(3)})), "9");
}

TEST(Marshal, CorruptedBytesNeverCrash) {
  Harness h;
  std::string b = bytes_of(h.vm(), h.run(kRich));
  std::mt19937 rng(12);
  int errors = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string m = b;
    for (int k = 0; k < 3; ++k) m[5 + rng() % (m.size() - 5)] = char(rng());
    Value r = unmarshal_value(h.vm(), m);
    if (is_error(r)) ++errors;
    if (i % 500 == 0) h.vm().collect_garbage(true);  // what was built is a valid heap
  }
  EXPECT_GT(errors, 1000);
}

TEST(Marshal, WhatCannotCrossIsNamed) {
  Harness h;
  std::string out, error;
  EXPECT_FALSE(marshal_value(h.vm(), h.run("(list 1 (aio/promise))"), &out, &error));
  EXPECT_EQ(error, "marshal: cannot marshal a Future <promise pending>");
}

}  // namespace
}  // namespace valk
