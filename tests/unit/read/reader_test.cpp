// reader_test.cpp: the reader (reader.cpp): every token kind, string escapes, every read error
// with its position, the nesting limit, positions in code points, S- vs Q-expression top lists.
#include "read/reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/limits.h"
#include "value/object.h"
#include "value/print.h"

namespace valk {
namespace {

constexpr uint32_t kFile = 3;

class ReaderTest : public ::testing::Test {
 protected:
  Heap heap{HeapConfig{limits::kDefaultNurseryBytes, 0, false, false}};
  SymbolTable symbols;

  ReadResult read(std::string_view text, bool as_sexpr = false, uint32_t first_line = 1) {
    return read_forms(heap, symbols, ReadInput{text, kFile, first_line, as_sexpr});
  }
  // Reads text that must be valid and returns the printed list of forms.
  std::string printed(std::string_view text, bool as_sexpr = false) {
    ReadResult r = read(text, as_sexpr);
    EXPECT_TRUE(r.ok) << r.error.message << " at " << r.error.pos.line() << ":" << r.error.pos.col();
    return r.ok ? readable(r.forms) : "<error>";
  }
  // The only form of text.
  Value only(std::string_view text) {
    ReadResult r = read(text);
    EXPECT_TRUE(r.ok) << r.error.message;
    EXPECT_EQ(list_length(r.forms), 1u);
    return r.ok ? car(r.forms) : Value::undefined();
  }
  Value sym(std::string_view name) { return Value::object(symbols.intern(name)); }
};

std::string at(const ReadError& e) {
  return std::to_string(e.pos.line()) + ":" + std::to_string(e.pos.col());
}

// ---- empty input -----------------------------------------------------------------------------

TEST_F(ReaderTest, EmptyTextIsTheEmptyList) {
  ReadResult r = read("");
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.forms.is_nil());
  ReadResult s = read("", true);
  ASSERT_TRUE(s.ok);
  EXPECT_TRUE(s.forms.is_empty_sexpr());
}

TEST_F(ReaderTest, OnlyWhitespaceAndComments) {
  ReadResult r = read("  \t\n\v\f\r\n ; a comment\n;another");
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.forms.is_nil());
}

// ---- integers ----------------------------------------------------------------------------------

TEST_F(ReaderTest, Integers) {
  EXPECT_EQ(printed("0 42 -7 007 -0 -12345"), "{0 42 -7 7 0 -12345}");
  EXPECT_EQ(only("123"), Value::fixnum(123));
  EXPECT_EQ(only("-9"), Value::fixnum(-9));
}

TEST_F(ReaderTest, IntegersPastFixnumsAreBoxed) {
  Value v = only("4611686018427387904");  // 2^62
  ASSERT_TRUE(is_obj(v, ObjType::kInt));
  EXPECT_EQ(int_value(v), int64_t(1) << 62);
  EXPECT_TRUE(only("4611686018427387903").is_fixnum());
}

TEST_F(ReaderTest, Int64MaxAndMinRead) {
  EXPECT_EQ(int_value(only("9223372036854775807")), INT64_MAX);
  EXPECT_EQ(int_value(only("-9223372036854775808")), INT64_MIN);
}

TEST_F(ReaderTest, IntegerJustPastInt64MaxIsOutOfRange) {
  ReadResult r = read("9223372036854775808");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "integer out of range: 9223372036854775808");
  EXPECT_EQ(at(r.error), "1:1");
  EXPECT_FALSE(r.error.incomplete);
  EXPECT_EQ(r.error.pos.file(), kFile);
}

TEST_F(ReaderTest, FloatsReadAsFloatsAndOtherTokensStaySymbols) {
  Value f = only("-0.25");
  ASSERT_TRUE(is_float(f));
  EXPECT_EQ(float_value(f), -0.25);
  EXPECT_EQ(float_value(only("1e9")), 1e9);
  EXPECT_EQ(float_value(only("2.5E-3")), 2.5e-3);
  EXPECT_TRUE(is_int(only("42")));
  for (const char* s : {"5abc", "-", "1.", ".5", "1e", "1.5e+", "-.5", "1.5.2", "1e5x"}) {
    EXPECT_EQ(only(s), sym(s)) << s;
  }
}

TEST_F(ReaderTest, FloatPastDoubleRangeIsOutOfRange) {
  ReadResult r = read("(+ 1\n 1e999)");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "float out of range: 1e999");
  EXPECT_EQ(at(r.error), "2:2");
}

TEST_F(ReaderTest, IntegerJustPastInt64MinIsOutOfRange) {
  ReadResult r = read("-9223372036854775809");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "integer out of range: -9223372036854775809");
}

TEST_F(ReaderTest, HugeIntegerIsOutOfRangeAtItsPosition) {
  ReadResult r = read("(+ 1\n   123456789012345678901234567890)");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "integer out of range: 123456789012345678901234567890");
  EXPECT_EQ(at(r.error), "2:4");
  EXPECT_FALSE(r.error.incomplete);
}

// ---- symbols -----------------------------------------------------------------------------------

TEST_F(ReaderTest, DigitsFollowedByLettersAreASymbol) {
  Value v = only("5abc");
  ASSERT_TRUE(is_symbol(v));
  EXPECT_EQ(v.as<Symbol>()->name(), "5abc");
}

TEST_F(ReaderTest, LoneMinusIsASymbol) {
  Value v = only("-");
  ASSERT_TRUE(is_symbol(v));
  EXPECT_EQ(v.as<Symbol>()->name(), "-");
}

TEST_F(ReaderTest, NumberLikeSymbols) {
  for (const char* s : {"--1", "+5", "1-2", "-x", "12abc", "-1a", "0x10"}) {
    Value v = only(s);
    ASSERT_TRUE(is_symbol(v)) << s;
    EXPECT_EQ(v.as<Symbol>()->name(), s);
  }
}

TEST_F(ReaderTest, SymbolCharacters) {
  const char* names[] = {"abc",
                         "ABC_z",
                         "+",
                         "*",
                         "\\",
                         "/",
                         "=",
                         "<=",
                         ">",
                         "!=",
                         "&",
                         "foo/bar",
                         "a?b%c.d:e#f$g^h~i@j|k",
                         "\xce\xbb",
                         "h\xc3\xa9llo"};
  for (const char* n : names) {
    Value v = only(n);
    ASSERT_TRUE(is_symbol(v)) << n;
    EXPECT_EQ(v.as<Symbol>()->name(), n);
  }
}

TEST_F(ReaderTest, SymbolsAreInterned) {
  ReadResult r = read("abc abc");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(car(r.forms), car(cdr(r.forms)));
  EXPECT_EQ(car(r.forms), sym("abc"));
}

TEST_F(ReaderTest, IsSymbolChar) {
  for (unsigned char c : std::string("azAZ09_+-*\\/=<>!&?%.:#$^~@|")) EXPECT_TRUE(is_symbol_char(c)) << c;
  for (unsigned char c : std::string("(){}\"; \t\n\r[],'`")) EXPECT_FALSE(is_symbol_char(c)) << c;
  EXPECT_FALSE(is_symbol_char(0));
  EXPECT_TRUE(is_symbol_char(0x80));
  EXPECT_TRUE(is_symbol_char(0xff));
}

// ---- strings -----------------------------------------------------------------------------------

TEST_F(ReaderTest, Strings) {
  Value v = only("\"hello world\"");
  ASSERT_TRUE(is_string(v));
  EXPECT_EQ(v.as<String>()->view(), "hello world");
  Value e = only("\"\"");
  ASSERT_TRUE(is_string(e));
  EXPECT_EQ(e.as<String>()->length, 0u);
}

TEST_F(ReaderTest, EveryEscape) {
  Value v = only(R"("\a\b\f\n\r\t\v\\\'\"")");
  ASSERT_TRUE(is_string(v));
  EXPECT_EQ(v.as<String>()->view(), "\a\b\f\n\r\t\v\\'\"");
}

TEST_F(ReaderTest, StringsMaySpanLinesAndHoldSpecialCharacters) {
  Value v = only("\"a\nb ; not a comment (} \xc3\xa9\"");
  ASSERT_TRUE(is_string(v));
  EXPECT_EQ(v.as<String>()->view(), "a\nb ; not a comment (} \xc3\xa9");
}

TEST_F(ReaderTest, InvalidEscape) {
  ReadResult r = read(R"("ab\q")");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "invalid escape '\\q' in string");
  EXPECT_EQ(at(r.error), "1:4");  // the backslash
  EXPECT_FALSE(r.error.incomplete);
}

TEST_F(ReaderTest, InvalidEscapeOnALaterLine) {
  ReadResult r = read("(print 1)\n  \"x\\0\"");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "invalid escape '\\0' in string");
  EXPECT_EQ(at(r.error), "2:5");
}

TEST_F(ReaderTest, UnterminatedString) {
  ReadResult r = read("\"abc");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "unterminated string");
  EXPECT_EQ(at(r.error), "1:1");  // where the string starts
  EXPECT_TRUE(r.error.incomplete);
}

TEST_F(ReaderTest, UnterminatedStringEndingInBackslash) {
  ReadResult r = read("(f \"abc\\");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "unterminated string");
  EXPECT_EQ(at(r.error), "1:4");
  EXPECT_TRUE(r.error.incomplete);
}

TEST_F(ReaderTest, UnterminatedStringInsideList) {
  ReadResult r = read("(print\n \"abc)");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "unterminated string");
  EXPECT_EQ(at(r.error), "2:2");
  EXPECT_TRUE(r.error.incomplete);
}

// A missing closing quote makes the next quote close the string and open another that runs to
// the end: the error goes where the missing quote's string opened, the one that swallowed code.
TEST_F(ReaderTest, UnterminatedStringIsPlacedWhereTheSwallowingStringOpens) {
  ReadResult r = read("(def {s} \"oops)\n(print s)\n(print \"x\")");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "unterminated string");
  EXPECT_EQ(at(r.error), "1:10");
  // A string spanning lines that hold no code is not blamed.
  ReadResult plain = read("(def {s} \"two\nlines\")\n\"open");
  ASSERT_FALSE(plain.ok);
  EXPECT_EQ(at(plain.error), "3:1");
}

// ---- lists -------------------------------------------------------------------------------------

TEST_F(ReaderTest, ListsOfBothKinds) {
  EXPECT_EQ(printed("(+ 1 2) {a b} () {}"), "{(+ 1 2) {a b} () {}}");
  EXPECT_EQ(printed("{1 (2 {3 (4)})}"), "{{1 (2 {3 (4)})}}");
}

TEST_F(ReaderTest, EmptyListsAreImmediates) {
  ReadResult r = read("() {}");
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(car(r.forms).is_empty_sexpr());
  EXPECT_TRUE(car(cdr(r.forms)).is_nil());
}

TEST_F(ReaderTest, CellsAreSourceCellsOfTheRightKind) {
  Value form = only("(a {b c})");
  ASSERT_TRUE(is_scons(form));
  for (Value c = form; is_cons(c); c = cdr(c)) {
    EXPECT_TRUE(c.obj()->flags & consflag::kHasSource);
    EXPECT_TRUE(c.as<SourceCons>()->code.is_undefined());
    EXPECT_TRUE(is_scons(c));
  }
  Value q = car(cdr(form));
  ASSERT_TRUE(is_qcons(q));
  for (Value c = q; is_cons(c); c = cdr(c)) EXPECT_TRUE(is_qcons(c));
  EXPECT_TRUE(cdr(cdr(q)).is_nil());
  EXPECT_TRUE(cdr(cdr(form)).is_empty_sexpr());
}

TEST_F(ReaderTest, StrayCloseParen) {
  ReadResult r = read("1 2)");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "unexpected ')'");
  EXPECT_EQ(at(r.error), "1:4");
  EXPECT_FALSE(r.error.incomplete);
}

TEST_F(ReaderTest, StrayCloseBrace) {
  ReadResult r = read("\n  }");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "unexpected '}'");
  EXPECT_EQ(at(r.error), "2:3");
}

TEST_F(ReaderTest, StrayCloseParenInSexprMode) {
  ReadResult r = read("+ 1 2)", true);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "unexpected ')'");
  EXPECT_FALSE(r.error.incomplete);
}

TEST_F(ReaderTest, MismatchedBrackets) {
  ReadResult r = read("(+ 1 2}");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "expected ')' to close '(' opened at 1:1, found '}'");
  EXPECT_EQ(at(r.error), "1:7");
  EXPECT_FALSE(r.error.incomplete);
}

TEST_F(ReaderTest, MismatchedBracketsNamesTheInnermostOpenList) {
  ReadResult r = read("(a\n  {b c)\n)");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "expected '}' to close '{' opened at 2:3, found ')'");
  EXPECT_EQ(at(r.error), "2:7");
}

TEST_F(ReaderTest, UnclosedParenIsIncompleteAtTheOpening) {
  ReadResult r = read("(+ 1 2");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "unclosed '('");
  EXPECT_EQ(at(r.error), "1:1");
  EXPECT_TRUE(r.error.incomplete);
  EXPECT_EQ(r.error.pos.file(), kFile);
}

TEST_F(ReaderTest, UnclosedNamesTheInnermostOpenList) {
  ReadResult r = read("{a\n (b (c)");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "unclosed '('");
  EXPECT_EQ(at(r.error), "2:2");
  EXPECT_TRUE(r.error.incomplete);
}

TEST_F(ReaderTest, UnclosedBrace) {
  ReadResult r = read("(def {x} {1 2");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "unclosed '{'");
  EXPECT_EQ(at(r.error), "1:10");
  EXPECT_TRUE(r.error.incomplete);
}

TEST_F(ReaderTest, UnclosedWithTrailingComment) {
  ReadResult r = read("(a ; still open");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "unclosed '('");
  EXPECT_TRUE(r.error.incomplete);
}

// ---- nesting limit -----------------------------------------------------------------------------

std::string nested(int depth, char open, char close, std::string_view inner = "1") {
  return std::string(size_t(depth), open) + std::string(inner) + std::string(size_t(depth), close);
}

int depth_of(Value v) {
  int d = 0;
  while (is_cons(v)) {
    ++d;
    v = car(v);
  }
  return d;
}

TEST_F(ReaderTest, HundredThousandOpenParensGiveACleanError) {
  ReadResult r = read(std::string(100'000, '('));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "lists nested deeper than 1000 levels");
  EXPECT_FALSE(r.error.incomplete);
  EXPECT_EQ(at(r.error), "1:" + std::to_string(limits::kMaxNesting + 1));
}

TEST_F(ReaderTest, ExactlyMaxNestingLevelsRead) {
  ReadResult r = read(nested(limits::kMaxNesting, '(', ')'));
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(depth_of(car(r.forms)), limits::kMaxNesting);
  ReadResult q = read(nested(limits::kMaxNesting, '{', '}'));
  ASSERT_TRUE(q.ok) << q.error.message;
  ReadResult s = read(nested(limits::kMaxNesting, '(', ')'), true);
  ASSERT_TRUE(s.ok) << s.error.message;
}

TEST_F(ReaderTest, OneLevelPastMaxNestingFails) {
  ReadResult r = read(nested(limits::kMaxNesting + 1, '{', '}'));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "lists nested deeper than 1000 levels");
  EXPECT_FALSE(r.error.incomplete);
}

TEST_F(ReaderTest, DeepButSequentialListsAreFine) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += nested(limits::kMaxNesting, '(', ')') + "\n";
  ReadResult r = read(text);
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(list_length(r.forms), 100u);
}

// ---- other errors ------------------------------------------------------------------------------

TEST_F(ReaderTest, UnexpectedCharacter) {
  ReadResult r = read("(a `b)");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "unexpected character '`'");
  EXPECT_EQ(at(r.error), "1:4");
  EXPECT_FALSE(r.error.incomplete);
}

TEST_F(ReaderTest, BracketsReadADictionaryLiteral) {
  Value d = only("[1 {a} \"k\" (b)]");
  ASSERT_TRUE(is_dict(d));
  EXPECT_EQ(readable(d), "[1 {a} \"k\" (b)]");
  ReadResult odd = read("(x\n  [1 2 3])");
  ASSERT_FALSE(odd.ok);
  EXPECT_EQ(odd.error.message, "a dictionary literal needs a value for each key");
  EXPECT_EQ(at(odd.error), "2:3");
  ReadResult open = read("[1 2");
  ASSERT_FALSE(open.ok);
  EXPECT_EQ(open.error.message, "unclosed '['");
  EXPECT_TRUE(open.error.incomplete);
  ReadResult wrong = read("[1 2}");
  ASSERT_FALSE(wrong.ok);
  EXPECT_EQ(wrong.error.message, "expected ']' to close '[' opened at 1:1, found '}'");
}

TEST_F(ReaderTest, UnexpectedControlCharacterIsShownInHex) {
  ReadResult r = read("a \x01");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "unexpected character '\\x01'");
  EXPECT_EQ(at(r.error), "1:3");
}

TEST_F(ReaderTest, NulByteIsAnErrorNotTheEnd) {
  ReadResult r = read(std::string_view("a\0b", 3));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "unexpected character '\\x00'");
  EXPECT_EQ(at(r.error), "1:2");
}

TEST_F(ReaderTest, QuoteCharacterIsUnexpected) {
  ReadResult r = read("'a");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "unexpected character '''");
}

TEST_F(ReaderTest, ErrorStopsAtTheFirstProblem) {
  ReadResult r = read(") \"unterminated");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "unexpected ')'");
  EXPECT_TRUE(r.forms.is_nil());
}

// ---- comments ----------------------------------------------------------------------------------

TEST_F(ReaderTest, CommentAtEndOfFileWithoutNewline) { EXPECT_EQ(printed("(+ 1 2) ; the end"), "{(+ 1 2)}"); }

TEST_F(ReaderTest, CommentBeforeCloseParen) { EXPECT_EQ(printed("(+ 1 ; one\n 2 ; two\n)"), "{(+ 1 2)}"); }

TEST_F(ReaderTest, CommentHidesBrackets) { EXPECT_EQ(printed("(a ; ) } {\n b)"), "{(a b)}"); }

TEST_F(ReaderTest, SemicolonEndsASymbol) { EXPECT_EQ(printed("abc;comment\ndef"), "{abc def}"); }

// ---- positions ---------------------------------------------------------------------------------

TEST_F(ReaderTest, PositionsOfForms) {
  ReadResult r = read("(a\n  bc  \"d\")\n  {x}");
  ASSERT_TRUE(r.ok);
  SrcPos first = cell_pos(r.forms);
  EXPECT_EQ(first.line(), 1u);
  EXPECT_EQ(first.col(), 1u);
  EXPECT_EQ(first.file(), kFile);
  SrcPos second = cell_pos(cdr(r.forms));
  EXPECT_EQ(second.line(), 3u);
  EXPECT_EQ(second.col(), 3u);
  Value form = car(r.forms);
  EXPECT_EQ(cell_pos(form).line(), 1u);  // a
  EXPECT_EQ(cell_pos(form).col(), 2u);
  EXPECT_EQ(cell_pos(cdr(form)).line(), 2u);  // bc
  EXPECT_EQ(cell_pos(cdr(form)).col(), 3u);
  EXPECT_EQ(cell_pos(cdr(cdr(form))).line(), 2u);  // "d"
  EXPECT_EQ(cell_pos(cdr(cdr(form))).col(), 7u);
}

TEST_F(ReaderTest, ColumnsCountCodePointsNotBytes) {
  ReadResult r = read("\"h\xc3\xa9\xc3\xa9\" x \xce\xbb\xce\xbb y");
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(list_length(r.forms), 4u);
  EXPECT_EQ(cell_pos(cdr(r.forms)).col(), 7u);             // x after "héé"
  EXPECT_EQ(cell_pos(cdr(cdr(r.forms))).col(), 9u);        // λλ
  EXPECT_EQ(cell_pos(cdr(cdr(cdr(r.forms)))).col(), 12u);  // y
}

TEST_F(ReaderTest, ErrorColumnsCountCodePoints) {
  ReadResult r = read("\xce\xbb\xce\xbb )");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(at(r.error), "1:4");
}

TEST_F(ReaderTest, PositionsAfterAMultiLineString) {
  ReadResult r = read("\"a\nbc\" z");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(cell_pos(cdr(r.forms)).line(), 2u);
  EXPECT_EQ(cell_pos(cdr(r.forms)).col(), 5u);
}

TEST_F(ReaderTest, FirstLineOffsetsLineNumbers) {
  ReadResult r = read("a\nb", false, 40);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(cell_pos(r.forms).line(), 40u);
  EXPECT_EQ(cell_pos(cdr(r.forms)).line(), 41u);
  ReadResult e = read("\n)", false, 40);
  ASSERT_FALSE(e.ok);
  EXPECT_EQ(at(e.error), "41:1");
}

TEST_F(ReaderTest, VeryLongLinesClampTheColumn) {
  std::string text(size_t(limits::kMaxColumn) + 100, ' ');
  text += "x";
  ReadResult r = read(text);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(cell_pos(r.forms).col(), limits::kMaxColumn);
  EXPECT_EQ(cell_pos(r.forms).line(), 1u);
  EXPECT_EQ(cell_pos(r.forms).file(), kFile);
}

// ---- top list ----------------------------------------------------------------------------------

TEST_F(ReaderTest, TopListIsAQExpressionByDefault) {
  ReadResult r = read("+ 1 2");
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(is_qexpr(r.forms));
  EXPECT_EQ(readable(r.forms), "{+ 1 2}");
  EXPECT_TRUE(cell_pos(r.forms).known());
}

TEST_F(ReaderTest, TopListIsAnSExpressionWhenAsked) {
  ReadResult r = read("+ 1 2", true);
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(is_sexpr(r.forms));
  EXPECT_EQ(readable(r.forms), "(+ 1 2)");
  for (Value c = r.forms; is_cons(c); c = cdr(c)) EXPECT_TRUE(is_scons(c));
}

// ---- line endings and whitespace ---------------------------------------------------------------

TEST_F(ReaderTest, CrlfLineEndings) {
  ReadResult r = read("(a\r\n b) ; c\r\n{d}\r\n");
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(readable(r.forms), "{(a b) {d}}");
  Value form = car(r.forms);
  EXPECT_EQ(cell_pos(cdr(form)).line(), 2u);
  EXPECT_EQ(cell_pos(cdr(form)).col(), 2u);
  EXPECT_EQ(cell_pos(cdr(r.forms)).line(), 3u);
  EXPECT_EQ(cell_pos(cdr(r.forms)).col(), 1u);
}

TEST_F(ReaderTest, CrlfErrorPositions) {
  ReadResult r = read("(a)\r\n(b\r\n");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "unclosed '('");
  EXPECT_EQ(at(r.error), "2:1");
}

TEST_F(ReaderTest, AllWhitespaceSeparates) { EXPECT_EQ(printed("a\tb\vc\fd\re\nf g"), "{a b c d e f g}"); }

TEST_F(ReaderTest, AdjacentTokensWithoutSpaces) {
  EXPECT_EQ(printed("(a\"s\"b)(c){d}"), "{(a \"s\" b) (c) {d}}");
}

// ---- larger input ------------------------------------------------------------------------------

TEST_F(ReaderTest, ManyForms) {
  std::string text;
  for (int i = 0; i < 100'000; ++i) text += "(+ " + std::to_string(i) + " 1)\n";
  ReadResult r = read(text);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(list_length(r.forms), 100'000u);
  Value last = r.forms;
  while (is_cons(cdr(last))) last = cdr(last);
  EXPECT_EQ(cell_pos(last).line(), 100'000u);
  EXPECT_EQ(readable(car(last)), "(+ 99999 1)");
}

// ---- with the collector ------------------------------------------------------------------------

struct TestRoots final : RootSource {
  std::vector<Value> values;
  void trace_roots(RootVisitor& v, bool) override {
    if (!values.empty()) v.visit_range(values.data(), values.data() + values.size());
  }
};

// Reading more than the nursery holds serves the rest from the old space; the forms must come
// through the next collection intact.
TEST(ReaderGc, FormsLargerThanTheNurserySurviveACollection) {
  Heap heap(HeapConfig{limits::kMinNurseryBytes, 0, false, false});
  SymbolTable symbols;
  std::string text;
  for (int i = 0; i < 5000; ++i) {
    text += "(f " + std::to_string(i) + " \"s" + std::to_string(i) + "\" {" + std::to_string(INT64_MAX - i) +
            " (g)})\n";
  }
  ReadResult r = read_forms(heap, symbols, ReadInput{text, 1, 1, false});
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_TRUE(heap.collection_wanted());
  std::string before = readable(r.forms);
  TestRoots roots;
  roots.values.push_back(r.forms);
  heap.collect(roots, false);
  EXPECT_EQ(heap.verify(roots), "");
  EXPECT_EQ(readable(roots.values[0]), before);
  EXPECT_EQ(cell_pos(roots.values[0]).line(), 1u);
  heap.collect(roots, true);
  EXPECT_EQ(heap.verify(roots), "");
  EXPECT_EQ(readable(roots.values[0]), before);
}

}  // namespace
}  // namespace valk
