// symbol.cpp: interning of symbols (open addressing on an FNV-1a hash).
#include "value/symbol.h"

#include <cstdlib>
#include <cstring>

namespace valk {

SymbolTable::SymbolTable() : slots_(256, nullptr) {}

SymbolTable::~SymbolTable() {
  for (Symbol* s : all_) std::free(s);
}

uint64_t SymbolTable::hash(std::string_view name) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  return h;
}

Symbol* SymbolTable::find(std::string_view name) const {
  uint64_t h = hash(name);
  size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    Symbol* s = slots_[i];
    if (!s) return nullptr;
    if (s->hash == h && s->name() == name) return s;
  }
}

void SymbolTable::grow() {
  std::vector<Symbol*> bigger(slots_.size() * 2, nullptr);
  size_t mask = bigger.size() - 1;
  for (Symbol* s : all_) {
    size_t i = s->hash & mask;
    while (bigger[i]) i = (i + 1) & mask;
    bigger[i] = s;
  }
  slots_.swap(bigger);
}

Symbol* SymbolTable::intern(std::string_view name) {
  if (Symbol* s = find(name)) return s;
  if ((all_.size() + 1) * 2 > slots_.size()) grow();
  auto* s = static_cast<Symbol*>(std::malloc(sizeof(Symbol) + name.size() + 1));
  if (!s) std::abort();
  s->type = ObjType::kSymbol;
  s->gc = gcbit::kImmortal;
  s->flags = 0;
  s->aux = 0;
  s->global = Value::undefined();
  s->scope_flags = 0;
  s->watch = -1;
  s->length = uint32_t(name.size());
  s->id = uint32_t(all_.size());
  s->hash = hash(name);
  char* data = reinterpret_cast<char*>(s + 1);
  std::memcpy(data, name.data(), name.size());
  data[name.size()] = '\0';
  size_t mask = slots_.size() - 1;
  size_t i = s->hash & mask;
  while (slots_[i]) i = (i + 1) & mask;
  slots_[i] = s;
  all_.push_back(s);
  return s;
}

}  // namespace valk
