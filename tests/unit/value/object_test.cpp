// object_test.cpp: the object layouts and inline helpers of object.h (list and type predicates,
// list_length, cell_pos, int_value), on values built on a bare heap.
#include "value/object.h"

#include <gtest/gtest.h>

#include "gc/heap.h"
#include "value/make.h"

namespace valk {
namespace {

class ObjectTest : public ::testing::Test {
 protected:
  Heap heap{HeapConfig{limits::kDefaultNurseryBytes, 0, false, false}};
};

TEST_F(ObjectTest, LayoutsHaveTheirDocumentedSizes) {
  static_assert(sizeof(Object) == 8);
  static_assert(sizeof(Cons) == 24);
  static_assert(sizeof(SourceCons) == 40);
  static_assert(sizeof(BoxedInt) == 16);
  static_assert(sizeof(String) == 16);
  static_assert(sizeof(Closure) == 24);
  static_assert(sizeof(ErrorObj) == 48);
  SUCCEED();
}

TEST_F(ObjectTest, ListPredicatesOnImmediates) {
  EXPECT_TRUE(is_qexpr(Value::nil()));
  EXPECT_FALSE(is_sexpr(Value::nil()));
  EXPECT_TRUE(is_sexpr(Value::empty_sexpr()));
  EXPECT_FALSE(is_qexpr(Value::empty_sexpr()));
  EXPECT_TRUE(is_list(Value::nil()));
  EXPECT_TRUE(is_list(Value::empty_sexpr()));
  EXPECT_FALSE(is_list(Value::fixnum(1)));
  EXPECT_FALSE(is_cons(Value::nil()));
  EXPECT_FALSE(is_list(Value::undefined()));
}

TEST_F(ObjectTest, ListPredicatesOnCells) {
  Value q = make_cons(heap, Value::fixnum(1), Value::nil(), true);
  Value s = make_cons(heap, Value::fixnum(1), Value::empty_sexpr(), false);
  EXPECT_TRUE(is_cons(q));
  EXPECT_TRUE(is_qcons(q));
  EXPECT_FALSE(is_scons(q));
  EXPECT_TRUE(is_qexpr(q));
  EXPECT_FALSE(is_sexpr(q));
  EXPECT_TRUE(is_scons(s));
  EXPECT_TRUE(is_sexpr(s));
  EXPECT_FALSE(is_qexpr(s));
  EXPECT_TRUE(is_list(q));
  EXPECT_TRUE(is_list(s));
}

TEST_F(ObjectTest, TypePredicates) {
  Value str = make_string(heap, "x");
  Value big = make_int(heap, INT64_MAX);
  Value err = make_error(heap, "e");
  EXPECT_TRUE(is_string(str));
  EXPECT_FALSE(is_symbol(str));
  EXPECT_TRUE(is_int(big));
  EXPECT_TRUE(is_int(Value::fixnum(3)));
  EXPECT_FALSE(is_int(str));
  EXPECT_FALSE(is_int(Value::nil()));
  EXPECT_TRUE(is_error(err));
  EXPECT_FALSE(is_error(str));
  EXPECT_FALSE(is_function(str));
  EXPECT_FALSE(is_function(Value::fixnum(1)));
  EXPECT_FALSE(is_closure(Value::nil()));
  EXPECT_FALSE(is_obj(Value::fixnum(0), ObjType::kInt));
}

TEST_F(ObjectTest, IntValueReadsFixnumsAndBoxes) {
  EXPECT_EQ(int_value(Value::fixnum(-12)), -12);
  EXPECT_EQ(int_value(make_int(heap, INT64_MIN)), INT64_MIN);
  EXPECT_EQ(int_value(make_int(heap, INT64_MAX)), INT64_MAX);
}

TEST_F(ObjectTest, CarAndCdr) {
  Value inner = make_cons(heap, Value::fixnum(2), Value::nil(), true);
  Value list = make_cons(heap, Value::fixnum(1), inner, true);
  EXPECT_EQ(car(list), Value::fixnum(1));
  EXPECT_EQ(cdr(list), inner);
  EXPECT_EQ(car(cdr(list)), Value::fixnum(2));
  EXPECT_TRUE(cdr(cdr(list)).is_nil());
}

TEST_F(ObjectTest, ListLength) {
  EXPECT_EQ(list_length(Value::nil()), 0u);
  EXPECT_EQ(list_length(Value::empty_sexpr()), 0u);
  EXPECT_EQ(list_length(Value::fixnum(7)), 0u);
  Value list = Value::nil();
  for (int i = 0; i < 1000; ++i) list = make_cons(heap, Value::fixnum(i), list, true);
  EXPECT_EQ(list_length(list), 1000u);
}

TEST_F(ObjectTest, ListLengthStopsAtFirstNonCell) {
  Value tail = make_cons(heap, Value::fixnum(2), Value::fixnum(3), true);  // improper end
  Value list = make_cons(heap, Value::fixnum(1), tail, true);
  EXPECT_EQ(list_length(list), 2u);
}

TEST_F(ObjectTest, CellPosOfPlainCellIsUnknown) {
  Value c = make_cons(heap, Value::fixnum(1), Value::nil(), true);
  EXPECT_FALSE(cell_pos(c).known());
}

TEST_F(ObjectTest, CellPosOfSourceCell) {
  SrcPos pos = SrcPos::make(3, 14, 15);
  Value c = make_source_cons(heap, Value::fixnum(1), Value::nil(), true, pos);
  EXPECT_TRUE(cell_pos(c) == pos);
  EXPECT_EQ(cell_pos(c).line(), 14u);
}

}  // namespace
}  // namespace valk
