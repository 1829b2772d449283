// embedded_test.cpp: the Valk sources built into the binary (lib/embedded.cpp): their text, the
// paths programs load them by, and their forms read once per VM.
#include "lib/embedded.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "../vm/harness.h"

namespace valk {
namespace {

using test::Harness;

std::string read_source_file(const std::string& rel) {
  std::ifstream in(std::string(VALK_SOURCE_DIR) + "/" + rel, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Embedded, SourcesAreTheFilesOfLib) {
  EXPECT_EQ(embedded_source(EmbeddedFile::kPrelude), read_source_file("lib/prelude.valk"));
  EXPECT_EQ(embedded_source(EmbeddedFile::kTestModule), read_source_file("lib/modules/test.valk"));
}

TEST(Embedded, AliasesAreTheOriginalsPaths) {
  EXPECT_EQ(embedded_alias(EmbeddedFile::kPrelude), "src/prelude.valk");
  EXPECT_EQ(embedded_alias(EmbeddedFile::kTestModule), "src/modules/test.valk");
}

TEST(Embedded, FormsAreReadOncePerVm) {
  Harness h;
  Value first = read_embedded(h.vm(), EmbeddedFile::kTestModule);
  Value again = read_embedded(h.vm(), EmbeddedFile::kTestModule);
  EXPECT_EQ(first, again);
  EXPECT_TRUE(is_cons(first));
  EXPECT_EQ(first, h.vm().embedded_forms(int(EmbeddedFile::kTestModule)));
  Value prelude = read_embedded(h.vm(), EmbeddedFile::kPrelude);
  EXPECT_TRUE(is_cons(prelude));
  EXPECT_NE(prelude, first);
}

TEST(Embedded, PositionsNameTheBuiltinFile) {
  Harness h;
  Value forms = read_embedded(h.vm(), EmbeddedFile::kPrelude);
  SrcPos pos = cell_pos(forms);
  ASSERT_TRUE(pos.known());
  EXPECT_TRUE(h.vm().files().is_builtin(pos.file()));
  EXPECT_EQ(h.vm().files().name(pos.file()), "<builtin src/prelude.valk>");
}

TEST(Embedded, AFileOfTheSameNameWinsOverTheAlias) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("valk_embedded_test_" + std::to_string(getpid()));
  fs::create_directories(dir / "src");
  std::ofstream(dir / "src" / "prelude.valk") << "(def {from-the-file} 1)\n";
  fs::path cwd = fs::current_path();
  fs::current_path(dir);
  Harness h;
  std::string loaded = h.eval("(load \"src/prelude.valk\") from-the-file");
  std::string module = h.eval("(load \"src/modules/test.valk\") (test/assert 1 \"x\")");
  fs::current_path(cwd);
  fs::remove_all(dir);
  EXPECT_EQ(loaded, "1");
  EXPECT_EQ(module, "1");  // no such file there: the embedded test module
}

}  // namespace
}  // namespace valk
