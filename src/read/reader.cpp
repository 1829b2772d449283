// reader.cpp: the reader. One pass over the bytes with an explicit stack of open lists.
#include "read/reader.h"

#include <cstdio>
#include <cstring>
#include <vector>

#include "config/limits.h"
#include "read/number.h"
#include "value/dict.h"
#include "value/make.h"

namespace valk {

bool is_symbol_char(unsigned char c) {
  if (c >= 0x80) return true;  // UTF-8 letters
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != 0 && std::strchr("_+-*\\/=<>!&?%.:#$^~@|", c) != nullptr;
}

namespace {

// How often (in bytes) a long string literal checks the heap limit while it is read.
constexpr size_t kLimitCheckBytes = size_t(64) << 10;

std::string out_of_memory_message(size_t bytes) {
  return "out of memory: a string literal of more than " + std::to_string(bytes) + " bytes passes the heap limit";
}

// A list being read: its cells so far and where it was opened.
struct OpenList {
  Value head = Value::undefined();
  Value last = Value::undefined();
  bool quoted;
  char open;  // ( { or [ (a dictionary literal, read as a list then made a Dict)
  char close;
  SrcPos opened;
};

class Reader {
 public:
  Reader(Heap& heap, SymbolTable& symbols, const ReadInput& in)
      : heap_(heap), symbols_(symbols), in_(in), line_(in.first_line) {}

  ReadResult run();

 private:
  SrcPos here() const { return SrcPos::make(in_.file, line_, col_); }
  bool at_end() const { return i_ >= in_.text.size(); }
  unsigned char peek() const { return static_cast<unsigned char>(in_.text[i_]); }
  void advance();
  bool fail(std::string message, SrcPos pos, bool incomplete = false);
  void append(Value item, SrcPos pos);
  void skip_comment();
  bool open_list(char open);
  bool close_list(char close);
  Value dict_literal(Value items);
  bool read_string();
  bool read_token();
  ReadResult finish();

  Heap& heap_;
  SymbolTable& symbols_;
  const ReadInput& in_;
  size_t i_ = 0;
  uint32_t line_;
  uint32_t col_ = 1;
  std::vector<OpenList> stack_;
  // The first string literal that holds code-looking lines (read_string), where an unterminated
  // string at the end is reported: it opened there, not at the quote that closed it.
  SrcPos swallowing_string_;
  SrcPos unterminated_string_start(SrcPos at_end_opened) const {
    return swallowing_string_.known() ? swallowing_string_ : at_end_opened;
  }
  ReadError error_{};
  bool failed_ = false;
};

void Reader::advance() {
  unsigned char c = peek();
  ++i_;
  if (c == '\n') {
    ++line_;
    col_ = 1;
  } else if ((c & 0xC0) != 0x80) {  // count code points, not UTF-8 continuation bytes
    ++col_;
  }
}

bool Reader::fail(std::string message, SrcPos pos, bool incomplete) {
  failed_ = true;
  error_ = ReadError{std::move(message), pos, incomplete};
  return false;
}

void Reader::append(Value item, SrcPos pos) {
  OpenList& list = stack_.back();
  Value cell = make_source_cons(heap_, item, Value::undefined(), list.quoted, pos);
  if (list.head.is_undefined()) {
    list.head = cell;
  } else {
    list.last.as<Cons>()->cdr = cell;  // cells under construction: no safe point can intervene
  }
  list.last = cell;
}

void Reader::skip_comment() {
  while (!at_end() && peek() != '\n') advance();
}

bool Reader::open_list(char open) {
  if (int(stack_.size()) > limits::kMaxNesting) {
    return fail("lists nested deeper than " + std::to_string(limits::kMaxNesting) + " levels",
                here());
  }
  bool quoted = open != '(';
  char close = open == '(' ? ')' : open == '{' ? '}' : ']';
  stack_.push_back(OpenList{Value::undefined(), Value::undefined(), quoted, open, close, here()});
  advance();
  return true;
}

std::string describe_pos(SrcPos p) {
  return std::to_string(p.line()) + ":" + std::to_string(p.col());
}

bool Reader::close_list(char close) {
  if (stack_.size() == 1) return fail(std::string("unexpected '") + close + "'", here());
  OpenList list = stack_.back();
  if (list.close != close) {
    return fail(std::string("expected '") + list.close + "' to close '" + list.open +
                    "' opened at " + describe_pos(list.opened) + ", found '" + close + "'",
                here());
  }
  stack_.pop_back();
  advance();
  Value end = list.quoted ? Value::nil() : Value::empty_sexpr();
  Value value = end;
  if (!list.head.is_undefined()) {
    list.last.as<Cons>()->cdr = end;
    value = list.head;
  }
  if (list.open == '[') {
    value = dict_literal(value);
    if (value.is_undefined()) return fail("a dictionary literal needs a value for each key", list.opened);
  }
  append(value, list.opened);
  return true;
}

// [k1 v1 k2 v2]: keys and values are data, as in a Q-expression; a later key replaces an equal
// earlier one. Undefined when a key has no value.
Value Reader::dict_literal(Value items) {
  DictBuilder d(heap_);
  for (Value c = items; is_cons(c); c = cdr(cdr(c))) {
    if (!is_cons(cdr(c))) return Value::undefined();
    d.add(car(c), car(cdr(c)));
  }
  return d.finish();
}

bool Reader::read_string() {
  SrcPos start = here();
  advance();  // the opening quote
  std::string bytes;
  // Most strings have no escaped quote: the next quote bounds the length (a hint only).
  size_t quote = in_.text.find('"', i_);
  if (quote != std::string_view::npos && !heap_.would_pass_limit(quote - i_)) bytes.reserve(quote - i_);
  for (;;) {
    if (at_end()) return fail("unterminated string", unterminated_string_start(start), true);
    unsigned char c = peek();
    if (c == '"') break;
    // The string will be on the heap: reading counts against the heap limit.
    if ((bytes.size() & (kLimitCheckBytes - 1)) == kLimitCheckBytes - 1 && heap_.would_pass_limit(bytes.size())) {
      return fail(out_of_memory_message(bytes.size()), start);
    }
    if (c != '\\') {
      bytes += char(c);
      advance();
      continue;
    }
    SrcPos escape_pos = here();
    advance();
    if (at_end()) return fail("unterminated string", unterminated_string_start(start), true);
    char e = char(peek());
    const char* from = "abfnrtv\\'\"";
    const char* to = "\a\b\f\n\r\t\v\\'\"";
    const char* hit = std::strchr(from, e);
    if (!hit || e == '\0') {
      return fail(std::string("invalid escape '\\") + e + "' in string", escape_pos);
    }
    bytes += to[hit - from];
    advance();
  }
  advance();  // the closing quote
  // A string holding a line that opens with "(" has likely swallowed code: its closing quote is
  // probably missing, and the quote that ended it opened the string left unterminated.
  if (!swallowing_string_.known() && bytes.find("\n(") != std::string::npos) swallowing_string_ = start;
  if (heap_.would_pass_limit(bytes.size())) return fail(out_of_memory_message(bytes.size()), start);
  append(make_string(heap_, bytes), start);
  return true;
}

// A number when the whole token is one (read/number.h), else a symbol (so 5abc and - are symbols).
bool Reader::read_token() {
  SrcPos start = here();
  size_t begin = i_;
  while (!at_end() && is_symbol_char(peek())) advance();
  std::string_view tok = in_.text.substr(begin, i_ - begin);
  NumberSyntax syntax = classify_number(tok);
  if (syntax == NumberSyntax::kNotNumber) {
    append(Value::object(symbols_.intern(tok)), start);
    return true;
  }
  std::string error;
  Value n = parse_number(heap_, tok, syntax, &error);
  if (n.is_undefined()) return fail(error, start);
  append(n, start);
  return true;
}

ReadResult Reader::finish() {
  if (!failed_ && stack_.size() > 1) {
    const OpenList& open = stack_.back();
    fail(std::string("unclosed '") + open.open + "'", open.opened, true);
  }
  if (failed_) return ReadResult{Value::nil(), false, error_};
  OpenList& top = stack_.front();
  Value end = top.quoted ? Value::nil() : Value::empty_sexpr();
  if (top.head.is_undefined()) return ReadResult{end, true, {}};
  top.last.as<Cons>()->cdr = end;
  return ReadResult{top.head, true, {}};
}

ReadResult Reader::run() {
  stack_.push_back(OpenList{Value::undefined(), Value::undefined(), !in_.as_sexpr,
                            in_.as_sexpr ? '(' : '{', in_.as_sexpr ? ')' : '}', here()});
  // A "#!" line opening a file is a comment, so that scripts can start `#!/usr/bin/env valk`.
  if (in_.first_line == 1 && in_.text.starts_with("#!")) skip_comment();
  while (!failed_ && !at_end()) {
    unsigned char c = peek();
    if (c == ' ' || c == '\t' || c == '\v' || c == '\r' || c == '\n' || c == '\f') {
      advance();
    } else if (c == ';') {
      skip_comment();
    } else if (c == '(' || c == '{' || c == '[') {
      open_list(char(c));
    } else if (c == ')' || c == '}' || c == ']') {
      close_list(char(c));
    } else if (c == '"') {
      read_string();
    } else if (is_symbol_char(c)) {
      read_token();
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      std::string shown = (c >= 32 && c < 127) ? std::string(1, char(c)) : std::string(hex);
      fail("unexpected character '" + shown + "'", here());
    }
  }
  return finish();
}

}  // namespace

ReadResult read_forms(Heap& heap, SymbolTable& symbols, const ReadInput& input) {
  Reader reader(heap, symbols, input);
  return reader.run();
}

}  // namespace valk
