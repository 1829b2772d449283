// module.cpp: import, import/reload and export (docs/STRUCTURE.md, "Modules"): finding a module's
// file (the importing file's folder, VALK_PATH, the library folder installed with the binary),
// running it once into its own namespace, and binding what it exports as prefix/name.
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <string>
#include <vector>

#include "lib/builtin.h"
#include "lib/check.h"
#include "lib/fileio.h"
#include "read/reader.h"
#include "value/make.h"
#include "value/table.h"
#include "vm/vm.h"

#ifndef VALK_LIB_DIR
#define VALK_LIB_DIR "/usr/local/share/valk/lib"
#endif

namespace valk {

namespace {

// ---- finding the file ------------------------------------------------------------------------

bool is_directory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string dir_of(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  return slash == 0 ? "/" : std::string(path.substr(0, slash));
}

// The library folder installed with the binary: <bin>/../share/valk/lib for an installed valk
// (make install, the Debian package), <bin>/share/valk/lib in a build tree (CMake links it to
// lib/), else the folder chosen when it was built (VALK_LIB_DIR, the install prefix's).
const std::string& library_dir() {
  static const std::string dir = [] {
    char buf[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) {
      std::string bin = dir_of(std::string_view(buf, size_t(n)));
      for (const char* rel : {"/../share/valk/lib", "/share/valk/lib"}) {
        if (is_directory(bin + rel)) {
          char real[PATH_MAX];
          return std::string(::realpath((bin + rel).c_str(), real) ? real : (bin + rel).c_str());
        }
      }
    }
    return std::string(VALK_LIB_DIR);
  }();
  return dir;
}

// The folders searched, in order: the importing code's file's folder (the current directory for
// the REPL and -e), each folder of VALK_PATH, the library folder.
std::vector<std::string> search_dirs(VM& vm, uint32_t fi) {
  std::vector<std::string> dirs;
  SrcPos pos = vm.caller_position(fi);
  std::string_view file = pos.known() ? vm.files().name(pos.file()) : std::string_view();
  dirs.push_back(file.empty() || file.front() == '<' ? "." : dir_of(file));
  if (const char* path = std::getenv("VALK_PATH")) {
    std::string_view rest(path);
    while (!rest.empty()) {
      size_t colon = rest.find(':');
      std::string_view dir = rest.substr(0, colon);
      if (!dir.empty()) dirs.emplace_back(dir);
      rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    }
  }
  dirs.push_back(library_dir());
  return dirs;
}

// ---- arguments -------------------------------------------------------------------------------

// "" when `name` is a module name: path segments of symbol characters, no "..", no leading /.
std::string check_module_name(std::string_view name) {
  if (name.empty()) return "the module name is empty";
  if (name.front() == '/' || name.back() == '/') return "a module name is a relative path without .valk";
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    std::string_view seg = name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (seg.empty() || seg == "." || seg == "..") return "a module name is a relative path without .valk";
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (name.size() > 5 && name.substr(name.size() - 5) == ".valk") return "a module name is a relative path without .valk";
  return "";
}

// The prefix names are bound under: the alias, or the module name's last segment.
std::string prefix_of(std::string_view name, Value alias) {
  if (is_cons(alias)) return std::string(car(alias).as<Symbol>()->name());
  size_t slash = name.rfind('/');
  return std::string(slash == std::string_view::npos ? name : name.substr(slash + 1));
}

// ---- loading ---------------------------------------------------------------------------------

// State slots after the arguments.
enum Slot : uint32_t { kForms, kNext, kId, kCount };
Value& state(VM& vm, uint32_t fi, Slot s) { return vm.slot(fi, vm.arg_count(fi) + s); }

std::string cycle_message(VM& vm, uint16_t id) {
  auto& loading = vm.modules().loading();
  std::string chain;
  bool in = false;
  for (uint16_t m : loading) {
    if (m == id) in = true;
    if (in) chain += vm.modules().at(m).path + " -> ";
  }
  return "import: cycle: " + chain + vm.modules().at(id).path;
}

void stop_loading(VM& vm, uint16_t id, ModuleState state) {
  auto& loading = vm.modules().loading();
  for (size_t i = loading.size(); i-- > 0;) {
    if (loading[i] == id) {
      loading.erase(loading.begin() + long(i));
      break;
    }
  }
  vm.modules().at(id).state = state;
}

// Binds prefix/name in the importer's namespace for each name the module offers.
Value bind_exports(VM& vm, uint16_t id, const std::string& prefix) {
  Module& m = vm.modules().at(id);
  std::vector<Value> names;
  if (m.exports.is_undefined()) {
    table_for_each(m.names, [&](Value k, Value) { names.push_back(k); });
  } else {
    for (Value n = m.exports; is_cons(n); n = cdr(n)) {
      if (table_get(m.names, car(n)).is_undefined()) {
        return vm.error("export: " + m.path + " exports `" + std::string(car(n).as<Symbol>()->name()) +
                        "` but does not define it");
      }
      names.push_back(car(n));
    }
  }
  vm.modules().note_prefix(prefix, id);
  for (Value n : names) {
    Value v = table_get(vm.modules().at(id).names, n);
    std::string refused = vm.define(vm.sym(prefix + "/" + std::string(n.as<Symbol>()->name())), v);
    if (!refused.empty()) return vm.error("import: " + refused);
  }
  return Value::empty_sexpr();
}

// Finds the module's file, registers it, and reads its forms; returns an Error, () when it is
// loaded already (bound now), or the module's forms to run.
Value begin_import(VM& vm, uint32_t fi, bool reload) {
  Value name_v = vm.slot(fi, 0);
  if (!is_string(name_v)) return arg_error(vm, reload ? "import/reload" : "import", 0, "a String", name_v);
  std::string name(name_v.as<String>()->view());
  std::string bad = check_module_name(name);
  if (!bad.empty()) return vm.error("import: " + bad + ", got \"" + name + "\"");
  Value alias = vm.arg_count(fi) > 1 ? vm.slot(fi, 1) : Value::nil();
  if (vm.arg_count(fi) > 1 && (!is_qexpr(alias) || !is_cons(alias) || !is_symbol(car(alias)) || is_cons(cdr(alias)))) {
    return vm.error("import: the alias must be one name in a Q-expression, as {m}");
  }
  std::string found, searched;
  for (const std::string& dir : search_dirs(vm, fi)) {
    std::string path = (dir == "." ? "" : dir + "/") + name + ".valk";
    if (is_file(path)) {
      found = path;
      break;
    }
    searched += (searched.empty() ? "" : ", ") + dir;
  }
  if (found.empty()) return vm.error("import: cannot find module " + name + " (" + name + ".valk) in " + searched);
  char real[PATH_MAX];
  std::string key = ::realpath(found.c_str(), real) ? real : found;
  uint16_t id = vm.modules().find(key);
  if (id && vm.modules().at(id).state == ModuleState::kLoading) return vm.error(cycle_message(vm, id));
  if (id && vm.modules().at(id).state == ModuleState::kLoaded && !reload) {
    return bind_exports(vm, id, prefix_of(name, alias));
  }
  std::string text;
  std::string why = read_whole_file(found, text);
  if (!why.empty()) return vm.error("import: cannot open " + found + ": " + why);
  if (!id) {
    Module m;
    m.name = name;
    m.path = found;
    m.file = vm.files().intern(found);
    id = vm.modules().add(key, std::move(m));
    if (!id) return vm.error("import: too many modules");
  }
  Module& m = vm.modules().at(id);
  m.names = table_new(vm.heap());  // a reload starts afresh: the old names go
  m.exports = Value::undefined();
  ReadResult r = read_forms(vm.heap(), vm.symbols(), ReadInput{text, vm.modules().at(id).file, 1, false});
  if (!r.ok) {
    Value e = vm.error(r.error.message);
    e.as<ErrorObj>()->pos = r.error.pos;
    return e;
  }
  vm.modules().at(id).state = ModuleState::kLoading;
  vm.modules().loading().push_back(id);
  state(vm, fi, kId) = Value::fixnum(id);
  return r.forms;
}

// Runs the module's forms one by one as chunks, in a scope of their own (the run's global
// frame: the importer's locals are not seen), then binds its names in the importer's namespace.
NativeResult import_step(VM& vm, uint32_t fi, Value resumed, bool reload) {
  Frame& f = vm.frame(fi);
  if (f.step == 0) {
    Value forms = begin_import(vm, fi, reload);
    if (is_error(forms)) return NativeResult::error(forms);
    if (forms.is_empty_sexpr()) return NativeResult::ret(forms);  // loaded already: bound again
    state(vm, fi, kForms) = forms;
    state(vm, fi, kNext) = forms;
    uint32_t entry = fi;
    while (entry > 0 && vm.frame(entry).kind != FrameKind::kEntry) --entry;
    vm.frame(fi).scope = entry;
    vm.frame(fi).step = 1;
  }
  auto id = uint16_t(state(vm, fi, kId).fixnum_value());
  if (is_error(resumed)) {  // an error in the module: the import fails with it
    stop_loading(vm, id, ModuleState::kNew);
    return NativeResult::error(resumed);
  }
  Value cell = state(vm, fi, kNext);
  if (is_cons(cell)) {
    state(vm, fi, kNext) = cdr(cell);
    Value chunk = compile_code(vm, car(cell), ProtoKind::kTopLevel, cell_pos(cell), CodeShape::kExpression);
    if (is_error(chunk)) {
      stop_loading(vm, id, ModuleState::kNew);
      return NativeResult::error(chunk);
    }
    return NativeResult::eval(chunk);
  }
  stop_loading(vm, id, ModuleState::kLoaded);
  Value bound = bind_exports(vm, id, prefix_of(vm.slot(fi, 0).as<String>()->view(), vm.arg_count(fi) > 1 ? vm.slot(fi, 1) : Value::nil()));
  if (is_error(bound)) {
    vm.modules().at(id).state = ModuleState::kNew;
    return NativeResult::error(bound);
  }
  return NativeResult::ret(bound);
}

NativeResult native_import(VM& vm, uint32_t fi, Value resumed) { return import_step(vm, fi, resumed, false); }
NativeResult native_reload(VM& vm, uint32_t fi, Value resumed) { return import_step(vm, fi, resumed, true); }

// ---- export ----------------------------------------------------------------------------------

Value builtin_export(VM& vm, Args a) {
  if (!is_qexpr(a[0])) return arg_error(vm, "export", 0, "a Q-expression of names", a[0]);
  for (Value n = a[0]; is_cons(n); n = cdr(n)) {
    if (!is_symbol(car(n))) return vm.error(std::string("export: names must be symbols, got ") + type_name(car(n)));
  }
  uint16_t id = vm.current_namespace();
  if (!id) return vm.error("export: only a module's code exports (a file run by import)");
  Module& m = vm.modules().at(id);
  std::vector<Value> names;
  for (Value l : {m.exports, a[0]}) {
    for (Value n = l; is_cons(n); n = cdr(n)) names.push_back(car(n));
  }
  Value list = make_list(vm.heap(), names, true);  // may collect: m is looked up again
  vm.modules().at(id).exports = list;
  return Value::empty_sexpr();
}

const BuiltinInfo kModule[] = {
    {"import", "name [alias]",
     "Runs the module file `name`.valk once, in a namespace of its own, and binds what it exports "
     "as name/f (or alias/f with (import \"name\" {alias})). Searched in the importing file's "
     "folder, then each folder of VALK_PATH, then the library folder installed with valk. "
     "Returns ().",
     1, 2, builtinflag::kCatch, kCount, nullptr, native_import},
    {"import/reload", "name [alias]",
     "As import, but runs the module's file again even when it was loaded (after editing it at "
     "the REPL): its names start afresh and are bound again.",
     1, 2, builtinflag::kCatch, kCount, nullptr, native_reload},
    {"export", "names",
     "In a module's code: the Q-expression `names` lists what importers see (without export, "
     "every name the module defines). Returns ().",
     1, 1, 0, 0, builtin_export, nullptr},
};

}  // namespace

constinit const std::span<const BuiltinInfo> module_builtins{kModule};

}  // namespace valk
