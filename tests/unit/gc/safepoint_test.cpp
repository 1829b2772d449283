// safepoint_test.cpp: collections landing at every safe point of the code that depends on write
// barriers and roots: `=` rebinding a name of a frame whose heap copy is old, tail-call residues,
// native continuations (map, filter, foldl, repeat, sys/catch) and the old cells of their lists.
// Run in the ordinary build, with a collection at every safe point and the heap verified after
// each full one (gc/collect), and compared with the same programs run without any collection.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "../vm/harness.h"

namespace valk {
namespace {

using test::Harness;

// Allocates enough to move everything young to the old space between two steps.
const char kSetup[] =
    "(fun {churn} {do (map (\\ {x} {list x (list x x)}) (range 0 30)) (gc/collect) ()})\n";

struct Program {
  const char* what;
  const char* code;
  const char* expected;
};

const Program kPrograms[] = {
    // = rebinding in a frame whose heap copy (made for a closure) is old by then: barrier
    {"rebinding a closed-over parameter in an old frame",
     "(fun {outer v} {do (= {get} (\\ {} {v})) (churn) (= {v} (list 1 2 (list 3 4))) (churn) (get)})\n"
     "(outer 0)",
     "{1 2 {3 4}}"},
    {"adding a binding to an old frame",
     "(fun {outer2 v} {do (= {get} (\\ {} {w})) (churn) (= {w} (list v (list v))) (churn) (get)})\n"
     "(outer2 7)",
     "{7 {7}}"},
    {"rebinding many times between collections",
     "(fun {outer3 v} {do (= {get} (\\ {} {v})) (churn) (= {v} {a}) (churn) (= {v} (list 5 6)) (churn)"
     " (= {v} (join (get) (list 7))) (churn) (get)})\n"
     "(outer3 0)",
     "{5 6 7}"},
    {"a global rebound to young data while old code holds it",
     "(def {g} 0) (churn) (def {g} (list 1 (list 2))) (churn) g", "{1 {2}}"},
    // residues: the replaced frame's names, kept only by the residue, across collections
    {"a residue keeps the replaced frame's parameter",
     "(fun {reader k} {do (churn) (+ (len xs) k)})\n"
     "(fun {writer xs} {reader 1})\n"
     "(writer (range 0 30))",
     "31"},
    {"a residue keeps the replaced frame's = binding",
     "(fun {reader2 k} {do (churn) (join tmp (list k))})\n"
     "(fun {writer2 n} {do (= {tmp} (range 0 n)) (reader2 n)})\n"
     "(writer2 3)",
     "{0 1 2 3}"},
    {"a chain of residues",
     "(fun {c3 z} {do (churn) (list p q z)})\n"
     "(fun {c2 q} {c3 (list q)})\n"
     "(fun {c1 p} {c2 (list p p)})\n"
     "(c1 (list 9))",
     "{{9} {{9} {9}} {{{9} {9}}}}"},
    {"a residue inside a loop of tail calls",
     "(fun {loop-r n acc} {if (== n 0) {acc} {do (= {item} (list n)) (loop-s n acc)}})\n"
     "(fun {loop-s m acc} {loop-r (- m 1) (join item acc)})\n"
     "(loop-r 40 {})",
     "{1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40}"},
    // native continuations: their state is in frame slots; results built across collections
    {"map with callbacks that collect",
     "(map (\\ {x} {do (churn) (list x (list x))}) {1 2 3})", "{{1 {1}} {2 {2}} {3 {3}}}"},
    {"filter with callbacks that collect and return negatives",
     "(filter (\\ {x} {do (churn) (- 0 x)}) {0 1 2 0 3})", "{1 2 3}"},
    {"foldl with an accumulator that grows across collections",
     "(foldl (\\ {a x} {do (churn) (join a (list (list x)))}) {} {1 2 3})", "{{1} {2} {3}}"},
    // a name in the list: the native part's cells (old by then) get the rest the definition
    // built (young) as their tail in finish_list: barrier
    {"map whose rest the definition maps",
     "(def {nm} 5) (def {r} (map (\\ {x} {do (churn) (list x (list x))}) {1 2 nm 3})) (churn) r", "{{1 {1}} {2 {2}} {5 {5}} {3 {3}}}"},
    {"filter whose rest the definition filters",
     "(def {nm} 5) (def {r} (filter (\\ {x} {do (churn) (- 4 x)}) {1 2 nm 3 4})) (churn) r", "{1 2 nm 3}"},
    {"nested native continuations",
     "(map (\\ {x} {foldl (\\ {a y} {do (churn) (cons y a)}) {} (range 0 x)}) {1 2 3})",
     "{{0} {1 0} {2 1 0}}"},
    {"repeat",
     "(do (def {acc} {}) (repeat (\\ {i} {do (churn) (def {acc} (join acc (list (list i))))}) 3) acc)",
     "{{0} {1} {2}}"},
    {"sys/catch of an error raised after collections",
     "(sys/catch {do (churn) (= {k} (list 1 2)) (churn) (error (sys/readable k))})", "{0 \"{1 2}\"}"},
    {"eval of data built across collections",
     "(eval (join (list +) (map (\\ {x} {do (churn) x}) {1 2 3})))", "6"},
};

Harness* make(bool stress) {
  VmConfig config;
  config.heap.stress = stress;
  config.heap.verify = stress;  // after every full collection: every gc/collect of churn
  return new Harness(config);
}

TEST(Safepoints, EveryProgramGivesTheSameWithACollectionAtEverySafePoint) {
  std::unique_ptr<Harness> calm(make(false));
  std::unique_ptr<Harness> stressed(make(true));
  ASSERT_EQ(calm->eval(kSetup), "()");
  ASSERT_EQ(stressed->eval(kSetup), "()");
  for (const Program& p : kPrograms) {
    EXPECT_EQ(calm->eval(p.code), p.expected) << p.what;
    EXPECT_EQ(stressed->eval(p.code), p.expected) << p.what << " (collection at every safe point)";
  }
  EXPECT_GT(stressed->vm().heap().stats().major_count, 20u);
}

// Each program alone in a fresh VM under stress, so that one broken path shows as its own failure.
class SafepointEach : public ::testing::TestWithParam<Program> {};

TEST_P(SafepointEach, HoldsUnderStress) {
  std::unique_ptr<Harness> h(make(true));
  ASSERT_EQ(h->eval(kSetup), "()");
  EXPECT_EQ(h->eval(GetParam().code), GetParam().expected) << GetParam().what;
}

std::string name_of(const ::testing::TestParamInfo<Program>& info) { return "P" + std::to_string(info.index); }

INSTANTIATE_TEST_SUITE_P(Gc, SafepointEach, ::testing::ValuesIn(kPrograms), name_of);

}  // namespace
}  // namespace valk
