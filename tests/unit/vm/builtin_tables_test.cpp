// builtin_tables_test.cpp: every row of every builtin table (vm/builtin_tables.h) means what the
// interpreter reads from it: a plain builtin (fn) declares no state slots and catches nothing,
// a native one may; only rows taking no argument are called bare; arities are sane; the VM
// installs each row under its name.
#include "vm/builtin_tables.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>

#include "../vm/harness.h"

namespace valk {
namespace {

using test::Harness;

TEST(BuiltinTables, EachRowIsEitherPlainOrNative) {
  size_t rows = 0;
  for (auto table : builtin_tables()) {
    for (const BuiltinInfo& row : table) {
      ++rows;
      ASSERT_NE(row.name, nullptr);
      EXPECT_TRUE((row.fn != nullptr) != (row.native != nullptr)) << row.name << ": exactly one of fn, native";
      EXPECT_NE(row.params, nullptr) << row.name;
      EXPECT_TRUE(row.doc != nullptr && row.doc[0] != '\0') << row.name << " has no docstring";
      EXPECT_GE(row.min_args, 0) << row.name;
      EXPECT_TRUE(row.max_args == -1 || row.max_args >= row.min_args) << row.name;
    }
  }
  EXPECT_GT(rows, 150u);
}

// The interpreter reserves extra_slots only for native frames (vm/interp.cpp): on a plain row the
// number would be read by nobody, so a row saying anything but 0 is a mistake in the table.
TEST(BuiltinTables, PlainBuiltinsDeclareNoStateSlotsAndCatchNothing) {
  size_t plain = 0;
  for (auto table : builtin_tables()) {
    for (const BuiltinInfo& row : table) {
      if (row.fn == nullptr) continue;
      ++plain;
      EXPECT_EQ(row.extra_slots, 0) << row.name << " is plain but declares state slots";
      EXPECT_EQ(row.flags & builtinflag::kCatch, 0) << row.name << " is plain but says it catches errors";
    }
  }
  EXPECT_GT(plain, 150u);
}

// (f) written alone calls a builtin only when its row says kCallBare (VM::callable_without_arguments),
// and kDummyArg drops one argument before the arity check (vm/interp.cpp): both mean "takes no
// argument", so a row that requires or takes arguments and says either is a mistake.
TEST(BuiltinTables, OnlyBuiltinsTakingNoArgumentAreCalledBare) {
  size_t bare = 0;
  for (auto table : builtin_tables()) {
    for (const BuiltinInfo& row : table) {
      if (row.flags & builtinflag::kCallBare) {
        ++bare;
        EXPECT_EQ(row.min_args, 0) << row.name << " is called bare but requires arguments";
      }
      if (row.flags & builtinflag::kDummyArg) {
        EXPECT_EQ(row.max_args, 0) << row.name << " ignores a dummy argument but takes arguments";
      }
    }
  }
  EXPECT_GT(bare, 5u);
}

// A row's params, as `doc` shows them, are its arity: each plain name is required, each name in
// brackets optional, and `& name` takes any number more. So a row whose min_args or max_args say
// otherwise (a mistyped number) accepts or refuses calls its documentation does not describe.
TEST(BuiltinTables, ArityIsWhatTheParamsSay) {
  size_t checked = 0;
  for (auto table : builtin_tables()) {
    for (const BuiltinInfo& row : table) {
      int required = 0, optional = 0;
      bool rest = false, in_brackets = false;
      std::istringstream words(row.params);
      for (std::string w; words >> w;) {
        if (w == "&") {
          rest = true;
          words >> w;  // the rest's name
          continue;
        }
        if (w.front() == '[') in_brackets = true;
        (in_brackets ? optional : required) += 1;
        if (w.back() == ']') in_brackets = false;
      }
      EXPECT_EQ(row.min_args, required) << row.name << " (" << row.params << ")";
      EXPECT_EQ(row.max_args, rest ? -1 : required + optional) << row.name << " (" << row.params << ")";
      ++checked;
    }
  }
  EXPECT_GT(checked, 150u);
}

TEST(BuiltinTables, EveryNameIsOneRowAndTheVmInstallsIt) {
  Harness h;
  std::map<std::string, const BuiltinInfo*> seen;
  for (auto table : builtin_tables()) {
    for (const BuiltinInfo& row : table) {
      EXPECT_TRUE(seen.emplace(row.name, &row).second) << row.name << " has two rows";
      Value b = h.vm().builtin_named(row.name);
      ASSERT_TRUE(is_builtin(b)) << row.name;
      EXPECT_EQ(b.as<Builtin>()->info, &row) << row.name;
    }
  }
}

}  // namespace
}  // namespace valk
