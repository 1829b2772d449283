// table_test.cpp: the mutable table (table.cpp): set, get, delete with tombstones, growth,
// strided integer keys (the probing's perturbation), and float/integer keys as one.
#include "value/table.h"

#include <gtest/gtest.h>

#include <bit>

#include "config/limits.h"
#include "value/make.h"
#include "vm/vm.h"
#include "../vm/harness.h"

namespace valk {
namespace {

class TableTest : public ::testing::Test {
 protected:
  VM vm{VmConfig()};  // registers the table finalizer, owns the heap
  Heap& heap = vm.heap();
  Value i(int64_t n) { return make_int(heap, n); }
};

TEST_F(TableTest, SetGetReplaceAndDelete) {
  Value t = table_new(heap);
  table_set(heap, t, i(1), i(10));
  table_set(heap, t, make_float(heap, 1.0), i(11));
  EXPECT_EQ(table_count(t), 1u);
  EXPECT_EQ(int_value(table_get(t, i(1))), 11);
  EXPECT_TRUE(table_get(t, i(2)).is_undefined());
  EXPECT_TRUE(table_delete(t, i(1)));
  EXPECT_FALSE(table_delete(t, i(1)));
  EXPECT_TRUE(table_get(t, i(1)).is_undefined());
  EXPECT_EQ(table_count(t), 0u);
}

// The load bound of table_set: live entries and tombstones stay at most half the slots after
// every insertion, and the table grows only when the next one would pass that.
TEST_F(TableTest, LiveSlotsStayAtMostHalfTheCapacity) {
  Value t = table_new(heap);
  for (int64_t k = 0; k < 200; ++k) {
    uint64_t before = t.as<Table>()->capacity;
    table_set(heap, t, i(k), i(k));
    const Table* tab = t.as<Table>();
    EXPECT_LE(2 * tab->used, tab->capacity) << "after key " << k;
    if (2 * tab->used <= before) {
      EXPECT_EQ(tab->capacity, before) << "grew early at key " << k;
    }
  }
}

// The float whose flonum word is 0x1A (about 1.7e-77), the tombstone's word before floats were
// held in the word: a key like any other.
TEST_F(TableTest, FlonumWithTheOldTombstoneWordIsAnOrdinaryKey) {
  const double d = std::bit_cast<double>(uint64_t(0x3000000000000003));
  Value x = make_float(heap, d);
  ASSERT_EQ(x.bits(), 0x1Au);
  Value t = table_new(heap);
  table_set(heap, t, x, i(7));
  table_set(heap, t, i(3), i(8));
  EXPECT_EQ(int_value(table_get(t, make_float(heap, d))), 7);
  EXPECT_TRUE(table_delete(t, i(3)));
  EXPECT_EQ(table_count(t), 1u);
  EXPECT_TRUE(table_delete(t, x));
  EXPECT_TRUE(table_get(t, x).is_undefined());
}

TEST_F(TableTest, StridedKeysGrowAndDeleteWithoutLosingAny) {
  Value t = table_new(heap);
  constexpr int64_t kN = 50000;
  for (int64_t k = 0; k < kN; ++k) table_set(heap, t, i(k << 12), i(k));
  for (int64_t k = 0; k < kN; k += 2) ASSERT_TRUE(table_delete(t, i(k << 12)));
  // Reinsert over tombstones, then every odd key is still there.
  for (int64_t k = 0; k < kN; k += 4) table_set(heap, t, i(k << 12), i(-k));
  EXPECT_EQ(table_count(t), uint64_t(kN / 2 + kN / 4));
  for (int64_t k = 1; k < kN; k += 2) ASSERT_EQ(int_value(table_get(t, i(k << 12))), k);
  for (int64_t k = 0; k < kN; k += 4) ASSERT_EQ(int_value(table_get(t, i(k << 12))), -k);
  uint64_t seen = 0;
  table_for_each(t, [&](Value, Value) { ++seen; });
  EXPECT_EQ(seen, table_count(t));
}

TEST_F(TableTest, ChurnOfDeletesKeepsTheTableSmall) {
  Value t = table_new(heap);
  for (int64_t k = 0; k < 100000; ++k) {
    table_set(heap, t, i(k), i(k));
    ASSERT_TRUE(table_delete(t, i(k)));
  }
  EXPECT_EQ(table_count(t), 0u);
  EXPECT_LE(t.as<Table>()->capacity, 16u);  // tombstones are dropped by same-size rehashes
}

// Past 2 MB of slots the array is mapped on its own, on a 2 MB boundary (huge pages asked for):
// growth across that size keeps every entry, and the array is aligned.
TEST_F(TableTest, LargeSlotArraysAreMappedAlignedAndKeepEveryEntry) {
  Value t = table_new(heap);
  constexpr int64_t kN = 300000;  // 1,048,576 slots of 16 bytes after the last growth
  for (int64_t k = 0; k < kN; ++k) table_set(heap, t, i(k), i(2 * k));
  auto* tab = t.as<Table>();
  ASSERT_GE(tab->capacity * sizeof(TableSlot), size_t(2) << 20);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(tab->slots) % (uintptr_t(2) << 20), 0u);
  EXPECT_EQ(table_count(t), uint64_t(kN));
  for (int64_t k = 0; k < kN; ++k) ASSERT_EQ(int_value(table_get(t, i(k))), 2 * k);
  EXPECT_TRUE(table_get(t, i(kN)).is_undefined());
}

// The slot array, outside the collected heap, counts as live data (what triggers a major
// collection): dropped tables of 32,768 slots (512 KB each) bring major collections as dropped
// strings of that size would. None ran here when they did not count.
TEST(TableMemory, DroppedTablesBringCollections) {
  test::Harness h;
  uint64_t before = h.vm().heap().stats().major_count;
  EXPECT_EQ(h.eval("(do (fun {fill t n} {if (== n 0) {t} {do (table/set! t n n) (fill t (- n 1))}}) "
                   "(repeat (\\ {i} {fill (table) 10000}) 200) 1)"),
            "1");
  EXPECT_GE(h.vm().heap().stats().major_count, before + 2);
}

// Whether the collector must read the slots: only once a key or value is a heap object, and
// again not after a growth has dropped the deleted entries that held the last ones.
TEST_F(TableTest, HoldsObjectsOnlyWhileAnEntryIsAnObject) {
  Value t = table_new(heap);
  for (int64_t k = 0; k < 4; ++k) table_set(heap, t, Value::fixnum(k), Value::fixnum(k));
  EXPECT_FALSE(t.as<Table>()->holds_objects);
  Value s = make_string(heap, "held");
  table_set(heap, t, Value::fixnum(4), s);
  EXPECT_TRUE(t.as<Table>()->holds_objects);
  ASSERT_TRUE(table_delete(t, Value::fixnum(4)));
  for (int64_t k = 5; k < 100; ++k) table_set(heap, t, Value::fixnum(k), Value::fixnum(k));
  EXPECT_FALSE(t.as<Table>()->holds_objects);
  table_set(heap, t, s, Value::fixnum(0));
  EXPECT_TRUE(t.as<Table>()->holds_objects);
}

}  // namespace
}  // namespace valk
