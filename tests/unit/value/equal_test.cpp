// equal_test.cpp: structural equality (equal.cpp): integers, strings, symbols, lists of each
// kind, functions, errors, floats in both forms, and lists a million levels deep compared without
// recursion.
#include "value/equal.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "read/reader.h"
#include "value/make.h"
#include "value/print.h"
#include "vm/vm.h"

namespace valk {
namespace {

VmConfig bare_config() {
  VmConfig config;
  config.load_prelude = false;
  return config;
}

class EqualTest : public ::testing::Test {
 protected:
  VM vm{bare_config()};
  Heap& heap = vm.heap();
  Value run(std::string_view text) {
    Value v = vm.run_source(text, "equal_test.valk");
    EXPECT_FALSE(is_error(v)) << vm.describe_error(v);
    return v;
  }
  // The first form of `text`, read (not evaluated).
  Value read1(std::string_view text) {
    ReadResult r = read_forms(heap, vm.symbols(), ReadInput{text, 0, 1, false});
    EXPECT_TRUE(r.ok) << r.error.message;
    return r.ok ? car(r.forms) : Value::undefined();
  }
  Value qlist(std::vector<Value> items) { return make_list(heap, items, true); }
  Value slist(std::vector<Value> items) { return make_list(heap, items, false); }
};

TEST_F(EqualTest, Fixnums) {
  EXPECT_TRUE(values_equal(Value::fixnum(3), Value::fixnum(3)));
  EXPECT_FALSE(values_equal(Value::fixnum(3), Value::fixnum(4)));
  EXPECT_FALSE(values_equal(Value::fixnum(0), Value::nil()));
  EXPECT_FALSE(values_equal(Value::nil(), Value::fixnum(0)));
}

TEST_F(EqualTest, BoxedIntegersByValue) {
  Value a = make_int(heap, INT64_MAX);
  Value b = make_int(heap, INT64_MAX);
  ASSERT_NE(a, b);  // two boxes
  EXPECT_TRUE(values_equal(a, b));
  EXPECT_FALSE(values_equal(a, make_int(heap, INT64_MAX - 1)));
  EXPECT_FALSE(values_equal(a, Value::fixnum(1)));
}

TEST_F(EqualTest, BoxAndFixnumOfTheSameValueAreEqual) {
  // make_int never boxes a small integer, but equality must not depend on the representation.
  auto* box = static_cast<BoxedInt*>(heap.alloc(sizeof(BoxedInt), ObjType::kInt));
  box->value = 12;
  EXPECT_TRUE(values_equal(Value::object(box), Value::fixnum(12)));
  EXPECT_TRUE(values_equal(Value::fixnum(12), Value::object(box)));
}

// Flonums (value.h) and boxed floats (-0.0, subnormals, inf, nan, huge and tiny magnitudes)
// compare and hash as numbers: the same as the integer they equal, whatever their form.
TEST_F(EqualTest, FlonumsAndBoxedFloatsAgreeWithIntegers) {
  Value one_f = make_float(heap, 1.0), zero_f = make_float(heap, 0.0), neg_zero = make_float(heap, -0.0);
  ASSERT_TRUE(one_f.is_flonum());
  ASSERT_TRUE(zero_f.is_flonum());
  ASSERT_TRUE(is_obj(neg_zero, ObjType::kFloat));
  EXPECT_TRUE(values_equal(one_f, Value::fixnum(1)));
  EXPECT_EQ(hash_value(one_f), hash_value(Value::fixnum(1)));
  EXPECT_TRUE(values_equal(neg_zero, zero_f));
  EXPECT_TRUE(values_equal(neg_zero, Value::fixnum(0)));
  EXPECT_EQ(hash_value(neg_zero), hash_value(Value::fixnum(0)));
  EXPECT_EQ(hash_value(zero_f), hash_value(Value::fixnum(0)));
  EXPECT_FALSE(values_equal(make_float(heap, 1.5), Value::fixnum(1)));
}

TEST_F(EqualTest, BoxedFloatsByValueAndNanEqualsNan) {
  Value a = make_float(heap, 1e300), b = make_float(heap, 1e300);
  ASSERT_NE(a, b);  // two boxes
  EXPECT_TRUE(values_equal(a, b));
  EXPECT_EQ(hash_value(a), hash_value(b));
  Value n1 = make_float(heap, NAN), n2 = make_float(heap, -NAN);
  EXPECT_TRUE(values_equal(n1, n2));
  EXPECT_EQ(hash_value(n1), hash_value(n2));
  Value tiny = make_float(heap, 5e-324);
  EXPECT_TRUE(values_equal(tiny, make_float(heap, 5e-324)));
  EXPECT_FALSE(values_equal(tiny, make_float(heap, 0.0)));
}

TEST_F(EqualTest, NumbersDeepInListsHashAlike) {
  // Past the hash's depth limit numbers still hash by value, so equal lists hash equal.
  Value a = qlist({make_float(heap, -0.0)}), b = qlist({Value::fixnum(0)});
  for (int i = 0; i < 12; ++i) {
    a = qlist({a});
    b = qlist({b});
  }
  EXPECT_TRUE(values_equal(a, b));
  EXPECT_EQ(hash_value(a), hash_value(b));
}

TEST_F(EqualTest, StringsByBytes) {
  Value a = make_string(heap, "abc");
  Value b = make_string(heap, "abc");
  EXPECT_TRUE(values_equal(a, b));
  EXPECT_FALSE(values_equal(a, make_string(heap, "abd")));
  EXPECT_FALSE(values_equal(a, make_string(heap, "ab")));
  EXPECT_TRUE(values_equal(make_string(heap, ""), make_string(heap, "")));
  EXPECT_FALSE(values_equal(make_string(heap, std::string("a\0b", 3)), make_string(heap, "a")));
}

TEST_F(EqualTest, StringIsNotSymbol) {
  EXPECT_FALSE(values_equal(make_string(heap, "a"), Value::object(vm.sym("a"))));
}

TEST_F(EqualTest, SymbolsByIdentityOfTheInternedName) {
  EXPECT_TRUE(values_equal(Value::object(vm.sym("x")), Value::object(vm.sym("x"))));
  EXPECT_FALSE(values_equal(Value::object(vm.sym("x")), Value::object(vm.sym("y"))));
}

TEST_F(EqualTest, EmptyQIsNotEmptyS) {
  EXPECT_FALSE(values_equal(Value::nil(), Value::empty_sexpr()));
  EXPECT_TRUE(values_equal(Value::nil(), Value::nil()));
  EXPECT_TRUE(values_equal(Value::empty_sexpr(), Value::empty_sexpr()));
}

TEST_F(EqualTest, ListsElementByElement) {
  Value a = qlist({Value::fixnum(1), make_string(heap, "s"), Value::nil()});
  Value b = qlist({Value::fixnum(1), make_string(heap, "s"), Value::nil()});
  EXPECT_TRUE(values_equal(a, b));
  EXPECT_FALSE(values_equal(a, qlist({Value::fixnum(1), make_string(heap, "s"), Value::empty_sexpr()})));
  EXPECT_FALSE(values_equal(a, qlist({Value::fixnum(2), make_string(heap, "s"), Value::nil()})));
}

TEST_F(EqualTest, ListsOfDifferentKindAreDifferent) {
  EXPECT_FALSE(
      values_equal(qlist({Value::fixnum(1), Value::fixnum(2)}), slist({Value::fixnum(1), Value::fixnum(2)})));
}

TEST_F(EqualTest, ListsOfDifferentLengthAreDifferent) {
  Value shorter = qlist({Value::fixnum(1), Value::fixnum(2)});
  Value longer = qlist({Value::fixnum(1), Value::fixnum(2), Value::fixnum(3)});
  EXPECT_FALSE(values_equal(shorter, longer));
  EXPECT_FALSE(values_equal(longer, shorter));
  EXPECT_FALSE(values_equal(Value::nil(), longer));
}

TEST_F(EqualTest, NestedLists) {
  Value l = read1("{{1 {2 (3 {})} \"x\"} {1 {2 (3 {})} \"x\"} {1 {2 (3 ())} \"x\"}}");
  ASSERT_EQ(list_length(l), 3u);
  Value a = car(l), b = car(cdr(l)), c = car(cdr(cdr(l)));
  EXPECT_TRUE(values_equal(a, b));
  EXPECT_FALSE(values_equal(a, c));
}

TEST_F(EqualTest, ReadListEqualsBuiltList) {
  Value read = read1("{1 2 3}");
  EXPECT_TRUE(values_equal(read, qlist({Value::fixnum(1), Value::fixnum(2), Value::fixnum(3)})));
}

TEST_F(EqualTest, BuiltinsByIdentity) {
  EXPECT_TRUE(values_equal(vm.sym("+")->global, vm.sym("+")->global));
  EXPECT_FALSE(values_equal(vm.sym("+")->global, vm.sym("-")->global));
}

TEST_F(EqualTest, LambdasByFormalsAndBody) {
  Value l = run("(list (\\ {x} {+ x 1}) (\\ {x} {+ x 1}) (\\ {x} {+ x 2}) (\\ {y} {+ x 1}))");
  ASSERT_EQ(list_length(l), 4u);
  Value f = car(l), g = car(cdr(l)), other_body = car(cdr(cdr(l))), other_formals = car(cdr(cdr(cdr(l))));
  ASSERT_TRUE(is_closure(f));
  ASSERT_NE(f, g);
  EXPECT_TRUE(values_equal(f, g));
  EXPECT_FALSE(values_equal(f, other_body));
  EXPECT_FALSE(values_equal(f, other_formals));
  EXPECT_FALSE(values_equal(f, vm.sym("+")->global));
}

TEST_F(EqualTest, PartialsByFunctionAndBoundArguments) {
  Value l =
      run("(list ((\\ {x y z} {x}) 1) ((\\ {x y z} {x}) 1) ((\\ {x y z} {x}) 2) "
          "((\\ {x y z} {x}) 1 2))");
  ASSERT_EQ(list_length(l), 4u);
  Value a = car(l), b = car(cdr(l)), other_arg = car(cdr(cdr(l))), more_args = car(cdr(cdr(cdr(l))));
  ASSERT_TRUE(is_partial(a));
  EXPECT_TRUE(values_equal(a, b));
  EXPECT_FALSE(values_equal(a, other_arg));
  EXPECT_FALSE(values_equal(a, more_args));
  EXPECT_FALSE(values_equal(more_args, a));
}

TEST_F(EqualTest, ErrorsByMessage) {
  EXPECT_TRUE(values_equal(make_error(heap, "e1"), make_error(heap, "e1")));
  EXPECT_FALSE(values_equal(make_error(heap, "e1"), make_error(heap, "e2")));
  EXPECT_FALSE(values_equal(make_error(heap, "e1"), make_string(heap, "e1")));
}

TEST_F(EqualTest, SameObjectIsEqual) {
  Value l = qlist({Value::fixnum(1)});
  EXPECT_TRUE(values_equal(l, l));
}

// Builds a list nested `depth` levels around `leaf`, alternating bracket kinds.
Value deep_list(Heap& heap, int depth, Value leaf) {
  Value v = leaf;
  for (int i = 0; i < depth; ++i) {
    bool quoted = i % 2 == 0;
    v = make_cons(heap, v, quoted ? Value::nil() : Value::empty_sexpr(), quoted);
  }
  return v;
}

TEST_F(EqualTest, MillionDeepListsCompareWithoutRecursion) {
  constexpr int kDepth = 1'000'000;
  Value a = deep_list(heap, kDepth, Value::fixnum(1));
  Value b = deep_list(heap, kDepth, Value::fixnum(1));
  Value c = deep_list(heap, kDepth, Value::fixnum(2));  // differs only at the innermost leaf
  Value d = deep_list(heap, kDepth - 1, Value::fixnum(1));
  EXPECT_TRUE(values_equal(a, b));
  EXPECT_FALSE(values_equal(a, c));
  EXPECT_FALSE(values_equal(a, d));
}

TEST_F(EqualTest, MillionLongListsCompare) {
  constexpr int kLength = 1'000'000;
  Value a = Value::nil(), b = Value::nil();
  for (int i = 0; i < kLength; ++i) {
    a = make_cons(heap, Value::fixnum(i), a, true);
    b = make_cons(heap, Value::fixnum(i), b, true);
  }
  EXPECT_TRUE(values_equal(a, b));
  Value c = make_cons(heap, Value::fixnum(0), cdr(a), true);  // first element differs
  EXPECT_FALSE(values_equal(a, c));
}

}  // namespace
}  // namespace valk
