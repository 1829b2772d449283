// teach_test.cpp: errors as repl/teach.cpp shows them: which bound name is suggested, which
// source line is found, the excerpt with its caret, colours, and where hints go.
#include "repl/teach.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "value/make.h"

namespace valk {
namespace {

TEST(Teach, ClosestBoundName) {
  VM vm;
  EXPECT_EQ(closest_bound_name(vm, "lenn"), "len");
  EXPECT_EQ(closest_bound_name(vm, "lne"), "len");        // two letters swapped is one edit
  EXPECT_EQ(closest_bound_name(vm, "fliter"), "filter");
  EXPECT_EQ(closest_bound_name(vm, "fitlre"), "filter");  // two edits for longer names
  EXPECT_EQ(closest_bound_name(vm, "qxzj"), "");
  EXPECT_EQ(closest_bound_name(vm, "zzzzqqq"), "");
  EXPECT_EQ(closest_bound_name(vm, "q"), "");  // too short to guess
  EXPECT_NE(closest_bound_name(vm, "len"), "len");  // never the name itself
  // Three edits from foldl and four from filter: a swap counts once only when both letters match.
  EXPECT_EQ(closest_bound_name(vm, "qqodl"), "");
  EXPECT_EQ(closest_bound_name(vm, "qflqtr"), "");
}

// An error placed at `col` of line 1 of `text` (file <t>).
Value placed_error(VM& vm, const char* message, uint32_t file, uint32_t col) {
  Value e = vm.error(message);
  e.as<ErrorObj>()->pos = SrcPos::make(file, 1, col);
  return e;
}

// The binding hints follow a word ending the text before the name: after "(", or after a blank.
TEST(Teach, BindingHintAfterABlankToo) {
  VM vm;
  uint32_t file = vm.files().intern("<t>");
  Value e = placed_error(vm, "LEnv: Symbol `y` is not bound", file, 11);
  EXPECT_EQ(error_hints(vm, e, "(do {1} = y 2)"), "hint: the names to bind are written in { }: (= {y} ...)\n");
  Value f = placed_error(vm, "LEnv: Symbol `y` is not bound", file, 12);
  EXPECT_EQ(error_hints(vm, f, "(do {1} x= y 2)"), "");  // x= is not =
}

TEST(Teach, ExcerptAndHintsFollowTheFirstLine) {
  VM vm;
  uint32_t file = vm.files().intern("<t>");
  Value e = placed_error(vm, "LEnv: Symbol `x` is not bound", file, 6);
  EXPECT_EQ(explain_error(vm, e, "a: msg\n  in f", SourceText{"(def x 5)", 1, file}, false),
            "a: msg\n  1 | (def x 5)\n    |      ^\nhint: the names to bind are written in { }: (def {x} ...)\n  in f");
  Value plain = placed_error(vm, "Division By Zero", file, 2);
  EXPECT_EQ(explain_error(vm, plain, "a: msg", SourceText{"(/ 1 0)", 1, file}, false),
            "a: msg\n  1 | (/ 1 0)\n    |  ^");
  // No source line known: the error as formatted.
  EXPECT_EQ(explain_error(vm, plain, "a: msg\n  in f", SourceText{}, false), "a: msg\n  in f");
}

TEST(Teach, ColoursOnlyWhenAsked) {
  VM vm;
  uint32_t file = vm.files().intern("<t>");
  Value e = placed_error(vm, "LEnv: Symbol `lenn` is not bound", file, 2);
  std::string shown = explain_error(vm, e, "a: msg", SourceText{"(lenn 1)", 1, file}, true);
  EXPECT_EQ(shown, "\x1b[1;31ma: msg\x1b[0m\n  \x1b[34m1 | \x1b[0m(lenn 1)\n  \x1b[34m  | \x1b[0m \x1b[1;31m^\x1b[0m\n"
                   "\x1b[36mhint: did you mean `len`?\x1b[0m");
}

TEST(Teach, ExcerptCaretUnderTheColumn) {
  // Tabs stay tabs under the text; a code point is one column.
  EXPECT_EQ(source_excerpt("\t(+ x y)", 12, 5, false), "  12 | \t(+ x y)\n     | \t   ^\n");
  EXPECT_EQ(source_excerpt("(\"\u00e9\u00e9\" x)", 3, 6, false), "  3 | (\"\u00e9\u00e9\" x)\n    |      ^\n");
  EXPECT_EQ(source_excerpt("   ", 1, 2, false), "");  // nothing to show
  EXPECT_EQ(source_excerpt(std::string_view("(a \0 \x1b[2J)", 11), 1, 2, false), "");  // no control bytes
  // A long line is shown as a window around the column.
  std::string line = std::string(200, 'a') + "X" + std::string(200, 'b');
  std::string shown = source_excerpt(line, 1, 201, false);
  EXPECT_EQ(shown, "  1 | ..." + std::string(60, 'a') + "X" + std::string(59, 'b') + "...\n    | " +
                       std::string(63, ' ') + "^\n");
}

TEST(Teach, NoColourUnderNoColorOrOffATerminal) {
  const char* saved = std::getenv("NO_COLOR");
  std::string keep = saved ? saved : "";
  setenv("NO_COLOR", "1", 1);
  EXPECT_FALSE(colour_wanted(stderr));
  unsetenv("NO_COLOR");
  std::FILE* file = std::tmpfile();
  EXPECT_FALSE(colour_wanted(file));  // not a terminal
  std::fclose(file);
  if (saved) setenv("NO_COLOR", keep.c_str(), 1);
}

TEST(Teach, LinesOfText) {
  EXPECT_EQ(line_of_text("one\ntwo\nthree", 1, 2), "two");
  EXPECT_EQ(line_of_text("one\ntwo", 5, 6), "two");
  EXPECT_EQ(line_of_text("one\ntwo", 5, 4), "");
  EXPECT_EQ(line_of_text("one\ntwo", 1, 3), "");
  EXPECT_EQ(line_of_file("/nonexistent/file.valk", 1), "");
  EXPECT_EQ(line_of_file("/dev/zero", 1), "");  // only regular files are read back
}

TEST(Teach, NoHintForOtherErrors) {
  VM vm;
  Value e = vm.error("Division By Zero");
  EXPECT_EQ(error_hints(vm, e, "(/ 1 0)"), "");
  Value unbound = vm.error("LEnv: Symbol `x` is not bound");
  EXPECT_EQ(error_hints(vm, unbound, ""), "");  // no source line, no close name
}

}  // namespace
}  // namespace valk
