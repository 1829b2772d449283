// module_test.cpp: lib/module.cpp: import's search (every folder named when a module is not
// found), a module edited and reloaded, imports from a function and from a worker isolate, and
// the error positions in a module's file. tests/valk/modules.valk has the rest.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "../vm/harness.h"
#include "vm/vm.h"

namespace valk {
namespace {

namespace fs = std::filesystem;
using test::Harness;

// A scratch folder with module files, removed at the end; VALK_PATH set for the test's length.
class ModuleDir {
 public:
  ModuleDir() : dir_(fs::temp_directory_path() / ("valk-modules-" + std::to_string(::getpid()))) {
    fs::create_directories(dir_);
  }
  ~ModuleDir() {
    ::unsetenv("VALK_PATH");
    fs::remove_all(dir_);
  }
  void write(const std::string& name, const std::string& text) {
    fs::create_directories((dir_ / name).parent_path());
    std::ofstream(dir_ / name) << text;
  }
  std::string path() const { return dir_.string(); }
  void on_valk_path(const std::string& extra = "") { ::setenv("VALK_PATH", (path() + extra).c_str(), 1); }

 private:
  fs::path dir_;
};

TEST(ModuleImport, NotFoundNamesEveryFolderSearched) {
  ModuleDir d;
  d.on_valk_path(":/nonexistent-valk-dir");
  Harness h;
  // In a build tree the library folder is build/share/valk/lib, a link to the source's lib/.
  std::string lib = fs::canonical(fs::path(VALK_SOURCE_DIR) / "lib").string();
  EXPECT_EQ(h.message("(import \"nowhere/x\")"),
            "import: cannot find module nowhere/x (nowhere/x.valk) in ., " + d.path() +
                ", /nonexistent-valk-dir, " + lib);
}

TEST(ModuleImport, TheImportingFilesFolderComesFirst) {
  ModuleDir d;
  d.write("app/main.valk", "(import \"dep\")\n(def {got} (dep/which))\n");
  d.write("app/dep.valk", "(fun {which} {\"beside main\"})\n");
  d.write("dep.valk", "(fun {which} {\"on VALK_PATH\"})\n");
  d.on_valk_path();
  Harness h;
  EXPECT_EQ(h.eval("(load \"" + d.path() + "/app/main.valk\")\ngot"), "\"beside main\"");
  EXPECT_EQ(h.eval("(import \"dep\" {top})\n(top/which)"), "\"on VALK_PATH\"");
}

TEST(ModuleImport, ReloadRunsTheEditedFileAgain) {
  ModuleDir d;
  d.write("conf.valk", "(def {port} 8080)\n(fun {get-port} {port})\n");
  d.on_valk_path();
  Harness h;
  EXPECT_EQ(h.eval("(import \"conf\")\n(def {old} conf/get-port)\n(conf/get-port)"), "8080");
  d.write("conf.valk", "(def {port} 9090)\n(fun {get-port} {port})\n(def {added} 1)\n");
  EXPECT_EQ(h.eval("(import \"conf\")\n(conf/get-port)"), "8080");  // imported already: not run
  EXPECT_EQ(h.eval("(import/reload \"conf\")\n(list (conf/get-port) conf/added (old))"), "{9090 1 9090}");
}

TEST(ModuleImport, ATopLevelDoesNotSeeTheImportersLocals) {
  ModuleDir d;
  d.write("peek.valk", "(def {seen} (try {secret} (\\ {e} {\"unbound\"})))\n");
  d.on_valk_path();
  Harness h;
  EXPECT_EQ(h.eval("(fun {f secret} {do (import \"peek\") peek/seen})\n(f 5)"), "\"unbound\"");
}

TEST(ModuleImport, AFailedImportBindsNothingAndTriesAgain) {
  ModuleDir d;
  d.write("flaky.valk", "(def {a} 1)\n(error \"not yet\")\n");
  d.on_valk_path();
  Harness h;
  test::ErrorInfo e = h.error("(import \"flaky\")");
  EXPECT_EQ(e.message, "not yet");
  EXPECT_EQ(e.where, d.path() + "/flaky.valk:2:1");
  EXPECT_EQ(h.message("flaky/a"), "LEnv: Symbol `flaky/a` is not bound");
  d.write("flaky.valk", "(def {a} 1)\n");
  EXPECT_EQ(h.eval("(import \"flaky\")\nflaky/a"), "1");
}

TEST(ModuleImport, AModulesFunctionCrossesToAWorkerWithItsGlobals) {
  ModuleDir d;
  d.write("sq.valk", "(export {square})\n(def {k} 1)\n(fun {helper x} {* k (* x x)})\n(fun {square x} {helper x})\n");
  d.on_valk_path();
  Harness h;
  EXPECT_EQ(h.eval("(import \"sq\")\n(await (aio/parallel sq/square {3 4}))"), "{9 16}");
  EXPECT_EQ(h.eval("((unmarshal (marshal sq/square)) 5)"), "25");
}

TEST(ModuleNamespace, DefInAModuleFunctionBindsInTheModule) {
  ModuleDir d;
  d.write("later.valk", "(fun {setup} {def {made} 7})\n(fun {get} {made})\n");
  d.on_valk_path();
  Harness h;
  EXPECT_EQ(h.eval("(import \"later\")\n(later/setup)\n(later/get)"), "7");
  EXPECT_EQ(h.message("made"), "LEnv: Symbol `made` is not bound");
}

}  // namespace
}  // namespace valk
