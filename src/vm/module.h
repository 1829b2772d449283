// module.h: the modules of a VM (docs/STRUCTURE.md, "Modules"): one record per module file,
// its own globals (a Table from symbol to value), what it exports, and which file ids and
// import prefixes belong to it. The `import` builtins that fill it are in lib/module.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "value/value.h"

namespace valk {

class RootVisitor;

enum class ModuleState : uint8_t {
  kNew,      // registered, never loaded (or its last load failed)
  kLoading,  // its forms are running: importing it now is a cycle
  kLoaded,
};

struct Module {
  std::string name;  // as first imported ("dir/name")
  std::string path;  // the file found, as messages name it
  uint32_t file = 0; // its id in SourceFiles: code read from it belongs to this module
  ModuleState state = ModuleState::kNew;
  Value names = Value::undefined();    // Table: symbol -> value, the module's own globals
  Value exports = Value::undefined();  // Q-expression of symbols (export), or undefined: all
};

// Module ids start at 1 (0 is the global frame, Proto::module's default).
class ModuleRegistry {
 public:
  // The id of the module whose canonical path is `key`, or 0.
  uint16_t find(const std::string& key) const;
  // Registers a module (state kNew); returns its id, or 0 when there are too many.
  uint16_t add(const std::string& key, Module m);
  Module& at(uint16_t id) { return modules_[id - 1]; }
  const Module& at(uint16_t id) const { return modules_[id - 1]; }
  uint16_t of_file(uint32_t file) const;

  // The modules being loaded, outermost first (for the cycle message).
  std::vector<uint16_t>& loading() { return loading_; }
  // Import prefixes ("m" of m/f, or the alias) and the module each stands for, for the error
  // that names a name a module does not export.
  void note_prefix(const std::string& prefix, uint16_t id) { prefixes_[prefix] = id; }
  uint16_t of_prefix(const std::string& prefix) const;

  void trace(RootVisitor& visitor);

 private:
  std::vector<Module> modules_;
  std::unordered_map<std::string, uint16_t> by_key_;
  std::unordered_map<uint32_t, uint16_t> by_file_;
  std::unordered_map<std::string, uint16_t> prefixes_;
  std::vector<uint16_t> loading_;
};

}  // namespace valk
