// types_test.cpp: the per-type rows (types.cpp): one row per type in order, the hooks the
// printer, equality, hashing and the collector use, and floats' hashing consistent with ==.
#include "value/types.h"

#include <gtest/gtest.h>

#include <cmath>

#include "config/limits.h"
#include "value/equal.h"
#include "value/make.h"
#include "value/print.h"

namespace valk {
namespace {

class TypesTest : public ::testing::Test {
 protected:
  Heap heap{HeapConfig{limits::kDefaultNurseryBytes, 0, false, false}};
};

TEST_F(TypesTest, EveryTypeHasANamedRowInEnumOrder) {
  for (size_t i = 0; i < size_t(ObjType::kCount); ++i) {
    EXPECT_EQ(size_t(kTypeInfo[i].type), i);
    ASSERT_NE(kTypeInfo[i].name, nullptr);
  }
  EXPECT_STREQ(type_info(ObjType::kFloat).name, "Float");
  EXPECT_STREQ(type_name(make_float(heap, 1.5)), "Float");
}

TEST_F(TypesTest, SizeHookGivesTheHeapSize) {
  Value f = make_float(heap, 1e300);  // boxed: 2.0 would be held in the word (a flonum)
  ASSERT_TRUE(f.is_object());
  EXPECT_EQ(Heap::object_size(f.obj()), sizeof(BoxedFloat));
  Value s = make_string(heap, "hello");
  EXPECT_EQ(Heap::object_size(s.obj()), Heap::round_size(sizeof(String) + 6));
}

TEST_F(TypesTest, FloatsPrintInShortestRoundTripForm) {
  auto p = [](double d) {
    std::string s;
    print_float(s, d);
    return s;
  };
  EXPECT_EQ(p(1.0), "1.0");
  EXPECT_EQ(p(0.1), "0.1");
  EXPECT_EQ(p(-0.0), "-0.0");
  EXPECT_EQ(p(1e300), "1e+300");
  EXPECT_EQ(p(123456789012345680000.0), "1.2345678901234568e+20");
  EXPECT_EQ(p(INFINITY), "inf");
  EXPECT_EQ(p(-INFINITY), "-inf");
  EXPECT_EQ(p(NAN), "nan");
  for (double d : {0.1 + 0.2, 1.0 / 3, 5e-324, 1.7976931348623157e308, 9007199254740993.0}) {
    EXPECT_EQ(std::strtod(p(d).c_str(), nullptr), d) << p(d);
  }
}

TEST_F(TypesTest, NumbersEqualAcrossTypesAndHashAlike) {
  Value one = Value::fixnum(1), one_f = make_float(heap, 1.0);
  EXPECT_TRUE(values_equal(one, one_f));
  EXPECT_EQ(hash_value(one), hash_value(one_f));
  Value zero = make_float(heap, 0.0), neg_zero = make_float(heap, -0.0);
  EXPECT_TRUE(values_equal(zero, neg_zero));
  EXPECT_EQ(hash_value(zero), hash_value(neg_zero));
  Value n1 = make_float(heap, NAN), n2 = make_float(heap, -NAN);
  EXPECT_TRUE(values_equal(n1, n2));
  EXPECT_EQ(hash_value(n1), hash_value(n2));
  EXPECT_FALSE(values_equal(make_float(heap, 1.5), one));
  // 2^53 + 1 is not a double: the integer differs from the nearest float
  EXPECT_FALSE(values_equal(make_int(heap, 9007199254740993), make_float(heap, 9007199254740992.0)));
  EXPECT_FALSE(values_equal(make_float(heap, 9223372036854775808.0), make_int(heap, INT64_MIN)));
}

TEST_F(TypesTest, ListsHashByContentsAndKind) {
  Value a[] = {Value::fixnum(1), make_string(heap, "x")};
  Value b[] = {make_float(heap, 1.0), make_string(heap, "x")};
  Value qa = make_list(heap, a, true), qb = make_list(heap, b, true), sa = make_list(heap, a, false);
  EXPECT_TRUE(values_equal(qa, qb));
  EXPECT_EQ(hash_value(qa), hash_value(qb));
  EXPECT_FALSE(values_equal(qa, sa));
  EXPECT_NE(hash_value(qa), hash_value(sa));
}

}  // namespace
}  // namespace valk
