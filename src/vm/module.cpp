// module.cpp: the namespaces of modules at run time: which module a piece of code belongs to
// (the file it was read from), where def binds (the module of the innermost user code running),
// and global lookups that see a module's own globals before the global frame.
#include "vm/module.h"

#include "compile/proto.h"
#include "config/limits.h"
#include "value/table.h"
#include "vm/vm.h"

namespace valk {

// ---- the registry ----------------------------------------------------------------------------

uint16_t ModuleRegistry::find(const std::string& key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? 0 : it->second;
}

uint16_t ModuleRegistry::add(const std::string& key, Module m) {
  // A module is a file, so the file table's limit bounds the ids too (Proto::module is 16 bits).
  if (modules_.size() >= limits::kMaxSourceFiles) return 0;
  modules_.push_back(std::move(m));
  auto id = uint16_t(modules_.size());
  by_key_[key] = id;
  by_file_[modules_.back().file] = id;
  return id;
}

uint16_t ModuleRegistry::of_file(uint32_t file) const {
  if (by_file_.empty()) return 0;  // the common case: no module was ever imported
  auto it = by_file_.find(file);
  return it == by_file_.end() ? 0 : it->second;
}

uint16_t ModuleRegistry::of_prefix(const std::string& prefix) const {
  auto it = prefixes_.find(prefix);
  return it == prefixes_.end() ? 0 : it->second;
}

void ModuleRegistry::trace(RootVisitor& visitor) {
  for (Module& m : modules_) {
    visitor.visit(m.names);
    visitor.visit(m.exports);
  }
}

// ---- namespaces in the VM --------------------------------------------------------------------

uint16_t VM::module_of_pos(SrcPos pos) const { return pos.known() ? modules_.of_file(pos.file()) : 0; }

// Walks down from the running frame to the first frame of user code: a module's code names its
// module, the program's code the global frame. Prelude functions (fun, let ...) and natives are
// passed over, so `fun` called by a module defines in the module; a frame that entered the
// prelude by a tail call from user code still knows that code (kTailSite). The prelude's and the
// test module's own top-level forms (load of the built-in files) define in the global frame.
uint16_t VM::current_namespace() const {
  for (uint32_t i = fib_.nframes; i-- > 0;) {
    const Frame& f = fib_.frames[i];
    if (f.kind == FrameKind::kEntry) return 0;
    if (f.kind == FrameKind::kNative || !is_obj(f.proto, ObjType::kProto)) continue;
    const Proto* p = f.proto.as<Proto>();
    if (p->module) return p->module;
    if (!(p->pflags & protoflag::kBuiltinCode) || p->kind != ProtoKind::kLambda) return 0;
    if (f.flags & frameflag::kTailSite) return f.tail_proto.as<Proto>()->module;
  }
  return 0;
}

Value VM::global_in(Symbol* sym, uint16_t ns) const {
  if (ns) {
    Value v = table_get(modules_.at(ns).names, Value::object(sym));
    if (!v.is_undefined()) return v;
  }
  return sym->global;
}

std::string VM::define(Symbol* sym, Value value) {
  uint16_t ns = current_namespace();
  if (!ns) {
    define_global(sym, value);
    return "";
  }
  // The compiler inlines these names in the module's code as in any other: a module of its own
  // meaning for them would not be seen there.
  if (sym->watch >= 0) {
    return "def: a module cannot bind `" + std::string(sym->name()) +
           "`: the compiler relies on its meaning (define it under another name)";
  }
  table_set(heap_, modules_.at(ns).names, Value::object(sym), value);
  if (is_closure(value)) {  // named after the first name it is defined as (for error traces)
    Proto* p = value.as<Closure>()->proto.as<Proto>();
    if (p->name.is_undefined()) p->name = Value::object(sym);
  }
  return "";
}

std::string VM::assign(Symbol* sym, Value value, uint32_t scope) {
  if (fib_.frames[scope].kind != FrameKind::kEntry) {
    bind_in_scope(sym, value, scope);
    return "";
  }
  std::string refused = define(sym, value);
  return refused.empty() ? refused : refused.replace(0, 3, "=");
}

}  // namespace valk
