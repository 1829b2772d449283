// make_test.cpp: the heap constructors of make.cpp (integers boxed past 63 bits, strings, cells,
// lists, errors) and ListBuilder.
#include "value/make.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "value/print.h"

namespace valk {
namespace {

class MakeTest : public ::testing::Test {
 protected:
  Heap heap{HeapConfig{limits::kDefaultNurseryBytes, 0, false, false}};
};

TEST_F(MakeTest, SmallIntegersAreFixnums) {
  for (int64_t i : {int64_t(0), int64_t(-1), int64_t(1) << 40, Value::kFixnumMax, Value::kFixnumMin}) {
    Value v = make_int(heap, i);
    EXPECT_TRUE(v.is_fixnum()) << i;
    EXPECT_EQ(int_value(v), i);
  }
}

TEST_F(MakeTest, CommonFloatsAreFlonumsTheRestBoxed) {
  for (double d : {0.0, 1.0, -2.5, 1e9, 1e-9, 6.02e23, 1e76, -1e-76}) {
    Value v = make_float(heap, d);
    EXPECT_TRUE(v.is_flonum()) << d;
    EXPECT_TRUE(is_float(v)) << d;
    EXPECT_FALSE(is_int(v)) << d;
    EXPECT_EQ(float_value(v), d);
    EXPECT_EQ(type_name(v), std::string("Float"));
  }
  for (double d : {-0.0, 1e78, -1e-78, 1e300, 5e-324, std::numeric_limits<double>::min(), double(INFINITY),
                   -double(INFINITY)}) {
    Value v = make_float(heap, d);
    ASSERT_TRUE(is_obj(v, ObjType::kFloat)) << d;
    EXPECT_TRUE(is_float(v)) << d;
    EXPECT_EQ(float_value(v), d);
    EXPECT_EQ(std::signbit(float_value(v)), std::signbit(d)) << d;
    EXPECT_EQ(type_name(v), std::string("Float"));
  }
  Value n = make_float(heap, NAN);
  ASSERT_TRUE(is_obj(n, ObjType::kFloat));
  EXPECT_TRUE(std::isnan(float_value(n)));
}

TEST_F(MakeTest, FlonumsAndBoxedFloatsPrintAlike) {
  EXPECT_EQ(readable(make_float(heap, 1.5)), "1.5");
  EXPECT_EQ(readable(make_float(heap, 0.0)), "0.0");
  EXPECT_EQ(readable(make_float(heap, -0.0)), "-0.0");
  EXPECT_EQ(readable(make_float(heap, 1e300)), "1e+300");
  EXPECT_EQ(readable(make_float(heap, NAN)), "nan");
  std::vector<Value> items{make_float(heap, 0.25), make_float(heap, 5e-324)};
  EXPECT_EQ(display(make_list(heap, items, true)), "{0.25 5e-324}");
}

TEST_F(MakeTest, IntegersAroundTwoToThe62AreBoxedPastTheFixnumRange) {
  const int64_t two62 = int64_t(1) << 62;
  Value max_fix = make_int(heap, two62 - 1);
  Value first_boxed = make_int(heap, two62);
  Value min_fix = make_int(heap, -two62);
  Value below = make_int(heap, -two62 - 1);
  EXPECT_TRUE(max_fix.is_fixnum());
  EXPECT_TRUE(min_fix.is_fixnum());
  ASSERT_TRUE(is_obj(first_boxed, ObjType::kInt));
  ASSERT_TRUE(is_obj(below, ObjType::kInt));
  EXPECT_EQ(int_value(first_boxed), two62);
  EXPECT_EQ(int_value(below), -two62 - 1);
  EXPECT_TRUE(is_int(first_boxed));
  EXPECT_EQ(type_name(first_boxed), std::string("Integer"));
}

TEST_F(MakeTest, IntegersAtTwoToThe63Limits) {
  Value max = make_int(heap, INT64_MAX);
  Value min = make_int(heap, INT64_MIN);
  ASSERT_TRUE(is_obj(max, ObjType::kInt));
  ASSERT_TRUE(is_obj(min, ObjType::kInt));
  EXPECT_EQ(int_value(max), INT64_MAX);
  EXPECT_EQ(int_value(min), INT64_MIN);
  EXPECT_EQ(readable(max), "9223372036854775807");
  EXPECT_EQ(readable(min), "-9223372036854775808");
}

TEST_F(MakeTest, BoxedIntegersAreYoungObjects) {
  Value v = make_int(heap, INT64_MAX - 5);
  EXPECT_TRUE(Heap::is_young(v));
  EXPECT_EQ(v.obj()->type, ObjType::kInt);
}

TEST_F(MakeTest, StringKeepsBytesAndLength) {
  Value s = make_string(heap, "hello");
  ASSERT_TRUE(is_string(s));
  EXPECT_EQ(s.as<String>()->view(), "hello");
  EXPECT_EQ(s.as<String>()->length, 5u);
  EXPECT_EQ(s.as<String>()->data()[5], '\0');  // NUL-terminated for C APIs
}

TEST_F(MakeTest, EmptyString) {
  Value s = make_string(heap, "");
  ASSERT_TRUE(is_string(s));
  EXPECT_EQ(s.as<String>()->length, 0u);
  EXPECT_EQ(s.as<String>()->data()[0], '\0');
}

TEST_F(MakeTest, StringWithEmbeddedNulBytes) {
  std::string bytes("a\0b\0", 4);
  Value s = make_string(heap, bytes);
  EXPECT_EQ(s.as<String>()->length, 4u);
  EXPECT_EQ(std::string(s.as<String>()->view()), bytes);
}

TEST_F(MakeTest, ConsFlagsFollowTheKind) {
  Value q = make_cons(heap, Value::fixnum(1), Value::nil(), true);
  Value s = make_cons(heap, Value::fixnum(1), Value::empty_sexpr(), false);
  EXPECT_EQ(q.obj()->flags, consflag::kQuoted);
  EXPECT_EQ(s.obj()->flags, 0);
  EXPECT_EQ(car(q), Value::fixnum(1));
  EXPECT_TRUE(cdr(q).is_nil());
}

TEST_F(MakeTest, SourceConsRecordsPositionAndNoCode) {
  SrcPos pos = SrcPos::make(2, 3, 4);
  Value c = make_source_cons(heap, Value::fixnum(9), Value::empty_sexpr(), false, pos);
  EXPECT_TRUE(is_scons(c));
  EXPECT_TRUE(c.obj()->flags & consflag::kHasSource);
  EXPECT_FALSE(c.obj()->flags & consflag::kQuoted);
  EXPECT_TRUE(c.as<SourceCons>()->pos == pos);
  EXPECT_TRUE(c.as<SourceCons>()->code.is_undefined());
  Value q = make_source_cons(heap, Value::fixnum(9), Value::nil(), true, pos);
  EXPECT_EQ(q.obj()->flags, consflag::kQuoted | consflag::kHasSource);
}

TEST_F(MakeTest, MakeListOfNothingIsTheEmptyList) {
  EXPECT_TRUE(make_list(heap, {}, true).is_nil());
  EXPECT_TRUE(make_list(heap, {}, false).is_empty_sexpr());
}

TEST_F(MakeTest, MakeListKeepsOrderAndKind) {
  std::vector<Value> items = {Value::fixnum(1), Value::fixnum(2), Value::fixnum(3)};
  Value q = make_list(heap, items, true);
  Value s = make_list(heap, items, false);
  EXPECT_EQ(readable(q), "{1 2 3}");
  EXPECT_EQ(readable(s), "(1 2 3)");
  EXPECT_EQ(list_length(q), 3u);
  for (Value c = q; is_cons(c); c = cdr(c)) EXPECT_TRUE(is_qcons(c));
  for (Value c = s; is_cons(c); c = cdr(c)) EXPECT_TRUE(is_scons(c));
}

TEST_F(MakeTest, ErrorCarriesOnlyItsMessage) {
  Value e = make_error(heap, "Division By Zero");
  ASSERT_TRUE(is_error(e));
  auto* err = e.as<ErrorObj>();
  EXPECT_EQ(err->message.as<String>()->view(), "Division By Zero");
  EXPECT_FALSE(err->pos.known());
  EXPECT_TRUE(err->trace.is_nil());
  EXPECT_EQ(err->flags, 0);
}

TEST_F(MakeTest, ErrorMessageIsNotAFormatString) {
  Value e = make_error(heap, "100%s %d");
  EXPECT_EQ(e.as<ErrorObj>()->message.as<String>()->view(), "100%s %d");
}

TEST_F(MakeTest, ListBuilderEmptyFinishesWithTheEmptyListOfItsKind) {
  ListBuilder q(heap, true);
  EXPECT_TRUE(q.finish().is_nil());
  ListBuilder s(heap, false);
  EXPECT_TRUE(s.finish().is_empty_sexpr());
}

TEST_F(MakeTest, ListBuilderBuildsFrontToBack) {
  ListBuilder b(heap, true);
  for (int i = 1; i <= 5; ++i) b.push(Value::fixnum(i));
  EXPECT_EQ(readable(b.finish()), "{1 2 3 4 5}");
}

TEST_F(MakeTest, ListBuilderSharesTheRest) {
  std::vector<Value> tail_items = {Value::fixnum(3), Value::fixnum(4)};
  Value rest = make_list(heap, tail_items, true);
  ListBuilder b(heap, true);
  b.push(Value::fixnum(1));
  b.push(Value::fixnum(2));
  Value list = b.finish(rest);
  EXPECT_EQ(readable(list), "{1 2 3 4}");
  EXPECT_EQ(cdr(cdr(list)), rest);  // shared, not copied
}

TEST_F(MakeTest, ListBuilderWithNothingPushedReturnsTheRest) {
  Value rest = make_list(heap, std::vector<Value>{Value::fixnum(1)}, true);
  ListBuilder b(heap, true);
  EXPECT_EQ(b.finish(rest), rest);
}

TEST_F(MakeTest, AllocationsAreCountedInStats) {
  uint64_t before = heap.stats().bytes_allocated;
  make_cons(heap, Value::fixnum(1), Value::nil(), true);
  EXPECT_EQ(heap.stats().bytes_allocated - before, sizeof(Cons));
  before = heap.stats().bytes_allocated;
  make_int(heap, 5);  // a fixnum: nothing allocated
  EXPECT_EQ(heap.stats().bytes_allocated, before);
  make_int(heap, INT64_MAX);
  EXPECT_EQ(heap.stats().bytes_allocated - before, sizeof(BoxedInt));
}

}  // namespace
}  // namespace valk
