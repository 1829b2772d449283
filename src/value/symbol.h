// symbol.h: the symbol table. Symbols are interned once per VM, live outside the collected
// heap (they never move and never die) and carry their global binding, so a global lookup is
// one load.
#pragma once

#include <string_view>
#include <vector>

#include "value/object.h"

namespace valk {

class SymbolTable {
 public:
  SymbolTable();
  ~SymbolTable();
  SymbolTable(const SymbolTable&) = delete;
  SymbolTable& operator=(const SymbolTable&) = delete;

  Symbol* intern(std::string_view name);
  Symbol* find(std::string_view name) const;  // null when never interned
  const std::vector<Symbol*>& all() const { return all_; }

 private:
  static uint64_t hash(std::string_view name);
  void grow();

  std::vector<Symbol*> slots_;  // open addressing, size a power of two
  std::vector<Symbol*> all_;    // in order of creation
};

}  // namespace valk
