// json_test.cpp: lib/json.cpp on the JSONTestSuite-style files of tests/json/: every y_ file
// decodes and survives encode + decode unchanged, every n_ file is rejected with its byte offset,
// and the outcome of every i_ file is the one docs/JSON.md documents.
#include "lib/json.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "value/equal.h"
#include "value/make.h"
#include "value/print.h"

namespace valk {
namespace {

namespace fs = std::filesystem;

std::map<std::string, std::string> cases(char kind) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::directory_iterator(fs::path(VALK_SOURCE_DIR) / "tests" / "json")) {
    std::string name = e.path().filename().string();
    if (name[0] != kind || name[1] != '_') continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    out[name] = s.str();
  }
  return out;
}

TEST(Json, ValidCasesDecodeAndRoundTrip) {
  auto ys = cases('y');
  EXPECT_GE(ys.size(), 30u);
  for (const auto& [name, text] : ys) {
    Heap heap(HeapConfig{});
    Value v;
    ASSERT_EQ(json_decode(heap, text, v), "") << name;
    std::string encoded;
    ASSERT_EQ(json_encode(v, encoded), "") << name;
    Value again;
    ASSERT_EQ(json_decode(heap, encoded, again), "") << name << ": " << encoded;
    EXPECT_TRUE(values_equal(v, again)) << name << ": " << readable(v) << " vs " << readable(again);
    std::string twice;
    ASSERT_EQ(json_encode(again, twice), "");
    EXPECT_EQ(encoded, twice) << name;
  }
}

TEST(Json, InvalidCasesAreRejectedWithAnOffset) {
  auto ns = cases('n');
  EXPECT_GE(ns.size(), 30u);
  for (const auto& [name, text] : ns) {
    Heap heap(HeapConfig{});
    Value v;
    std::string e = json_decode(heap, text, v);
    EXPECT_EQ(e.rfind("malformed JSON at byte ", 0), 0u) << name << ": " << e;
    size_t offset = std::stoul(e.substr(23));
    EXPECT_LE(offset, text.size()) << name;
  }
}

// The offsets of a few n_ cases, to the byte.
TEST(Json, InvalidCasesNameTheRightByte) {
  auto ns = cases('n');
  std::map<std::string, std::string> expected = {
      {"n_array_extra_comma.json", "malformed JSON at byte 3: unexpected character"},
      {"n_object_single_quote.json", "malformed JSON at byte 1: unexpected character"},
      {"n_string_newline.json", "malformed JSON at byte 3: control character in a string"},
      {"n_string_overlong_utf8.json", "malformed JSON at byte 2: invalid UTF-8"},
      {"n_structure_two_values.json", "malformed JSON at byte 3: text after the document"},
      {"n_structure_deep_1025.json", "malformed JSON at byte 1024: nested deeper than 1024 levels"},
      {"n_number_plus.json", "malformed JSON at byte 1: unexpected character"},
  };
  for (const auto& [name, message] : expected) {
    Heap heap(HeapConfig{});
    Value v;
    ASSERT_TRUE(ns.count(name)) << name;
    EXPECT_EQ(json_decode(heap, ns[name], v), message) << name;
  }
}

// Implementation-defined cases: "" when accepted (then the value printed), else the error.
TEST(Json, ImplementationDefinedCasesAreAsDocumented) {
  std::map<std::string, std::string> expected = {
      {"i_number_huge_int.json", "malformed JSON at byte 1: bad number"},
      {"i_number_neg_huge_int.json", "malformed JSON at byte 1: bad number"},
      {"i_number_uint64.json", "{1.8446744073709552e+19}"},
      {"i_number_double_overflow.json", "malformed JSON at byte 1: bad number"},
      {"i_number_double_underflow.json", "{0.0}"},
      {"i_number_very_long_fraction.json", "{0.1111111111111111}"},
      {"i_string_lone_high_surrogate.json", "malformed JSON at byte 2: bad string or escape"},
      {"i_string_lone_low_surrogate.json", "malformed JSON at byte 2: bad string or escape"},
      {"i_string_escaped_nul_in_key.json", std::string("[\"a\0b\" 1]", 9)},
      {"i_structure_utf8_bom.json", "malformed JSON at byte 0: unexpected character"},
  };
  auto is = cases('i');
  EXPECT_EQ(is.size(), expected.size());
  for (const auto& [name, text] : is) {
    ASSERT_TRUE(expected.count(name)) << name << " has no documented outcome";
    Heap heap(HeapConfig{});
    Value v;
    std::string e = json_decode(heap, text, v);
    EXPECT_EQ(e.empty() ? readable(v) : e, expected[name]) << name;
  }
}

TEST(Json, EncodeEscapesEveryControlCharacter) {
  Heap heap(HeapConfig{});
  std::string all;
  for (int c = 0; c < 0x20; ++c) all += char(c);
  std::string out;
  ASSERT_EQ(json_encode(make_string(heap, all), out), "");
  EXPECT_EQ(out,
            "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f"
            "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c"
            "\\u001d\\u001e\\u001f\"");
  Value back;
  ASSERT_EQ(json_decode(heap, out, back), "");
  EXPECT_EQ(back.as<String>()->view(), all);
}

}  // namespace
}  // namespace valk
