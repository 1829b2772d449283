// module_test.cpp: vm/module.cpp: the registry (ids, files, prefixes), code read from a
// module's file compiled to MNAME, and def binding in the namespace of the code running it.
#include <gtest/gtest.h>

#include "harness.h"

#include "compile/compiler.h"
#include "compile/proto.h"
#include "read/reader.h"
#include "value/table.h"
#include "vm/vm.h"

namespace valk {
namespace {

using test::Harness;

TEST(ModuleRegistry, IdsStartAtOneAndMapFilesAndPrefixes) {
  ModuleRegistry r;
  EXPECT_EQ(r.find("/a.valk"), 0);
  EXPECT_EQ(r.of_file(7), 0);
  Module m;
  m.name = "a";
  m.path = "a.valk";
  m.file = 7;
  uint16_t id = r.add("/a.valk", m);
  EXPECT_EQ(id, 1);
  EXPECT_EQ(r.find("/a.valk"), 1);
  EXPECT_EQ(r.of_file(7), 1);
  EXPECT_EQ(r.of_file(8), 0);
  EXPECT_EQ(r.at(id).state, ModuleState::kNew);
  r.note_prefix("x", id);
  EXPECT_EQ(r.of_prefix("x"), 1);
  EXPECT_EQ(r.of_prefix("a"), 0);
}

// Compiles `code` as read from `file` and returns the first instruction's opcode.
Op first_op(Harness& h, std::string_view code, uint32_t file) {
  ReadResult r = read_forms(h.vm().heap(), h.vm().symbols(), ReadInput{code, file, 1, false});
  EXPECT_TRUE(r.ok);
  Value proto = compile_code(h.vm(), car(r.forms), ProtoKind::kTopLevel, cell_pos(r.forms), CodeShape::kExpression);
  EXPECT_TRUE(is_obj(proto, ObjType::kProto));
  return op_of(proto.as<Proto>()->code[0]);
}

TEST(ModuleCode, NamesInAModulesFileCompileToMname) {
  Harness h;
  uint32_t plain = h.vm().files().intern("plain.valk");
  uint32_t mod = h.vm().files().intern("mod.valk");
  Module m;
  m.name = "mod";
  m.path = "mod.valk";
  m.file = mod;
  m.names = table_new(h.vm().heap());
  uint16_t id = h.vm().modules().add("/mod.valk", m);
  EXPECT_EQ(first_op(h, "some-name", plain), Op::NAME);
  EXPECT_EQ(first_op(h, "some-name", mod), Op::MNAME);
  // The module's own binding comes before the global frame's.
  h.run("(def {some-name} 1)");
  table_set(h.vm().heap(), h.vm().modules().at(id).names, Value::object(h.vm().sym("some-name")), Value::fixnum(2));
  EXPECT_EQ(readable(h.vm().global_in(h.vm().sym("some-name"), id)), "2");
  EXPECT_EQ(readable(h.vm().global_in(h.vm().sym("some-name"), 0)), "1");
  EXPECT_EQ(h.vm().current_namespace(), 0);  // nothing running: the global frame
}

}  // namespace
}  // namespace valk
