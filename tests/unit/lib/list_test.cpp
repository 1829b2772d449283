// list_test.cpp: the list builtins of lib/list.cpp: list, head, tail, init, cons, join, len,
// range and repeat, with their error messages.
#include <gtest/gtest.h>

#include "../vm/harness.h"

namespace valk {
namespace {

using test::Harness;

TEST(ListBuiltins, List) {
  Harness h;
  EXPECT_EQ(h.eval("(list 1 \"a\" {b})"), "{1 \"a\" {b}}");
  EXPECT_EQ(h.eval("(list (+ 1 2) (list))"), "{3 <builtin list>}");
  EXPECT_EQ(h.eval("(unpack list {})"), "<builtin list>");
  EXPECT_EQ(h.show(h.vm().call(h.vm().sym("list")->global, {})), "{}");
}

TEST(ListBuiltins, HeadAndTail) {
  Harness h;
  EXPECT_EQ(h.eval("(head {1 2 3})"), "{1}");
  EXPECT_EQ(h.eval("(head {{1 2} 3})"), "{{1 2}}");
  EXPECT_EQ(h.eval("(tail {1 2 3})"), "{2 3}");
  EXPECT_EQ(h.eval("(tail {1})"), "{}");
  EXPECT_EQ(h.message("(head {})"), "head: expected a non-empty Q-expression, got {}");
  EXPECT_EQ(h.message("(tail {})"), "tail: expected a non-empty Q-expression, got {}");
  EXPECT_EQ(h.message("(head 1)"), "head: argument 1 must be a Q-expression, got Integer");
  EXPECT_EQ(h.message("(tail \"abc\")"), "tail: argument 1 must be a Q-expression, got String");
  EXPECT_EQ(h.message("(head {1} {2})"), "head: More arguments were given than required. Actual: 2, Expected: 1");
}

TEST(ListBuiltins, Init) {
  Harness h;
  EXPECT_EQ(h.eval("(init {1 2 3})"), "{1 2}");
  EXPECT_EQ(h.eval("(init {1})"), "{}");
  EXPECT_EQ(h.message("(init {})"), "init: expected a non-empty Q-expression, got {}");
  EXPECT_EQ(h.message("(init 5)"), "init: argument 1 must be a Q-expression, got Integer");
}

TEST(ListBuiltins, Cons) {
  Harness h;
  EXPECT_EQ(h.eval("(cons 1 {2 3})"), "{1 2 3}");
  EXPECT_EQ(h.eval("(cons {1} {})"), "{{1}}");
  EXPECT_EQ(h.message("(cons 1 2)"), "cons: argument 2 must be a Q-expression, got Integer");
  EXPECT_EQ(h.message("(cons 1)"), "cons: Fewer arguments were given than required. Actual: 1, Expected: 2");
}

TEST(ListBuiltins, Join) {
  Harness h;
  EXPECT_EQ(h.eval("(join {1} {2 3} {})"), "{1 2 3}");
  EXPECT_EQ(h.eval("(join {1})"), "{1}");
  EXPECT_EQ(h.eval("(join {} {})"), "{}");
  EXPECT_EQ(h.eval("(join {} {} {4})"), "{4}");
  EXPECT_EQ(h.message("(join {1} 2)"), "join: argument 2 must be a Q-expression, got Integer");
  EXPECT_EQ(h.message("(join 1)"), "join: argument 1 must be a Q-expression, got Integer");
  EXPECT_EQ(h.message("(join {1} {2} \"3\")"), "join: argument 3 must be a Q-expression, got String");
}

TEST(ListBuiltins, JoinSharesButNeverChangesItsArguments) {
  Harness h;
  EXPECT_EQ(h.eval("(def {xs} {1 2}) (def {ys} {3}) (def {zs} (join xs ys)) (def {ws} (join xs {9})) (list xs ys zs ws)"),
            "{{1 2} {3} {1 2 3} {1 2 9}}");
}

TEST(ListBuiltins, Len) {
  Harness h;
  EXPECT_EQ(h.eval("(len {1 2 3})"), "3");
  EXPECT_EQ(h.eval("(len {})"), "0");
  EXPECT_EQ(h.eval("(len \"\")"), "0");
  EXPECT_EQ(h.eval("(len \"h\xC3\xA9llo\")"), "6");  // bytes
  EXPECT_EQ(h.eval("(len {{1 2} {3}})"), "2");
  EXPECT_EQ(h.message("(len 5)"), "len: argument 1 must be a Q-expression, a String, a Dict or a Table, got Integer");
}

TEST(ListBuiltins, Range) {
  Harness h;
  EXPECT_EQ(h.eval("(range 1 4)"), "{1 2 3}");
  EXPECT_EQ(h.eval("(range 4 1)"), "{}");
  EXPECT_EQ(h.eval("(range 3 3)"), "{}");
  EXPECT_EQ(h.eval("(range -2 1)"), "{-2 -1 0}");
  EXPECT_EQ(h.eval("(range 4611686018427387902 4611686018427387905)"),
            "{4611686018427387902 4611686018427387903 4611686018427387904}");
  EXPECT_EQ(h.eval("(len (range 0 100000))"), "100000");
  EXPECT_EQ(h.message("(range 1 \"a\")"), "range: argument 2 must be an Integer, got String");
  EXPECT_EQ(h.message("(range {} 1)"), "range: argument 1 must be an Integer, got Q-expression");
}

TEST(ListBuiltins, RangeLargerThanMemoryIsAnError) {
  Harness h;
  EXPECT_EQ(h.message("(range 0 100000000000000)"), "out of memory");
  EXPECT_EQ(h.message("(range -9223372036854775808 9223372036854775807)"), "out of memory");
  EXPECT_EQ(h.eval("(range 0 2)"), "{0 1}");
}

TEST(ListBuiltins, Repeat) {
  Harness h;
  EXPECT_EQ(h.eval("(repeat (\\ {i} {print i}) 3)"), "{}");
  EXPECT_EQ(h.out(), "0\n1\n2\n");
  EXPECT_EQ(h.eval("(repeat (\\ {i} {print i}) 0)"), "{}");
  EXPECT_EQ(h.eval("(repeat print -2)"), "{}");
  EXPECT_EQ(h.out(), "");
  EXPECT_EQ(h.eval("(def {acc} 0) (repeat (\\ {i} {def {acc} (+ acc i)}) 101) acc"), "5050");
  EXPECT_EQ(h.eval("(repeat ((\\ {a i} {print a i}) \"p\") 2)"), "{}");
  EXPECT_EQ(h.out(), "p 0\np 1\n");
}

TEST(ListBuiltins, RepeatErrors) {
  Harness h;
  EXPECT_EQ(h.message("(repeat 1 2)"), "repeat: argument 1 must be a Function, got Integer");
  EXPECT_EQ(h.message("(repeat print \"a\")"), "repeat: argument 2 must be an Integer, got String");
  auto e = h.error("(repeat (\\ {i} {if (== i 2) {error \"stop\"} {print i}}) 5)");
  EXPECT_EQ(e.message, "stop");
  EXPECT_EQ(h.out(), "0\n1\n");
  EXPECT_EQ(h.eval("(repeat (\\ {a b} {a}) 1)"), "{}");  // (f 0) is a partial: no error
}

}  // namespace
}  // namespace valk
