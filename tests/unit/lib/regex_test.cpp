// regex_test.cpp: lib/regex.cpp beyond the golden file: the pattern cache and its bound
// (limits::kRegexCacheEntries), and catastrophic backtracking ending in a clean error.
#include <gtest/gtest.h>

#include <string>

#include "../vm/harness.h"
#include "config/limits.h"
#include "lib/builtin.h"

namespace valk {
namespace {

using test::Harness;

TEST(RegexCache, ReusesCompiledPatternsAndStaysBounded) {
  Harness h;
  EXPECT_EQ(h.eval("(re/match \"cache-me-([0-9])\" \"cache-me-1\")"), "{\"cache-me-1\" \"1\"}");
  size_t before = regex_cache_size();
  EXPECT_EQ(h.eval("(re/match \"cache-me-([0-9])\" \"cache-me-2\")"), "{\"cache-me-2\" \"2\"}");
  EXPECT_EQ(regex_cache_size(), before);
  // Patterns built from data: the cache never holds more than its limit, and a pattern dropped
  // from it compiles again.
  EXPECT_EQ(h.eval("(len (map (\\ {i} {re/match (str/format \"x%dy\" i) \"x7y\"}) (range 0 1000)))"), "1000");
  EXPECT_EQ(regex_cache_size(), limits::kRegexCacheEntries);
  EXPECT_EQ(h.eval("(re/match \"x7y\" \"ax7yb\")"), "{\"x7y\"}");
  EXPECT_EQ(h.eval("(re/match \"cache-me-([0-9])\" \"cache-me-3\")"), "{\"cache-me-3\" \"3\"}");
}

TEST(RegexMatch, CatastrophicBacktrackingIsAnError) {
  Harness h;
  EXPECT_EQ(h.eval("(re/match \"(a|aa)+$\" (str/join \"\" (list (str/repeat \"a\" 5000) \"b\")))"),
            "Error: re/match: match limit exceeded");
}

TEST(RegexReplace, ManyReplacementsInALongString) {
  Harness h;
  EXPECT_EQ(h.eval("(len (re/replace \"a\" (str/repeat \"ab\" 100000) \"$0$0\"))"), "300000");
}

}  // namespace
}  // namespace valk
