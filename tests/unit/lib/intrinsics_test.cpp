// intrinsics_test.cpp: the native fast paths of fst, snd, trd, nth, not, map, filter and foldl
// (lib/intrinsics.cpp) give exactly what their Valk definitions in lib/prelude.valk give.
#include <gtest/gtest.h>

#include <iterator>
#include <random>
#include <string>

#include "../vm/harness.h"

namespace valk {
namespace {

using test::Harness;

// Copies of the prelude's definitions under other names: never run natively. The parameters
// keep their names, so callbacks that look names up dynamically see the same bindings.
const char kValkCopies[] =
    "(fun {my-fst _l} {eval (head _l)})\n"
    "(fun {my-snd _y} {eval (head (tail _y))})\n"
    "(fun {my-trd l} {eval (head (tail (tail l)))})\n"
    "(fun {my-nth n _l} {select {(<= n 0) (error \"Invalid array index (should start with 1)\")}"
    "  {(== n 1) (my-fst _l)} {otherwise (my-nth (- n 1) (tail _l))}})\n"
    "(fun {my-not x} {- 1 x})\n"
    "(fun {my-map f l} {if (== l nil) {nil} {join (list (f (my-fst l))) (my-map f (tail l))}})\n"
    "(fun {my-filter f l} {if (== l nil) {nil} {join (if (f (my-fst l)) {head l} {nil}) (my-filter f (tail l))}})\n"
    "(fun {my-foldl f z l} {if (== l nil) {z} {my-foldl f (f z (my-fst l)) (tail l)}})\n";

// Programs with `@` where the function's name goes: `@map` is run as `map` and as `my-map`.
const char* const kPrograms[] = {
    // fst, snd, trd
    "(@fst {1 2})", "(@fst {})", "(@fst 5)", "(@fst {(+ 1 2)})", "(@fst {unbound-name})", "(@fst {{1 2} 3})",
    "(@fst {\"s\"})", "(@fst (list tail))", "(@fst {x})", "(@snd {1 2})", "(@snd {1})", "(@snd {1 (* 2 3)})",
    "(@trd {1 2 3})", "(@trd {1 2})", "(@trd \"abc\")", "(@fst (range 4611686018427387904 4611686018427387906))",
    // nth
    "(@nth 1 {5 6})", "(@nth 2 {5 6})", "(@nth 3 {5 6})", "(@nth 0 {5})", "(@nth -1 {5})", "(@nth \"a\" {5})",
    "(@nth 1 {})", "(@nth 2 {5 (+ 1 1)})", "(@nth 4611686018427387904 {1})", "(@nth 1 5)", "(@nth {1} {1})",
    "(@nth 2 {{a} {b}})",
    // not
    "(@not 0)", "(@not 1)", "(@not 5)", "(@not -4611686018427387904)", "(@not \"a\")", "(@not {})",
    // map
    "(@map (\\ {x} {* x 2}) {1 2 3})", "(@map (\\ {x} {x}) {})", "(@map (\\ {x} {x}) {a b})",
    "(@map (\\ {x} {x}) {(+ 1 2) 4})", "(@map head {{1 2} {3}})", "(@map (\\ {x} {len l}) {1 2 3})",
    "(@map (\\ {x} {+ x \"a\"}) {1})", "(@map 5 {1 2})", "(@map (\\ {x} {x}) 5)", "(@map (\\ {x} {x}) \"ab\")",
    "(@map ((\\ {a b} {- a b}) 10) {1 2})", "(@map (\\ {x y} {x}) {1 2})", "(@map list {1 {2}})",
    "(@map (\\ {x} {f}) {1})", "(@map (\\ {x} {do (= {l} {9}) x}) {1 2 3})", "(@map (\\ {x} {error \"cb\"}) {1})",
    "(@map (\\ {x} {@map (\\ {y} {* x y}) {1 2}}) {1 2})", "(@map (\\ {x} {x}) {1 x})",
    // filter
    "(@filter (\\ {x} {> x 1}) {1 2 3})", "(@filter (\\ {x} {x}) {0 1 2 0})", "(@filter (\\ {x} {\"no\"}) {1})",
    "(@filter (\\ {x} {== (len l) 2}) {1 2 3})", "(@filter (\\ {x} {1}) {a})", "(@filter (\\ {x} {1}) {})",
    "(@filter (\\ {x} {1}) {{1} (+ 1 1)})", "(@filter (\\ {x} {0}) {1 2})", "(@filter 1 {1 2})",
    "(@filter (\\ {x} {1}) 5)", "(@filter (\\ {x} {4611686018427387904}) {1})",
    // foldl
    "(@foldl + 0 {1 2 3})", "(@foldl - 0 {1 2 3})", "(@foldl (\\ {a x} {cons x a}) {} {1 2 3})",
    "(@foldl + 0 {})", "(@foldl + 0 {a})", "(@foldl (\\ {a x} {+ a (len l)}) 0 {1 2 3})",
    "(@foldl (\\ {a x} {list a z}) 0 {1 2})", "(@foldl + \"s\" {1})", "(@foldl (\\ {a x} {f}) 0 {1})",
    "(@foldl (\\ {a x} {(+ a x) (+ a (* x 10))}) 0 {1 2})", "(@foldl list 0 {(+ 1 1) 3})",
    "(@foldl + 0 5)", "(@foldl (\\ {a} {a}) 0 {1 2})",
};

std::string with_name(std::string program, const std::string& prefix) {
  for (size_t at = program.find('@'); at != std::string::npos; at = program.find('@', at)) {
    program.replace(at, 1, prefix);
  }
  return program;
}

TEST(Intrinsics, GiveWhatTheValkDefinitionsGive) {
  Harness h;
  ASSERT_EQ(h.eval(kValkCopies), "()");
  for (const char* p : kPrograms) {
    std::string native = h.eval(with_name(p, ""));
    std::string valk = h.eval(with_name(p, "my-"));
    EXPECT_EQ(native, valk) << p;
    EXPECT_EQ(h.out(), "");
  }
}

// The same programs in a VM whose `head` was rebound to an equal copy: every intrinsic relies on
// head, so all of them decline and the prelude's Valk definitions run.
TEST(Intrinsics, GiveWhatTheyGiveWhenDisabled) {
  Harness fast;
  Harness slow;
  ASSERT_EQ(slow.eval("(def {orig-head} head) (def {head} (\\ {l} {orig-head l}))"), "()");
  ASSERT_FALSE(slow.vm().watch_intact(slow.vm().sym("head")));
  for (const char* p : kPrograms) {
    std::string program = with_name(p, "");
    EXPECT_EQ(fast.eval(program), slow.eval(program)) << program;
  }
}

// ---- generated inputs ---------------------------------------------------------------------
// Every fast path against its Valk definition on lists made by a seeded generator: negative,
// zero and large numbers, empty, long and nested lists, elements that are code (evaluated by
// fst) or names, and callbacks that return negatives, zero, non-integers, or raise.

std::string random_element(std::mt19937& rng, int depth) {
  switch (rng() % 9) {
    case 0: return "0";
    case 1: return "-" + std::to_string(rng() % 5 + 1);
    case 2: return std::to_string(rng() % 7);
    case 3: return "4611686018427387904";  // a boxed integer: not a fixnum
    case 4: return depth < 2 ? "{" + std::to_string(rng() % 3) + " " + random_element(rng, depth + 1) + "}" : "{}";
    case 5: return "(- 0 " + std::to_string(rng() % 4) + ")";  // code: fst evaluates it
    case 6: return "\"s\"";
    case 7: return "x";  // a name, bound in the programs below
    case 8: return std::to_string(rng() % 3 - 1);
  }
  return "0";
}

std::string random_list(std::mt19937& rng) {
  size_t n = rng() % 4 == 0 ? 0 : (rng() % 4 == 1 ? 40 + rng() % 40 : 1 + rng() % 6);
  std::string s = "{";
  for (size_t i = 0; i < n; ++i) s += (i ? " " : "") + random_element(rng, 0);
  return s + "}";
}

const char* const kCallbacks1[] = {
    "(\\ {e} {- 0 e})",  "(\\ {e} {e})", "(\\ {e} {0})", "(\\ {e} {-1})", "(\\ {e} {list e e})",
    "(\\ {e} {len l})",  "head",         "(\\ {e} {* e 2})", "(\\ {e} {if (== e 0) {error \"zero\"} {e}})",
};
const char* const kCallbacks2[] = {"+", "-", "(\\ {a e} {cons e a})", "(\\ {a e} {- e a})", "list",
                                   "(\\ {a e} {len l})", "join"};

TEST(Intrinsics, GiveWhatTheValkDefinitionsGiveOnGeneratedInputs) {
  Harness h;
  ASSERT_EQ(h.eval(kValkCopies), "()");
  ASSERT_EQ(h.eval("(def {x} 5)"), "()");
  std::mt19937 rng(20261129);
  for (int round = 0; round < 150; ++round) {
    std::string l = random_list(rng);
    std::string f1 = kCallbacks1[rng() % std::size(kCallbacks1)];
    std::string f2 = kCallbacks2[rng() % std::size(kCallbacks2)];
    std::string z = random_element(rng, 0);
    std::string n = std::to_string(int(rng() % 8) - 1);
    const std::string programs[] = {
        "(@fst " + l + ")", "(@snd " + l + ")", "(@trd " + l + ")", "(@nth " + n + " " + l + ")",
        "(@not " + z + ")", "(@map " + f1 + " " + l + ")", "(@filter " + f1 + " " + l + ")",
        "(@foldl " + f2 + " " + z + " " + l + ")",
    };
    for (const std::string& p : programs) {
      EXPECT_EQ(h.eval(with_name(p, "")), h.eval(with_name(p, "my-"))) << p;
    }
  }
}

TEST(Intrinsics, ExpectedResults) {
  Harness h;
  EXPECT_EQ(h.eval("(list (fst {1 2}) (snd {1 2}) (trd {1 2 3}) (nth 2 {5 6}) (not 0) (not 1))"), "{1 2 3 6 1 0}");
  EXPECT_EQ(h.eval("(fst {(+ 1 2)})"), "3");
  EXPECT_EQ(h.eval("(map (\\ {x} {len l}) {1 2 3})"), "{3 2 1}");
  EXPECT_EQ(h.eval("(filter (\\ {x} {x}) {0 1 2 0})"), "{1 2}");
  EXPECT_EQ(h.eval("(foldl (\\ {a x} {cons x a}) {} {1 2 3})"), "{3 2 1}");
  EXPECT_EQ(h.eval("(map (\\ {x} {do (= {l} {9}) x}) {1 2 3})"), "{1 2 3}");
  EXPECT_EQ(h.eval("(nth 0 {5})"), "Error: Invalid array index (should start with 1)");
  EXPECT_EQ(h.eval("(fst {})"), "Error: head: expected a non-empty Q-expression, got {}");
}

TEST(Intrinsics, LongListsRunInConstantFrames) {
  Harness h;
  EXPECT_EQ(h.eval("(def {big} (range 0 200000)) (len (map (\\ {x} {+ x 1}) big))"), "200000");
  EXPECT_EQ(h.eval("(len (filter (\\ {x} {== 0 (- x (* 2 (/ x 2)))}) big))"), "100000");
  EXPECT_EQ(h.eval("(foldl + 0 big)"), "19999900000");
  EXPECT_EQ(h.eval("(sum big)"), "19999900000");
  EXPECT_EQ(h.eval("(nth 200000 big)"), "199999");
}

TEST(Intrinsics, ResultsSurviveCollections) {
  VmConfig config;
  config.heap.stress = true;
  Harness h(config);
  EXPECT_EQ(h.eval("(map (\\ {x} {list x (* x x)}) (range 0 30))").substr(0, 22), "{{0 0} {1 1} {2 4} {3 ");
  EXPECT_EQ(h.eval("(filter (\\ {p} {> (snd p) 10}) (map (\\ {x} {list x (* x x)}) (range 0 6)))"),
            "{{4 16} {5 25}}");
  EXPECT_EQ(h.eval("(foldl (\\ {acc x} {join acc (list x)}) {} (range 0 50))"),
            h.eval("(range 0 50)"));
}

}  // namespace
}  // namespace valk
