// symbol_test.cpp: the symbol table (symbol.cpp): interning once, lookup without interning,
// ids in order of creation, symbol headers, and growth of the table to many symbols.
#include "value/symbol.h"

#include <gtest/gtest.h>

#include <string>
#include <unordered_set>

namespace valk {
namespace {

TEST(SymbolTable, InternReturnsTheSameSymbolForTheSameName) {
  SymbolTable t;
  Symbol* a = t.intern("alpha");
  Symbol* b = t.intern(std::string("alp") + "ha");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, t.intern("beta"));
  EXPECT_EQ(t.all().size(), 2u);
}

TEST(SymbolTable, FindDoesNotIntern) {
  SymbolTable t;
  EXPECT_EQ(t.find("ghost"), nullptr);
  EXPECT_TRUE(t.all().empty());
  Symbol* s = t.intern("ghost");
  EXPECT_EQ(t.find("ghost"), s);
  EXPECT_EQ(t.find("ghos"), nullptr);
  EXPECT_EQ(t.find("ghost2"), nullptr);
}

TEST(SymbolTable, SymbolHeaderIsInitialised) {
  SymbolTable t;
  Symbol* s = t.intern("name");
  EXPECT_EQ(s->type, ObjType::kSymbol);
  EXPECT_EQ(s->gc, gcbit::kImmortal);
  EXPECT_TRUE(s->global.is_undefined());
  EXPECT_EQ(s->scope_flags, 0u);
  EXPECT_EQ(s->watch, -1);
  EXPECT_EQ(s->name(), "name");
  EXPECT_EQ(s->length, 4u);
  EXPECT_EQ(s->data()[4], '\0');
  Value v = Value::object(s);
  EXPECT_TRUE(is_symbol(v));
}

TEST(SymbolTable, IdsFollowTheOrderOfCreation) {
  SymbolTable t;
  Symbol* a = t.intern("a");
  Symbol* b = t.intern("b");
  t.intern("a");
  Symbol* c = t.intern("c");
  EXPECT_EQ(a->id, 0u);
  EXPECT_EQ(b->id, 1u);
  EXPECT_EQ(c->id, 2u);
  ASSERT_EQ(t.all().size(), 3u);
  EXPECT_EQ(t.all()[0], a);
  EXPECT_EQ(t.all()[1], b);
  EXPECT_EQ(t.all()[2], c);
}

TEST(SymbolTable, NamesAreExactBytes) {
  SymbolTable t;
  Symbol* lower = t.intern("abc");
  Symbol* upper = t.intern("ABC");
  Symbol* empty = t.intern("");
  Symbol* utf8 = t.intern("\xce\xbb");  // λ
  Symbol* with_nul = t.intern(std::string_view("a\0b", 3));
  EXPECT_NE(lower, upper);
  EXPECT_EQ(empty->name(), "");
  EXPECT_EQ(t.intern(""), empty);
  EXPECT_EQ(utf8->name(), "\xce\xbb");
  EXPECT_EQ(with_nul->length, 3u);
  EXPECT_NE(with_nul, t.intern("a"));
  EXPECT_EQ(t.find(std::string_view("a\0b", 3)), with_nul);
}

TEST(SymbolTable, HashIsStored) {
  SymbolTable t;
  Symbol* a = t.intern("x");
  Symbol* b = t.intern("y");
  EXPECT_NE(a->hash, b->hash);
  EXPECT_EQ(a->hash, t.intern("x")->hash);
}

TEST(SymbolTable, ManySymbolsGrowTheTable) {
  SymbolTable t;
  constexpr int kCount = 100'000;
  std::vector<Symbol*> made;
  made.reserve(kCount);
  for (int i = 0; i < kCount; ++i) made.push_back(t.intern("sym" + std::to_string(i)));
  EXPECT_EQ(t.all().size(), size_t(kCount));
  std::unordered_set<Symbol*> distinct(made.begin(), made.end());
  EXPECT_EQ(distinct.size(), size_t(kCount));
  for (int i = 0; i < kCount; ++i) {
    std::string name = "sym" + std::to_string(i);
    ASSERT_EQ(t.find(name), made[size_t(i)]) << name;
    ASSERT_EQ(t.intern(name), made[size_t(i)]) << name;
    ASSERT_EQ(made[size_t(i)]->id, uint32_t(i));
  }
  EXPECT_EQ(t.all().size(), size_t(kCount));  // re-interning made nothing new
  EXPECT_EQ(t.find("sym100000"), nullptr);
}

TEST(SymbolTable, SymbolsNeverMoveWhenTheTableGrows) {
  SymbolTable t;
  Symbol* first = t.intern("first");
  for (int i = 0; i < 5000; ++i) t.intern("filler" + std::to_string(i));
  EXPECT_EQ(t.intern("first"), first);
  EXPECT_EQ(first->name(), "first");
}

TEST(SymbolTable, LongNames) {
  SymbolTable t;
  std::string long_name(100'000, 'z');
  Symbol* s = t.intern(long_name);
  EXPECT_EQ(s->length, 100'000u);
  EXPECT_EQ(t.find(long_name), s);
  EXPECT_EQ(t.find(long_name.substr(1)), nullptr);
}

}  // namespace
}  // namespace valk
