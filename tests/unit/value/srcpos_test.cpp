// srcpos_test.cpp: source positions packed in 64 bits (srcpos.h) and the table of file names
// (srcpos.cpp): ids, names, "file:line:col" formatting, clamping of huge lines and columns.
#include "value/srcpos.h"

#include <gtest/gtest.h>

namespace valk {
namespace {

TEST(SrcPos, DefaultIsUnknown) {
  SrcPos p;
  EXPECT_FALSE(p.known());
  EXPECT_EQ(p.file(), 0u);
  EXPECT_EQ(p.line(), 0u);
  EXPECT_EQ(p.col(), 0u);
}

TEST(SrcPos, MakeRoundTrips) {
  SrcPos p = SrcPos::make(7, 123, 45);
  EXPECT_TRUE(p.known());
  EXPECT_EQ(p.file(), 7u);
  EXPECT_EQ(p.line(), 123u);
  EXPECT_EQ(p.col(), 45u);
}

TEST(SrcPos, FieldsDoNotBleedIntoEachOther) {
  SrcPos p = SrcPos::make(limits::kMaxSourceFiles, limits::kMaxLine, limits::kMaxColumn);
  EXPECT_EQ(p.file(), limits::kMaxSourceFiles);
  EXPECT_EQ(p.line(), limits::kMaxLine);
  EXPECT_EQ(p.col(), limits::kMaxColumn);
  SrcPos q = SrcPos::make(1, 0, 0);
  EXPECT_TRUE(q.known());
  EXPECT_EQ(q.line(), 0u);
}

TEST(SrcPos, HugeLinesAndColumnsAreClamped) {
  SrcPos p = SrcPos::make(2, limits::kMaxLine + 10, limits::kMaxColumn + 10);
  EXPECT_EQ(p.file(), 2u);
  EXPECT_EQ(p.line(), limits::kMaxLine);
  EXPECT_EQ(p.col(), limits::kMaxColumn);
  SrcPos q = SrcPos::make(2, UINT32_MAX, UINT32_MAX);
  EXPECT_EQ(q.file(), 2u);
  EXPECT_EQ(q.line(), limits::kMaxLine);
  EXPECT_EQ(q.col(), limits::kMaxColumn);
}

TEST(SrcPos, Equality) {
  EXPECT_TRUE(SrcPos::make(1, 2, 3) == SrcPos::make(1, 2, 3));
  EXPECT_FALSE(SrcPos::make(1, 2, 3) == SrcPos::make(1, 2, 4));
  EXPECT_FALSE(SrcPos::make(1, 2, 3) == SrcPos::make(2, 2, 3));
  EXPECT_TRUE(SrcPos() == SrcPos());
}

TEST(SourceFiles, IdsStartAtOneAndAreStable) {
  SourceFiles files;
  uint32_t a = files.intern("a.valk");
  uint32_t b = files.intern("b.valk");
  EXPECT_EQ(a, 1u);
  EXPECT_EQ(b, 2u);
  EXPECT_EQ(files.intern("a.valk"), a);
  EXPECT_EQ(files.intern("b.valk"), b);
  EXPECT_EQ(files.name(a), "a.valk");
  EXPECT_EQ(files.name(b), "b.valk");
}

TEST(SourceFiles, IdZeroIsUnknownAndOutOfRangeIsQuestionMark) {
  SourceFiles files;
  EXPECT_EQ(files.name(0), "");
  EXPECT_EQ(files.name(1), "?");
  EXPECT_EQ(files.name(12345), "?");
}

TEST(SourceFiles, EmptyNameGetsItsOwnId) {
  SourceFiles files;
  uint32_t id = files.intern("");
  EXPECT_NE(id, 0u);
  EXPECT_EQ(files.intern(""), id);
}

TEST(SourceFiles, Format) {
  SourceFiles files;
  uint32_t id = files.intern("dir/prog.valk");
  EXPECT_EQ(files.format(SrcPos::make(id, 3, 17)), "dir/prog.valk:3:17");
  EXPECT_EQ(files.format(SrcPos()), "");
  EXPECT_EQ(files.format(SrcPos::make(99, 1, 1)), "?:1:1");
}

TEST(SourceFiles, BuiltinSources) {
  SourceFiles files;
  uint32_t prelude = files.intern("<builtin prelude>");
  uint32_t user = files.intern("prelude.valk");
  uint32_t tricky = files.intern("<builtin");
  EXPECT_TRUE(files.is_builtin(prelude));
  EXPECT_FALSE(files.is_builtin(user));
  EXPECT_FALSE(files.is_builtin(tricky));
  EXPECT_FALSE(files.is_builtin(0));
  EXPECT_FALSE(files.is_builtin(999));
}

TEST(SourceFiles, ManyFiles) {
  SourceFiles files;
  for (uint32_t i = 1; i <= 2000; ++i) {
    std::string name = "f";
    name += std::to_string(i);  // (not "f" + ...: GCC 12 warns falsely about that concatenation)
    ASSERT_EQ(files.intern(name), i);
  }
  EXPECT_EQ(files.intern("f1000"), 1000u);
  EXPECT_EQ(files.name(2000), "f2000");
}

}  // namespace
}  // namespace valk
