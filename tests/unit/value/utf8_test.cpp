// utf8_test.cpp: value/utf8.cpp: the well-formedness rules (overlong forms, surrogates, the end
// of Unicode, truncated sequences), decoding, encoding and character offsets.
#include "value/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace valk {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_EQ(utf8::first_invalid(""), utf8::kValid);
  EXPECT_EQ(utf8::first_invalid("plain ascii"), utf8::kValid);
  EXPECT_EQ(utf8::first_invalid("h\xC3\xA9llo \xE6\x97\xA5 \xF0\x9F\x98\x80"), utf8::kValid);
  EXPECT_EQ(utf8::first_invalid("\xF4\x8F\xBF\xBF"), utf8::kValid);  // U+10FFFF
  EXPECT_EQ(utf8::first_invalid("\xED\x9F\xBF"), utf8::kValid);      // U+D7FF
}

TEST(Utf8, NamesTheFirstIllFormedByte) {
  EXPECT_EQ(utf8::first_invalid("ab\x80"), 2u);               // lone continuation
  EXPECT_EQ(utf8::first_invalid("a\xC3"), 1u);                // truncated at the end
  EXPECT_EQ(utf8::first_invalid("\xC0\x80"), 0u);             // overlong NUL
  EXPECT_EQ(utf8::first_invalid("\xE0\x80\x80"), 0u);         // overlong 3-byte
  EXPECT_EQ(utf8::first_invalid("\xF0\x80\x80\x80"), 0u);     // overlong 4-byte
  EXPECT_EQ(utf8::first_invalid("x\xED\xA0\x80"), 1u);        // surrogate U+D800
  EXPECT_EQ(utf8::first_invalid("\xF4\x90\x80\x80"), 0u);     // above U+10FFFF
  EXPECT_EQ(utf8::first_invalid("\xF5\x80\x80\x80"), 0u);     // no such lead byte
  EXPECT_EQ(utf8::first_invalid("\xE6\x97"), 0u);             // truncated 3-byte
  EXPECT_EQ(utf8::first_invalid("\xE6\x41\x41"), 0u);         // bad continuation
  EXPECT_EQ(utf8::first_invalid(std::string("a\0\xFF", 3)), 2u);
}

TEST(Utf8, DecodesAndEncodesEveryLength) {
  for (uint32_t cp : {0x24u, 0xA2u, 0x939u, 0x20ACu, 0xD55Cu, 0x10348u, 0x10FFFFu}) {
    std::string s;
    ASSERT_TRUE(utf8::encode(s, cp));
    EXPECT_EQ(utf8::first_invalid(s), utf8::kValid);
    size_t i = 0;
    EXPECT_EQ(utf8::decode(s, i), cp);
    EXPECT_EQ(i, s.size());
  }
  std::string s;
  EXPECT_FALSE(utf8::encode(s, 0xD800));
  EXPECT_FALSE(utf8::encode(s, 0x110000));
  EXPECT_TRUE(s.empty());
}

TEST(Utf8, CountsCharactersAndFindsTheirOffsets) {
  std::string_view s = "a\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80z";  // a é 日 😀 z
  EXPECT_EQ(utf8::count(s), 5u);
  EXPECT_EQ(utf8::offset_of(s, 0), 0u);
  EXPECT_EQ(utf8::offset_of(s, 2), 3u);
  EXPECT_EQ(utf8::offset_of(s, 4), 10u);
  EXPECT_EQ(utf8::offset_of(s, 5), 11u);
  EXPECT_EQ(utf8::offset_of(s, 9), 11u);  // stops at the end
  EXPECT_EQ(utf8::offset_of(s, 1, 3), 6u);
  EXPECT_TRUE(utf8::is_ascii("abc"));
  EXPECT_FALSE(utf8::is_ascii(s));
}

}  // namespace
}  // namespace valk
