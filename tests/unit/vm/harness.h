// harness.h: a VM whose output and error streams are captured in memory, for the unit tests of
// vm/, lib/ and repl/. Results are turned into text at once: the collector moves objects.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "value/make.h"
#include "value/print.h"
#include "vm/vm.h"

namespace valk::test {

// A FILE* writing into memory; take() returns what was written since the last take().
class MemFile {
 public:
  MemFile() : file_(open_memstream(&buf_, &len_)) {}
  ~MemFile() {
    std::fclose(file_);
    std::free(buf_);
  }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  FILE* get() const { return file_; }
  std::string take() {
    std::fflush(file_);
    std::string s(buf_ + taken_, len_ - taken_);
    taken_ = len_;
    return s;
  }

 private:
  char* buf_ = nullptr;
  size_t len_ = 0;
  size_t taken_ = 0;
  FILE* file_;
};

// The parts of an error, copied out of the heap.
struct ErrorInfo {
  bool is_error = false;
  std::string message;
  std::string where;               // "file:line:col", or "" when unknown
  std::vector<std::string> trace;  // innermost call first
  std::string described;           // vm.describe_error
};

class Harness {
 public:
  explicit Harness(VmConfig config = VmConfig()) {
    config.out = out_.get();
    config.err = err_.get();
    vm_ = std::make_unique<VM>(config);
  }
  ~Harness() { vm_.reset(); }  // the VM goes before the streams it writes to

  VM& vm() { return *vm_; }

  // Runs `src` as a file named `file` and returns the last value. Use it before anything else
  // runs or allocates.
  Value run(std::string_view src, std::string_view file = "test.valk") { return vm_->run_source(src, file); }

  // The value of `src` printed readably, or "Error: message".
  std::string eval(std::string_view src, std::string_view file = "test.valk") { return show(run(src, file)); }

  std::string show(Value v) {
    if (is_error(v)) return "Error: " + std::string(v.as<ErrorObj>()->message.as<String>()->view());
    return readable(v);
  }

  // The error `src` raises (a failure of the test when it raises none).
  ErrorInfo error(std::string_view src, std::string_view file = "test.valk") {
    Value v = run(src, file);
    ErrorInfo info = inspect(v);
    if (!info.is_error) ADD_FAILURE() << "expected an error from: " << src << "\n  got: " << readable(v);
    return info;
  }

  // Just the message of the error `src` raises.
  std::string message(std::string_view src, std::string_view file = "test.valk") {
    return error(src, file).message;
  }

  ErrorInfo inspect(Value v) {
    ErrorInfo info;
    if (!is_error(v)) return info;
    vm_->settle_trace(v);
    auto* e = v.as<ErrorObj>();
    info.is_error = true;
    info.message = std::string(e->message.as<String>()->view());
    info.where = vm_->files().format(e->pos);
    for (Value t = e->trace; is_cons(t); t = cdr(t)) info.trace.emplace_back(car(t).as<String>()->view());
    info.described = vm_->describe_error(v);
    return info;
  }

  // What the program printed to its output and error streams since the last call.
  std::string out() { return out_.take(); }
  std::string err() { return err_.take(); }

 private:
  MemFile out_;
  MemFile err_;
  std::unique_ptr<VM> vm_;
};

// A builtin defined by a test (the tables of lib/ are fixed): lives as long as the test object.
class HostBuiltin {
 public:
  HostBuiltin(VM& vm, const char* name, int16_t min_args, int16_t max_args, BuiltinFn fn,
              uint8_t flags = 0)
      : symbol_(vm.sym(name)) {
    info_ = BuiltinInfo{{}, "", "A builtin of the tests.", min_args, max_args, flags, 0, fn, nullptr};
    std::snprintf(info_.name, sizeof info_.name, "%s", name);
    object_.type = ObjType::kBuiltin;
    object_.gc = gcbit::kImmortal;
    object_.flags = 0;
    object_.aux = 0;  // not owned by the VM
    object_.info = &info_;
    symbol_->global = Value::object(&object_);
  }
  ~HostBuiltin() { symbol_->global = Value::undefined(); }  // the VM must not see it freed
  HostBuiltin(const HostBuiltin&) = delete;
  HostBuiltin& operator=(const HostBuiltin&) = delete;

 private:
  Symbol* symbol_;
  BuiltinInfo info_{};
  alignas(16) Builtin object_{};
};

}  // namespace valk::test
