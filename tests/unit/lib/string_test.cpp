// string_test.cpp: lib/string.cpp beyond the golden file: the string builder across collections
// (it lives in the old space and owns its bytes), linear building, and character indices on large
// strings.
#include <gtest/gtest.h>

#include "../vm/harness.h"

namespace valk {
namespace {

using test::Harness;

TEST(StrBuilder, KeepsItsBytesAcrossCollections) {
  Harness h;
  EXPECT_EQ(h.eval("(def {b} (str/builder))"), "()");
  EXPECT_EQ(h.eval("(str/add! b \"start \")"), "<string-builder 6 bytes>");
  EXPECT_EQ(h.eval("(do (gc/collect) (map (\\ {i} {str/add! b i}) {1 2 3}) (gc/collect) (str/build b))"),
            "\"start 123\"");
  EXPECT_EQ(h.eval("(len (str/build (foldl (\\ {acc i} {str/add! acc \"xy\"}) (str/builder) (range 0 5000))))"),
            "10000");
}

TEST(StrBuilder, UnreachableBuildersAreFreed) {
  Harness h;
  // Ten thousand builders, each dropped at once: the collector frees them and their bytes
  // (checked for leaks by the sanitizer build).
  EXPECT_EQ(h.eval("(do (repeat (\\ {i} {str/add! (str/builder) (str/repeat \"z\" 100)}) 10000) (gc/collect) 1)"),
            "1");
}

TEST(StrBuilder, BuildsTwoHundredThousandPieces) {
  Harness h;
  EXPECT_EQ(h.eval("(do (def {b} (str/builder)) (repeat (\\ {i} {str/add! b \"piece\"}) 200000) "
                   "(len (str/build b)))"),
            "1000000");
}

TEST(StrChars, IndexesLargeStrings) {
  Harness h;
  EXPECT_EQ(h.eval("(def {s} (str/join \"\" (list (str/repeat \"\xC3\xA9\" 100000) \"end\")))"), "()");
  EXPECT_EQ(h.eval("(str/length s)"), "100003");
  EXPECT_EQ(h.eval("(str/slice s -3)"), "\"end\"");
  EXPECT_EQ(h.eval("(str/find s \"end\")"), "100000");
  EXPECT_EQ(h.eval("(str/char-at s 99999)"), "\"\xC3\xA9\"");
}

}  // namespace
}  // namespace valk
