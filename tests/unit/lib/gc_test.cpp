// gc_test.cpp: the collector seen from Valk (lib/gc.cpp): gc/collect runs a full collection and
// keeps live data; gc/stats lists its fields, in order, with values that follow the heap.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "../vm/harness.h"

namespace valk {
namespace {

using test::Harness;

// gc/stats as a map from field name to value.
std::map<std::string, int64_t> stats(Harness& h) {
  std::map<std::string, int64_t> fields;
  Value v = h.run("(gc/stats)");
  EXPECT_TRUE(is_qexpr(v)) << h.show(v);
  for (; is_cons(v) && is_cons(cdr(v)); v = cdr(cdr(v))) {
    EXPECT_TRUE(is_string(car(v)));
    EXPECT_TRUE(is_int(car(cdr(v))));
    if (is_string(car(v))) fields[std::string(car(v).as<String>()->view())] = int_value(car(cdr(v)));
  }
  return fields;
}

TEST(GcStats, HasEveryFieldInOrder) {
  Harness h;
  // Names are strings (they evaluate to themselves, so nth can pick them).
  EXPECT_EQ(h.eval("(map (\\ {i} {nth (+ 1 (* 2 i)) (gc/stats)}) (range 0 12))"),
            "{\"minor-collections\" \"major-collections\" \"minor-pause-total-us\" \"minor-pause-max-us\" "
            "\"major-pause-total-us\" \"major-pause-max-us\" \"bytes-allocated\" \"bytes-promoted\" "
            "\"bytes-live\" \"heap-bytes\" \"nursery-bytes\" \"resident-bytes\"}");
  EXPECT_EQ(h.eval("(len (gc/stats))"), "24");
  EXPECT_EQ(h.eval("(len (gc/stats {}))"), "24");
  EXPECT_EQ(h.eval("(map (\\ {i} {> 0 (nth (* 2 i) (gc/stats))}) (range 1 13))"), "{0 0 0 0 0 0 0 0 0 0 0 0}");
  EXPECT_EQ(h.eval("(> (nth 24 (gc/stats)) 1000000)"), "1");  // resident-bytes: this process is bigger than 1 MB
}

TEST(GcStats, ValuesFollowTheHeap) {
  VmConfig config;
  config.heap.nursery_bytes = size_t(256) << 10;
  Harness h(config);
  auto before = stats(h);
  EXPECT_EQ(before["nursery-bytes"], int64_t(256) << 10);
  EXPECT_GE(before["heap-bytes"], before["nursery-bytes"]);
  EXPECT_GT(before["bytes-allocated"], 0);
  EXPECT_EQ(h.eval("(def {keep} (map (\\ {x} {list x x}) (range 0 20000))) (len keep)"), "20000");
  auto after = stats(h);
  EXPECT_GT(after["minor-collections"], before["minor-collections"]);
  EXPECT_GT(after["bytes-allocated"], before["bytes-allocated"]);
  EXPECT_GT(after["bytes-promoted"], 0);
  EXPECT_GE(after["minor-pause-total-us"], after["minor-pause-max-us"]);
}

TEST(GcCollect, RunsAMajorCollectionAndKeepsLiveData) {
  Harness h;
  EXPECT_EQ(h.eval("(def {keep} (range 0 1000))"), "()");
  auto before = stats(h);
  EXPECT_EQ(h.eval("(gc/collect)"), "()");
  auto after = stats(h);
  EXPECT_EQ(after["major-collections"], before["major-collections"] + 1);
  EXPECT_GE(after["major-pause-total-us"], after["major-pause-max-us"]);
  EXPECT_GT(after["bytes-live"], 0);
  EXPECT_EQ(h.eval("(sum keep)"), "499500");
  EXPECT_EQ(h.eval("(gc/collect {})"), "()");  // the original's dummy argument
  EXPECT_EQ(h.message("(gc/collect 1 2)"), "gc/collect: More arguments were given than required. Actual: 2, Expected: 0");
}

TEST(GcCollect, DroppedDataIsFreed) {
  Harness h;
  EXPECT_EQ(h.eval("(def {big} (map (\\ {x} {list x x x}) (range 0 50000))) (gc/collect)"), "()");
  int64_t with = stats(h)["bytes-live"];
  EXPECT_EQ(h.eval("(def {big} 0) (gc/collect)"), "()");
  int64_t without = stats(h)["bytes-live"];
  EXPECT_LT(without, with);
}

}  // namespace
}  // namespace valk
