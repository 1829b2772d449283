// introspect_test.cpp: lib/introspect.cpp: every type a program can meet has a predicate, bound
// and answering for its type; vm/names and the REPL completion list the same sorted names.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "../vm/harness.h"
#include "lib/introspect.h"
#include "value/types.h"
#include "vm/vm.h"

namespace valk {
namespace {

using test::Harness;

TEST(Introspect, EveryTypeOfTheTableHasAPredicate) {
  std::set<std::string> covered;
  for (const TypePredicate& p : type_predicates()) covered.insert(p.type);
  for (size_t i = 0; i < size_t(ObjType::kCount); ++i) {
    std::string name = kTypeInfo[i].name;
    if (name == "Internal" || name == "Free" || name == "List") continue;  // never a program's value
    EXPECT_TRUE(covered.count(name)) << name << " has no predicate in type_predicates()";
  }
  // the two kinds of list, which the table keeps in one row
  EXPECT_TRUE(covered.count("Q-expression"));
  EXPECT_TRUE(covered.count("S-expression"));
}

TEST(Introspect, EveryPredicateIsBoundToABuiltin) {
  Harness h;
  for (const TypePredicate& p : type_predicates()) {
    EXPECT_EQ(h.eval(std::string("(fun? ") + p.predicate + ")"), "1") << p.predicate;
  }
}

TEST(Introspect, TypeNamesMatchThePredicates) {
  Harness h;
  const char* samples[] = {"1", "1.5", "\"s\"", "(str/to-symbol \"s\")", "{1}", "()", "+",
                           "(try {error \"e\"} (\\ {e} {e}))", "(aio/promise)", "(str/builder)",
                           "[1 2]", "(table)"};
  for (const char* sample : samples) {
    std::string type = h.eval(std::string("(type ") + sample + ")");
    int answered = 0;
    for (const TypePredicate& p : type_predicates()) {
      std::string yes = h.eval(std::string("(") + p.predicate + " " + sample + ")");
      if (yes == "1") {
        ++answered;
        EXPECT_EQ(type, p.type) << sample << " answers " << p.predicate;
      }
    }
    EXPECT_EQ(answered, 1) << sample;
  }
}

TEST(Introspect, GlobalNamesAreSortedAndFiltered) {
  Harness h;
  h.run("(def {zz-b zz-a} 1 2)");
  std::vector<Symbol*> names = global_names(h.vm(), "zz-");
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0]->name(), "zz-a");
  EXPECT_EQ(names[1]->name(), "zz-b");
  EXPECT_EQ(h.eval("(vm/names \"zz-\")"), "{\"zz-a\" \"zz-b\"}");
  size_t all = global_names(h.vm(), "").size();
  EXPECT_EQ(h.eval("(len (vm/names))"), std::to_string(all));
}

}  // namespace
}  // namespace valk
