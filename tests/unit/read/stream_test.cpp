// stream_test.cpp: SourceStream (read/stream.cpp): pieces of whole top-level forms, their first
// lines, brackets/strings/comments spanning lines, stopping at a refused byte, the piece limit.
#include "read/stream.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace valk {
namespace {

struct Piece {
  std::string text;
  uint32_t line;
  bool operator==(const Piece&) const = default;
};
void PrintTo(const Piece& p, std::ostream* os) { *os << p.line << ":" << ::testing::PrintToString(p.text); }

// Splits `text` as valk FILE would; `error` gets the stream's complaint, if any.
std::vector<Piece> pieces(std::string text, size_t max_piece = 1 << 20, std::string* error = nullptr) {
  std::FILE* f = fmemopen(text.data(), text.size(), "rb");
  SourceStream stream(f, max_piece);
  std::vector<Piece> out;
  std::string piece;
  uint32_t line = 0;
  for (;;) {
    SourceStream::Next next = stream.next(piece, line);
    if (next == SourceStream::Next::kEnd) break;
    if (next == SourceStream::Next::kError) {
      if (error) *error = stream.error();
      break;
    }
    out.push_back(Piece{piece, line});
  }
  std::fclose(f);
  return out;
}

TEST(SourceStream, OnePiecePerLineOfWholeForms) {
  EXPECT_EQ(pieces("(a)\n(b) (c)\n"), (std::vector<Piece>{{"(a)\n", 1}, {"(b) (c)\n", 2}}));
  EXPECT_EQ(pieces(""), (std::vector<Piece>{}));
  EXPECT_EQ(pieces("(a)"), (std::vector<Piece>{{"(a)", 1}}));  // no final line break
}

TEST(SourceStream, FormsSpanningLinesStayWhole) {
  EXPECT_EQ(pieces("(fun {f x}\n  {+ x 1})\n(f 1)\n"),
            (std::vector<Piece>{{"(fun {f x}\n  {+ x 1})\n", 1}, {"(f 1)\n", 3}}));
  // A string's line breaks and brackets, and a comment's brackets, do not count.
  EXPECT_EQ(pieces("(print \"a\n(\\\"\nb\")\n; (\n(x)\n"),
            (std::vector<Piece>{{"(print \"a\n(\\\"\nb\")\n", 1}, {"; (\n", 4}, {"(x)\n", 5}}));
}

TEST(SourceStream, DictLiteralsSpanningLinesStayWhole) {
  // `[` had ended the piece as a refused byte: a file with a dict literal read "unclosed '['".
  EXPECT_EQ(pieces("(def {d} [\"a\" 1\n  \"b\" [2 3]])\n(get d \"a\")\n"),
            (std::vector<Piece>{{"(def {d} [\"a\" 1\n  \"b\" [2 3]])\n", 1}, {"(get d \"a\")\n", 3}}));
}

TEST(SourceStream, ARefusedByteEndsThePieceAtOnce) {
  EXPECT_EQ(pieces(std::string("(a)\n\0\0\0(b)\n", 11)),
            (std::vector<Piece>{{"(a)\n", 1}, {std::string(1, '\0'), 2}, {std::string(1, '\0'), 2},
                                {std::string(1, '\0'), 2}, {"(b)\n", 2}}));
  EXPECT_EQ(pieces("(a)) (b)\n")[0], (Piece{"(a))", 1}));
}

TEST(SourceStream, EveryBlankTheReaderSkipsKeepsAFormWhole) {
  // The reader's blanks (space, tab, vertical tab, form feed, carriage return, line break) are
  // no refused bytes: a form holding any of them is one piece.
  for (char blank : {' ', '\t', '\v', '\f', '\r', '\n'}) {
    std::string form = std::string("(a") + blank + "b)";
    EXPECT_EQ(pieces(form), (std::vector<Piece>{{form, 1}})) << int(blank);
  }
}

TEST(SourceStream, APieceLongerThanTheLimitIsAnError) {
  std::string error;
  auto got = pieces("(a)\n(" + std::string(5000, 'x') + ")\n", 1000, &error);
  EXPECT_EQ(got, (std::vector<Piece>{{"(a)\n", 1}}));
  EXPECT_EQ(error, "a form longer than 1000 bytes");
}

}  // namespace
}  // namespace valk
