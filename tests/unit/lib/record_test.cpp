// record_test.cpp: lib/record.cpp and the Record row of value/types.cpp: records survive
// collections with their fields (gc/trace.h), print, compare and hash by type and fields, and the
// internal builtins refuse to work once rebound.
#include <gtest/gtest.h>

#include "../vm/harness.h"
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

}  // namespace
}  // namespace valk
