// proto_test.cpp: compiled prototypes (proto.cpp): make_proto's fields, the line table and
// inline-site queries, parameter lookup, and the finalizer that frees a dead prototype's storage.
#include "compile/proto.h"

#include <gtest/gtest.h>

#include <vector>

#include "compile/opcodes.h"
#include "value/make.h"
#include "value/symbol.h"

namespace valk {
namespace {

struct TestRoots final : RootSource {
  std::vector<Value> values;
  void trace_roots(RootVisitor& v, bool) override {
    if (!values.empty()) v.visit_range(values.data(), values.data() + values.size());
  }
};

class ProtoTest : public ::testing::Test {
 protected:
  void SetUp() override { heap.set_finalizer(ObjType::kProto, finalize_proto); }
  Heap heap{HeapConfig{limits::kDefaultNurseryBytes, 0, false, false}};
  SymbolTable symbols;
};

TEST_F(ProtoTest, MakeProtoFillsItsFields) {
  auto* extra = new ProtoExtra;
  extra->code = {encode(Op::INT, 7), encode(Op::RET)};
  extra->consts = {Value::fixnum(1), Value::nil()};
  extra->params = {symbols.intern("a"), symbols.intern("b")};
  Proto* p = make_proto(heap, ProtoKind::kLambda, extra, 5);
  EXPECT_EQ(p->type, ObjType::kProto);
  EXPECT_TRUE(p->gc & gcbit::kOld);  // protos never move
  EXPECT_TRUE(p->gc & gcbit::kRemembered);
  EXPECT_EQ(p->kind, ProtoKind::kLambda);
  EXPECT_EQ(p->nparams, 2);
  EXPECT_EQ(p->nrequired, 2);
  EXPECT_EQ(p->pflags, 0);
  EXPECT_EQ(p->max_stack, 5u);
  EXPECT_EQ(p->ncode, 2u);
  EXPECT_EQ(p->nconsts, 2u);
  EXPECT_EQ(p->code, extra->code.data());
  EXPECT_EQ(p->consts, extra->consts.data());
  EXPECT_EQ(p->params, extra->params.data());
  EXPECT_EQ(p->intrinsic, nullptr);
  EXPECT_TRUE(p->formals.is_undefined());
  EXPECT_TRUE(p->body.is_undefined());
  EXPECT_TRUE(p->name.is_undefined());
  EXPECT_EQ(p->extra, extra);
  EXPECT_FALSE(p->variadic());
  EXPECT_FALSE(Heap::is_young(Value::object(p)));
}

TEST_F(ProtoTest, VariadicFlag) {
  Proto* p = make_proto(heap, ProtoKind::kLambda, new ProtoExtra, 1);
  p->pflags |= protoflag::kVariadic;
  EXPECT_TRUE(p->variadic());
}

TEST_F(ProtoTest, ParamIndex) {
  auto* extra = new ProtoExtra;
  Symbol* a = symbols.intern("a");
  Symbol* b = symbols.intern("b");
  extra->params = {a, b};
  Proto* p = make_proto(heap, ProtoKind::kLambda, extra, 1);
  EXPECT_EQ(proto_param_index(p, a), 0);
  EXPECT_EQ(proto_param_index(p, b), 1);
  EXPECT_EQ(proto_param_index(p, symbols.intern("c")), -1);
}

TEST_F(ProtoTest, PositionIsTheNearestLineEntryAtOrBefore) {
  auto* extra = new ProtoExtra;
  extra->code.assign(10, encode(Op::POP));
  extra->pos = SrcPos::make(1, 1, 1);
  extra->lines = {{2, SrcPos::make(1, 2, 5)}, {6, SrcPos::make(1, 3, 9)}};
  Proto* p = make_proto(heap, ProtoKind::kChunk, extra, 1);
  EXPECT_TRUE(proto_pos_at(p, 0) == SrcPos::make(1, 1, 1));  // before the first entry: where it starts
  EXPECT_TRUE(proto_pos_at(p, 1) == SrcPos::make(1, 1, 1));
  EXPECT_TRUE(proto_pos_at(p, 2) == SrcPos::make(1, 2, 5));
  EXPECT_TRUE(proto_pos_at(p, 5) == SrcPos::make(1, 2, 5));
  EXPECT_TRUE(proto_pos_at(p, 6) == SrcPos::make(1, 3, 9));
  EXPECT_TRUE(proto_pos_at(p, 9) == SrcPos::make(1, 3, 9));
  EXPECT_TRUE(proto_pos_at(p, 1000) == SrcPos::make(1, 3, 9));
}

TEST_F(ProtoTest, PositionWithoutLineTable) {
  auto* extra = new ProtoExtra;
  Proto* p = make_proto(heap, ProtoKind::kChunk, extra, 1);
  EXPECT_FALSE(proto_pos_at(p, 0).known());
}

TEST_F(ProtoTest, SiteAtFindsOnlyExactInstructions) {
  auto* extra = new ProtoExtra;
  Symbol* s = symbols.intern("if");
  extra->sites.push_back(InlineSite{3, 0, 5, s, 0, 0, 0, false});
  extra->sites.push_back(InlineSite{8, 6, 10, s, 0, 0, 0, true});
  Proto* p = make_proto(heap, ProtoKind::kChunk, extra, 1);
  ASSERT_NE(proto_site_at(p, 3), nullptr);
  EXPECT_EQ(proto_site_at(p, 3)->end_pc, 5u);
  ASSERT_NE(proto_site_at(p, 8), nullptr);
  EXPECT_TRUE(proto_site_at(p, 8)->tail);
  EXPECT_EQ(proto_site_at(p, 0), nullptr);
  EXPECT_EQ(proto_site_at(p, 4), nullptr);
  EXPECT_EQ(proto_site_at(p, 9), nullptr);
}

TEST_F(ProtoTest, ConstantsAreTracedAndUpdatedByTheCollector) {
  auto* extra = new ProtoExtra;
  Value young = make_string(heap, "constant");
  extra->consts = {young, Value::fixnum(3)};
  Proto* p = make_proto(heap, ProtoKind::kChunk, extra, 1);
  TestRoots roots;
  roots.values.push_back(Value::object(p));
  heap.collect(roots, false);
  Value moved = p->consts[0];
  EXPECT_NE(moved, young);  // evacuated out of the nursery
  EXPECT_FALSE(Heap::is_young(moved));
  EXPECT_EQ(moved.as<String>()->view(), "constant");
  EXPECT_EQ(heap.verify(roots), "");
}

TEST_F(ProtoTest, DeadProtosAreFreedWithTheirStorage) {
  // Under AddressSanitizer a missing finalizer shows up as a leak of the ProtoExtra.
  TestRoots roots;
  for (int i = 0; i < 1000; ++i) {
    auto* extra = new ProtoExtra;
    extra->code.assign(100, encode(Op::RET));
    make_proto(heap, ProtoKind::kChunk, extra, 1);
  }
  EXPECT_GT(heap.old_bytes_in_use(), 0u);
  heap.collect(roots, true);
  EXPECT_EQ(heap.old_bytes_in_use(), 0u);
  EXPECT_EQ(heap.verify(roots), "");
}

TEST_F(ProtoTest, LiveProtosAreFreedWithTheHeap) {
  auto* heap2 = new Heap(HeapConfig{limits::kDefaultNurseryBytes, 0, false, false});
  heap2->set_finalizer(ObjType::kProto, finalize_proto);  // finalizers are per heap, set by whoever owns it (the VM)
  for (int i = 0; i < 100; ++i) make_proto(*heap2, ProtoKind::kChunk, new ProtoExtra, 1);
  delete heap2;  // runs the finalizers: no leak under AddressSanitizer
  SUCCEED();
}

}  // namespace
}  // namespace valk
