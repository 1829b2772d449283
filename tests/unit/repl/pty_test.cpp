// pty_test.cpp: the interactive REPL as a person meets it, driven through a pseudo-terminal:
// the banner, (help) and (quit), tab completion (and tabs on blanks that indent), results and
// errors in colour unless NO_COLOR, and fibers that run while the prompt waits.
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace valk {
namespace {

namespace fs = std::filesystem;

// A valk REPL on a pseudo-terminal, with its own HOME (for the history file) and environment.
class PtyRepl {
 public:
  explicit PtyRepl(std::vector<std::pair<std::string, std::string>> env = {}) {
    home_ = fs::temp_directory_path() / ("valk_pty_home_" + std::to_string(getpid()) + "_" + std::to_string(count_++));
    fs::create_directories(home_);
    pid_ = forkpty(&master_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      setenv("HOME", home_.c_str(), 1);
      setenv("TERM", "xterm", 1);
      for (const char* name : {"VALK_HEAP_LIMIT", "VALK_NURSERY", "VALK_GC_STRESS", "VALK_GC_VERIFY", "NO_COLOR"}) {
        unsetenv(name);
      }
      for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
      execl(VALK_BINARY, VALK_BINARY, static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~PtyRepl() {
    if (pid_ > 0 && !exited_) kill(pid_, SIGKILL), waitpid(pid_, nullptr, 0);
    if (master_ >= 0) close(master_);
    fs::remove_all(home_);
  }
  bool started() const { return pid_ > 0 && master_ >= 0; }

  // Reads what the terminal shows until `want` appears after what was read before (or 10 s pass).
  bool read_until(const std::string& want) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (seen_.find(want, mark_) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{master_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[512];
      ssize_t n = read(master_, buf, sizeof buf);
      if (n <= 0) break;
      seen_.append(buf, size_t(n));
    }
    size_t at = seen_.find(want, mark_);
    if (at == std::string::npos) return false;
    mark_ = at + want.size();
    return true;
  }
  void type(const std::string& text) { ASSERT_EQ(write(master_, text.data(), text.size()), ssize_t(text.size())); }
  // Waits up to 5 s for the REPL to end; its exit status, or -1.
  int wait_exit() {
    int status = -1;
    for (int i = 0; i < 100 && waitpid(pid_, &status, WNOHANG) == 0; ++i) usleep(50000);
    if (!WIFEXITED(status)) return -1;
    exited_ = true;
    return WEXITSTATUS(status);
  }
  const std::string& seen() const { return seen_; }

 private:
  static inline int count_ = 0;
  fs::path home_;
  int master_ = -1;
  pid_t pid_ = -1;
  bool exited_ = false;
  std::string seen_;
  size_t mark_ = 0;
};

TEST(Pty, BannerHelpAndQuit) {
  PtyRepl repl;
  ASSERT_TRUE(repl.started());
  EXPECT_TRUE(repl.read_until("valk 0.1.0 (Valkyria)  (help) to start, (quit) or Ctrl-D to leave\r\n")) << repl.seen();
  EXPECT_TRUE(repl.read_until("valkyria> "));
  repl.type("(help)\r");
  EXPECT_TRUE(repl.read_until("written in { }")) << repl.seen();
  EXPECT_TRUE(repl.read_until("Areas: aio/")) << repl.seen();
  repl.type("(help len)\r");
  EXPECT_TRUE(repl.read_until("(len x)\r\nThe number of elements")) << repl.seen();
  repl.type("help\r");  // typed alone, as a command
  EXPECT_TRUE(repl.read_until("Areas: aio/")) << repl.seen();
  repl.type("quit\r");
  EXPECT_EQ(repl.wait_exit(), 0) << repl.seen();
}

TEST(Pty, QuitCalledLeaves) {
  PtyRepl repl;
  ASSERT_TRUE(repl.read_until("valkyria> "));
  repl.type("(quit)\r");
  EXPECT_EQ(repl.wait_exit(), 0) << repl.seen();
}

TEST(Pty, CtrlDLeaves) {
  PtyRepl repl;
  ASSERT_TRUE(repl.read_until("valkyria> "));
  repl.type("\x04");
  EXPECT_EQ(repl.wait_exit(), 0) << repl.seen();
}

TEST(Pty, TabCompletesANameAndIndentsOnBlanks) {
  PtyRepl repl;
  ASSERT_TRUE(repl.read_until("valkyria> "));
  repl.type("(filt\t (\\ {x} {> x 0}) {1 -2 3})\r");  // completes to filter
  EXPECT_TRUE(repl.read_until("{1 3}")) << repl.seen();
  // Pasted code indented with tabs: the tabs indent, no list of every name floods the screen.
  repl.type("(+ 1\r\t\t2)\r");
  EXPECT_TRUE(repl.read_until("3\x1b[0m\r\n")) << repl.seen();
  EXPECT_EQ(repl.seen().find("aio/spawn"), std::string::npos) << repl.seen();
  repl.type("\x04");
  EXPECT_EQ(repl.wait_exit(), 0);
}

TEST(Pty, ResultsAndErrorsInColourOnATerminal) {
  PtyRepl repl;
  ASSERT_TRUE(repl.read_until("valkyria> "));
  repl.type("+ 40 2\r");
  EXPECT_TRUE(repl.read_until("\x1b[36m42\x1b[0m")) << repl.seen();  // numbers cyan
  repl.type("\"hi\"\r");
  EXPECT_TRUE(repl.read_until("\x1b[32m\"hi\"\x1b[0m")) << repl.seen();  // strings green
  repl.type("(lenn {1})\r");
  EXPECT_TRUE(repl.read_until("\x1b[1;31mError: LEnv: Symbol `lenn` is not bound\x1b[0m")) << repl.seen();
  EXPECT_TRUE(repl.read_until("\x1b[1;31m^\x1b[0m")) << repl.seen();
  EXPECT_TRUE(repl.read_until("\x1b[36mhint: did you mean `len`?\x1b[0m")) << repl.seen();
  repl.type("\x04");
  EXPECT_EQ(repl.wait_exit(), 0);
}

TEST(Pty, NoColourUnderNoColor) {
  PtyRepl repl(std::vector<std::pair<std::string, std::string>>{{"NO_COLOR", "1"}});
  ASSERT_TRUE(repl.read_until("valkyria> "));
  repl.type("+ 40 2\r(lenn {1})\r");
  EXPECT_TRUE(repl.read_until("Error: LEnv: Symbol `lenn` is not bound\r\n")) << repl.seen();
  EXPECT_TRUE(repl.read_until("hint: did you mean `len`?")) << repl.seen();
  EXPECT_NE(repl.seen().find("\r\n42\r\n"), std::string::npos) << repl.seen();
  // libedit itself may send control sequences; no SGR colour comes from valk.
  EXPECT_EQ(repl.seen().find("\x1b[3"), std::string::npos) << repl.seen();
  EXPECT_EQ(repl.seen().find("\x1b[1;31m"), std::string::npos) << repl.seen();
  repl.type("\x04");
  EXPECT_EQ(repl.wait_exit(), 0);
}

// The prompt waits for input in the event loop: a fiber spawned by one line prints while the
// prompt waits for the next.
TEST(Pty, FibersRunWhileThePromptWaits) {
  PtyRepl repl;
  ASSERT_TRUE(repl.read_until("valkyria> "));
  repl.type("aio/spawn (\\ {} {do (await (aio/sleep 100)) (print \"tick\")})\r");
  EXPECT_TRUE(repl.read_until("<future pending>"));
  EXPECT_TRUE(repl.read_until("tick\r\n"));  // nothing typed since: the prompt's wait ran the fiber
  repl.type("await (aio/sleep 10)\r");
  EXPECT_TRUE(repl.read_until("\r\n()\r\n"));
  repl.type("\x04");
  EXPECT_EQ(repl.wait_exit(), 0) << repl.seen();
}

TEST(Pty, CtrlCEndsTheLinesAwaitAndTheReplGoesOn) {
  PtyRepl repl;
  ASSERT_TRUE(repl.started());
  ASSERT_TRUE(repl.read_until("valkyria> "));
  repl.type("await (aio/sleep 60000)\r");
  ASSERT_TRUE(repl.read_until("await (aio/sleep 60000)\r\n"));
  usleep(300000);  // the line is running: its await waits in the loop
  repl.type("\x03");
  EXPECT_TRUE(repl.read_until("interrupted")) << repl.seen();
  EXPECT_TRUE(repl.read_until("valkyria> ")) << repl.seen();
  repl.type("(list 40 2)\r");
  EXPECT_TRUE(repl.read_until("{40 2}")) << repl.seen();  // the REPL lives (results are coloured)
  repl.type("\x04");
  EXPECT_EQ(repl.wait_exit(), 0) << repl.seen();
}

}  // namespace
}  // namespace valk
