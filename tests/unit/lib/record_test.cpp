// record_test.cpp: lib/record.cpp and the Record row of value/types.cpp: records survive
// collections with their fields (gc/trace.h), print, compare and hash by type and fields, and the
// internal builtins refuse to work once rebound; the VM's own pick of a multimethod's method
// (multi_fast_method) is taken exactly when the dispatch function is (type p) and type is intact.
#include <gtest/gtest.h>

#include "../vm/harness.h"
#include "lib/builtin.h"
#include "value/equal.h"
#include "vm/vm.h"

namespace valk {
namespace {

using test::Harness;

TEST(Record, FieldsSurviveCollections) {
  Harness h;
  h.run("(record {pair a b})\n(def {kept} (pair (list 1 2) \"text\"))");
  h.vm().collect_garbage(false);
  h.run("(def {junk} (range 1 5000))");
  h.vm().collect_garbage(true);
  EXPECT_EQ(h.eval("kept"), "#pair{a {1 2} b \"text\"}");
  EXPECT_EQ(h.eval("(pair/a kept)"), "{1 2}");
}

// The heap size the Record and Partial rows report is the header plus one word per slot: the
// collector copies and accounts that many bytes, so a wrong size wastes or overruns memory.
TEST(Record, SlottedObjectsTakeOneWordPerSlot) {
  Harness h;
  h.run("(record {triple a b c})");
  Value r = h.run("(triple 1 2 3)");
  EXPECT_EQ(Heap::object_size(r.obj()), Heap::round_size(sizeof(Record) + 3 * sizeof(Value)));
  Value p = h.run("((\\ {a b c d e} {a}) 1 2 3)");  // 3 of 5 arguments: a Partial
  ASSERT_TRUE(p.is_object());
  EXPECT_EQ(Heap::object_size(p.obj()), Heap::round_size(sizeof(Partial) + 3 * sizeof(Value)));
}

TEST(Record, EqualRecordsHashAlike) {
  Harness h;
  h.run("(record {pair a b})");
  Value x = h.run("(pair {1 2} \"s\")");
  RootGuard keep_x(h.vm(), x);
  Value y = h.run("(pair {1 2} \"s\")");
  RootGuard keep_y(h.vm(), y);
  EXPECT_TRUE(values_equal(x, y));
  EXPECT_EQ(hash_value(x), hash_value(y));
}

TEST(Record, RefusesRebuiltInternals) {
  Harness h;
  h.run("(def {sys/record-make} 1)");
  EXPECT_EQ(h.message("(record {p x})"),
            "record: the builtin sys/record-make, sys/record-is or sys/record-get it uses was rebound");
}

// The method multi_fast_method picks for the multimethod `multi` called with the values of `args`
// (undefined when it leaves the call to sys/multi-call), printed.
std::string fast_pick(Harness& h, const char* multi, std::initializer_list<const char*> args) {
  Value m = h.run(multi);
  EXPECT_TRUE(is_partial(m));
  if (!is_partial(m)) return "not a multimethod";
  RootGuard keep(h.vm(), m);
  std::string list = "(list";
  for (const char* a : args) list += std::string(" ") + a;
  Value l = h.run(list + ")");  // the last run: nothing moves the values below after it
  std::vector<Value> values;
  for (; is_cons(l); l = cdr(l)) values.push_back(car(l));
  Value picked = multi_fast_method(h.vm(), m.as<Partial>()->args()[0], Args{values.data(), uint32_t(values.size())});
  return picked.is_undefined() ? "undefined" : h.show(picked);
}

TEST(Multimethod, TypeDispatchIsPickedWithoutRunningIt) {
  Harness h;
  h.run("(record {circle r})\n(defmulti {kind} (\\ {v} {type v}))\n(defmethod kind {Integer} tail)\n"
        "(defmethod kind {circle} circle/r)");
  // Builtins as methods print by name: the method picked is the one given for the type.
  EXPECT_EQ(fast_pick(h, "kind", {"5"}), "<builtin tail>");
  EXPECT_EQ(fast_pick(h, "kind", {"(circle 2)"}), "<builtin sys/record-get>");
  EXPECT_EQ(fast_pick(h, "kind", {"1.5"}), "undefined");  // no method: sys/multi-call raises
  h.run("(defmethod kind {default} len)");
  EXPECT_EQ(fast_pick(h, "kind", {"1.5"}), "<builtin len>");
  // Not as many arguments as the dispatch function has parameters: its own error, by the call.
  EXPECT_EQ(fast_pick(h, "kind", {"1", "2"}), "undefined");
  // (type p) on the second parameter
  h.run("(defmulti {second} (\\ {a b} {type b}))\n(defmethod second {String} len)");
  EXPECT_EQ(fast_pick(h, "second", {"1", "\"s\""}), "<builtin len>");
  EXPECT_EQ(fast_pick(h, "second", {"\"s\"", "1"}), "undefined");
}

TEST(Multimethod, OtherDispatchFunctionsAreRun) {
  Harness h;
  h.run("(def {one} (\\ {& xs} {1}))\n"
        "(defmulti {a} (\\ {v} {len v}))\n(defmethod a {1} one)\n"
        "(defmulti {b} (\\ {v} {do (type v)}))\n(defmethod b {Integer} one)\n"
        "(defmulti {c} (\\ {& vs} {type (eval (head vs))}))\n(defmethod c {Integer} one)\n"
        "(defmulti {d} type)\n(defmethod d {Integer} one)");
  EXPECT_EQ(fast_pick(h, "a", {"{1}"}), "undefined");
  EXPECT_EQ(fast_pick(h, "b", {"1"}), "undefined");
  EXPECT_EQ(fast_pick(h, "c", {"1"}), "undefined");
  EXPECT_EQ(fast_pick(h, "d", {"1"}), "undefined");
  EXPECT_EQ(h.eval("(list (a {1}) (b 5) (c 1) (d 7))"), "{1 1 1 1}");
}

// Once some function can bind `type` (dynamic scope: the dispatch function would find it), or
// `type` is rebound, the dispatch function runs again.
TEST(Multimethod, TypeBoundOrRebound) {
  Harness h;
  h.run("(defmulti {kind} (\\ {v} {type v}))\n(defmethod kind {Integer} len)");
  EXPECT_EQ(fast_pick(h, "kind", {"1"}), "<builtin len>");
  h.run("(fun {with-type type v} {kind v})");
  EXPECT_EQ(fast_pick(h, "kind", {"1"}), "undefined");

  Harness g;
  g.run("(defmulti {kind} (\\ {v} {type v}))\n(defmethod kind {Integer} len)");
  g.run("(def {type} (\\ {v} {v}))");
  EXPECT_EQ(fast_pick(g, "kind", {"1"}), "undefined");
}

}  // namespace
}  // namespace valk
