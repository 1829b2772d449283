// print_test.cpp: the printer (print.cpp): readable and display forms of every type, string
// escapes, functions and partials, errors, type_name, and lists a million levels deep.
#include "value/print.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "compile/proto.h"
#include "read/reader.h"
#include "value/make.h"
#include "vm/vm.h"

namespace valk {
namespace {

VmConfig bare_config() {
  VmConfig config;
  config.load_prelude = false;
  return config;
}

class PrintTest : public ::testing::Test {
 protected:
  VM vm{bare_config()};
  Heap& heap = vm.heap();
  Value run(std::string_view text) { return vm.run_source(text, "print_test.valk"); }
};

TEST_F(PrintTest, Integers) {
  EXPECT_EQ(readable(Value::fixnum(0)), "0");
  EXPECT_EQ(readable(Value::fixnum(-42)), "-42");
  EXPECT_EQ(readable(make_int(heap, Value::kFixnumMax)), "4611686018427387903");
  EXPECT_EQ(readable(make_int(heap, Value::kFixnumMax + 1)), "4611686018427387904");
  EXPECT_EQ(readable(make_int(heap, INT64_MIN)), "-9223372036854775808");
  EXPECT_EQ(display(make_int(heap, INT64_MAX)), "9223372036854775807");
}

TEST_F(PrintTest, EmptyListsAndUndefined) {
  EXPECT_EQ(readable(Value::nil()), "{}");
  EXPECT_EQ(readable(Value::empty_sexpr()), "()");
  EXPECT_EQ(display(Value::nil()), "{}");
  EXPECT_EQ(readable(Value::undefined()), "<undefined>");
}

TEST_F(PrintTest, Symbols) {
  EXPECT_EQ(readable(Value::object(vm.sym("foo/bar"))), "foo/bar");
  EXPECT_EQ(display(Value::object(vm.sym("&"))), "&");
}

TEST_F(PrintTest, StringReadableIsQuotedDisplayIsRaw) {
  Value s = make_string(heap, "hi there");
  EXPECT_EQ(readable(s), "\"hi there\"");
  EXPECT_EQ(display(s), "hi there");
}

TEST_F(PrintTest, StringEscapesAreReEscaped) {
  Value s = make_string(heap, "\a\b\f\n\r\t\v\\\"");
  EXPECT_EQ(readable(s), "\"\\a\\b\\f\\n\\r\\t\\v\\\\\\\"\"");
  EXPECT_EQ(display(s), "\a\b\f\n\r\t\v\\\"");
}

TEST_F(PrintTest, SingleQuoteAndUtf8AreLeftAsIs) {
  EXPECT_EQ(readable(make_string(heap, "it's")), "\"it's\"");
  EXPECT_EQ(readable(make_string(heap, "h\xc3\xa9llo")), "\"h\xc3\xa9llo\"");
}

TEST_F(PrintTest, ReadablePrintOfStringReadsBackToTheSameBytes) {
  std::string bytes = "a\"b\\c\nd\te\r\a\b\f\v'";
  std::string printed = readable(make_string(heap, bytes));
  ReadResult r = read_forms(heap, vm.symbols(), ReadInput{printed, 0, 1, false});
  ASSERT_TRUE(r.ok) << r.error.message;
  ASSERT_TRUE(is_string(car(r.forms)));
  EXPECT_EQ(std::string(car(r.forms).as<String>()->view()), bytes);
}

TEST_F(PrintTest, StringsInsideListsStayQuotedEvenInDisplay) {
  std::vector<Value> items = {make_string(heap, "a"), make_string(heap, "b\n")};
  Value list = make_list(heap, items, true);
  EXPECT_EQ(readable(list), "{\"a\" \"b\\n\"}");
  EXPECT_EQ(display(list), "{\"a\" \"b\\n\"}");
}

TEST_F(PrintTest, NestedListsWithBothBracketKinds) {
  ReadResult r = read_forms(heap, vm.symbols(), ReadInput{"{1 (2 {3 ()}) {} \"s\" sym}", 0, 1, false});
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(readable(car(r.forms)), "{1 (2 {3 ()}) {} \"s\" sym}");
  EXPECT_EQ(readable(r.forms), "{{1 (2 {3 ()}) {} \"s\" sym}}");
}

TEST_F(PrintTest, ListBuiltFromValues) {
  Value inner = make_list(heap, std::vector<Value>{Value::fixnum(2), Value::nil()}, false);
  Value outer = make_list(heap, std::vector<Value>{Value::fixnum(1), inner, Value::empty_sexpr()}, true);
  EXPECT_EQ(readable(outer), "{1 (2 {}) ()}");
}

TEST_F(PrintTest, LambdaShowsItsFormals) {
  Value f = run("(\\ {x y} {+ x y})");
  ASSERT_TRUE(is_closure(f)) << readable(f);
  EXPECT_EQ(readable(f), "<lambda {x y}>");
  EXPECT_EQ(display(f), "<lambda {x y}>");
}

TEST_F(PrintTest, LambdaWithoutFormals) {
  Value f = run("(\\ {} {1})");
  ASSERT_TRUE(is_closure(f)) << readable(f);
  EXPECT_EQ(readable(f), "<lambda {}>");
}

TEST_F(PrintTest, VariadicLambdaKeepsTheAmpersand) {
  Value f = run("(\\ {x & rest} {rest})");
  ASSERT_TRUE(is_closure(f)) << readable(f);
  EXPECT_EQ(readable(f), "<lambda {x & rest}>");
}

TEST_F(PrintTest, PartialShowsTheRemainingFormals) {
  Value p = run("((\\ {x y} {+ x y}) 1)");
  ASSERT_TRUE(is_partial(p)) << readable(p);
  EXPECT_EQ(readable(p), "<lambda {y}>");
  Value p2 = run("((\\ {a b c} {a}) 1 2)");
  ASSERT_TRUE(is_partial(p2)) << readable(p2);
  EXPECT_EQ(readable(p2), "<lambda {c}>");
}

TEST_F(PrintTest, PartialOfVariadicLambdaKeepsTheRest) {
  Value p = run("((\\ {a b & r} {r}) 1)");
  ASSERT_TRUE(is_partial(p)) << readable(p);
  EXPECT_EQ(readable(p), "<lambda {b & r}>");
}

TEST_F(PrintTest, Builtin) {
  Value plus = vm.sym("+")->global;
  ASSERT_TRUE(is_builtin(plus));
  EXPECT_EQ(readable(plus), "<builtin +>");
  EXPECT_EQ(readable(vm.sym("head")->global), "<builtin head>");
  EXPECT_EQ(readable(run("+")), "<builtin +>");
}

TEST_F(PrintTest, PartialOfBuiltinPrintsTheBuiltin) {
  auto* p = static_cast<Partial*>(heap.alloc(sizeof(Partial) + 8, ObjType::kPartial));
  p->aux = 1;
  p->fn = vm.sym("+")->global;
  p->args()[0] = Value::fixnum(1);
  EXPECT_EQ(readable(Value::object(p)), "<builtin +>");
}

TEST_F(PrintTest, FunctionsInsideLists) {
  Value r = run("(list + (\\ {a} {a}))");
  ASSERT_FALSE(is_error(r)) << vm.describe_error(r);
  EXPECT_EQ(readable(r), "{<builtin +> <lambda {a}>}");
}

TEST_F(PrintTest, Error) {
  Value e = make_error(heap, "boom \"x\"");
  EXPECT_EQ(readable(e), "Error: boom \"x\"");
  EXPECT_EQ(display(e), "Error: boom \"x\"");
  Value list = make_list(heap, std::vector<Value>{e}, true);
  EXPECT_EQ(readable(list), "{Error: boom \"x\"}");
}

TEST_F(PrintTest, ErrorRaisedByCode) {
  Value e = run("(error \"bad thing\")");
  ASSERT_TRUE(is_error(e));
  EXPECT_EQ(readable(e), "Error: bad thing");
}

TEST_F(PrintTest, InternalObjectsDoNotCrash) {
  auto* extra = new ProtoExtra;
  Proto* p = make_proto(heap, ProtoKind::kChunk, extra, 1);  // freed with the heap
  EXPECT_EQ(readable(Value::object(p)), "<internal>");
}

TEST_F(PrintTest, AppendsToTheGivenString) {
  std::string out = "x=";
  print_readable(out, make_string(heap, "v"));
  EXPECT_EQ(out, "x=\"v\"");
  print_display(out, make_string(heap, "w"));
  EXPECT_EQ(out, "x=\"v\"w");
}

TEST_F(PrintTest, TypeNameOfEveryType) {
  EXPECT_STREQ(type_name(Value::fixnum(1)), "Integer");
  EXPECT_STREQ(type_name(make_int(heap, INT64_MAX)), "Integer");
  EXPECT_STREQ(type_name(make_string(heap, "")), "String");
  EXPECT_STREQ(type_name(Value::object(vm.sym("a"))), "Symbol");
  EXPECT_STREQ(type_name(Value::nil()), "Q-expression");
  EXPECT_STREQ(type_name(Value::empty_sexpr()), "S-expression");
  EXPECT_STREQ(type_name(make_cons(heap, Value::fixnum(1), Value::nil(), true)), "Q-expression");
  EXPECT_STREQ(type_name(make_cons(heap, Value::fixnum(1), Value::empty_sexpr(), false)), "S-expression");
  EXPECT_STREQ(type_name(vm.sym("+")->global), "Function");
  EXPECT_STREQ(type_name(run("(\\ {x} {x})")), "Function");
  EXPECT_STREQ(type_name(run("((\\ {x y} {x}) 1)")), "Function");
  EXPECT_STREQ(type_name(make_error(heap, "e")), "Error");
  EXPECT_STREQ(type_name(Value::undefined()), "Undefined");
}

TEST_F(PrintTest, MillionDeepNestedListDoesNotOverflowTheStack) {
  constexpr int kDepth = 1'000'000;
  Value v = Value::fixnum(7);
  for (int i = 0; i < kDepth; ++i) {
    bool quoted = i % 2 == 0;
    v = make_cons(heap, v, quoted ? Value::nil() : Value::empty_sexpr(), quoted);
  }
  std::string expected;
  expected.reserve(2 * size_t(kDepth) + 1);
  for (int i = kDepth - 1; i >= 0; --i) expected += (i % 2 == 0) ? '{' : '(';
  expected += '7';
  for (int i = 0; i < kDepth; ++i) expected += (i % 2 == 0) ? '}' : ')';
  std::string printed = readable(v);
  EXPECT_EQ(printed.size(), expected.size());
  EXPECT_TRUE(printed == expected);
  EXPECT_TRUE(display(v) == expected);
}

TEST_F(PrintTest, MillionLongFlatList) {
  constexpr int kLength = 1'000'000;
  Value v = Value::nil();
  for (int i = 0; i < kLength; ++i) v = make_cons(heap, Value::fixnum(1), v, true);
  std::string printed = readable(v);
  EXPECT_EQ(printed.size(), 2 + 2 * size_t(kLength) - 1);
  EXPECT_EQ(printed.substr(0, 6), "{1 1 1");
  EXPECT_EQ(printed.substr(printed.size() - 4), "1 1}");
}

}  // namespace
}  // namespace valk
