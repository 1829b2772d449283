// fileio_test.cpp: read_whole_file (lib/fileio.cpp): contents byte for byte, and why a file
// could not be read.
#include "lib/fileio.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace valk {
namespace {

namespace fs = std::filesystem;

fs::path temp_path(const char* tag) {
  return fs::temp_directory_path() / ("valk_fileio_test_" + std::to_string(getpid()) + "_" + tag);
}

TEST(FileIo, ReadsTheWholeFileByteForByte) {
  fs::path p = temp_path("bytes");
  std::string data = "line 1\r\nline 2\n";
  data += std::string("\0\xff\xfe", 3);
  data += std::string(200000, 'x');  // more than one read buffer
  std::ofstream(p, std::ios::binary) << data;
  std::string text = "stale";
  EXPECT_EQ(read_whole_file(p.string(), text), "");
  EXPECT_EQ(text, data);
  fs::remove(p);
}

TEST(FileIo, AnEmptyFileIsEmpty) {
  fs::path p = temp_path("empty");
  std::ofstream(p, std::ios::binary).close();
  std::string text = "stale";
  EXPECT_EQ(read_whole_file(p.string(), text), "");
  EXPECT_EQ(text, "");
  fs::remove(p);
}

TEST(FileIo, AMissingFileSaysWhy) {
  std::string text;
  EXPECT_EQ(read_whole_file("/nonexistent/dir/file.valk", text), "No such file or directory");
}

TEST(FileIo, ADirectoryIsNotAFile) {
  std::string text;
  EXPECT_FALSE(read_whole_file(fs::temp_directory_path().string(), text).empty());
}

}  // namespace
}  // namespace valk
