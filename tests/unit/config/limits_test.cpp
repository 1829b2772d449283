// limits_test.cpp: one test per limit of config/limits.h that the reader, compiler, VM and heap
// enforce: each limit holds at its value and gives a clean error (never a crash) past it.
#include "config/limits.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "aio/loop.h"
#include "compile/compiler.h"
#include "lib/builtin.h"
#include "read/reader.h"
#include "value/make.h"
#include "value/print.h"
#include "vm/vm.h"

namespace valk {
namespace {

VmConfig vm_config(bool prelude) {
  VmConfig c;
  c.load_prelude = prelude;
  return c;
}

std::string message(Value v) {
  return is_error(v) ? std::string(v.as<ErrorObj>()->message.as<String>()->view())
                     : "<not an error: " + readable(v) + ">";
}

std::vector<std::string> trace_lines(VM& vm, Value error) {
  vm.settle_trace(error);
  std::vector<std::string> lines;
  for (Value t = error.as<ErrorObj>()->trace; is_cons(t); t = cdr(t)) {
    lines.emplace_back(car(t).as<String>()->view());
  }
  return lines;
}

std::string nested_text(int depth) {
  return std::string(size_t(depth), '(') + "1" + std::string(size_t(depth), ')');
}

// ---- kMaxNesting -------------------------------------------------------------------------------

TEST(Limits, MaxNestingIsAThousand) { EXPECT_EQ(limits::kMaxNesting, 1000); }

TEST(Limits, MaxNestingReaderAcceptsExactlyTheLimit) {
  Heap heap(HeapConfig{limits::kDefaultNurseryBytes, 0, false, false});
  SymbolTable symbols;
  std::string at_limit = nested_text(limits::kMaxNesting);
  ReadResult ok = read_forms(heap, symbols, ReadInput{at_limit, 1, 1, false});
  EXPECT_TRUE(ok.ok) << ok.error.message;
  std::string past = nested_text(limits::kMaxNesting + 1);
  ReadResult bad = read_forms(heap, symbols, ReadInput{past, 1, 1, false});
  ASSERT_FALSE(bad.ok);
  EXPECT_EQ(bad.error.message, "lists nested deeper than 1000 levels");
  EXPECT_FALSE(bad.error.incomplete);
}

TEST(Limits, MaxNestingReaderHundredThousandLevels) {
  Heap heap(HeapConfig{limits::kDefaultNurseryBytes, 0, false, false});
  SymbolTable symbols;
  std::string text = nested_text(100'000);
  ReadResult r = read_forms(heap, symbols, ReadInput{text, 1, 1, false});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "lists nested deeper than 1000 levels");
}

// What the reader accepts, the compiler compiles: code nested kMaxNesting brackets deep runs.
TEST(Limits, MaxNestingCodeTheReaderAcceptsRuns) {
  VM vm(vm_config(false));
  Value r = vm.run_source(nested_text(limits::kMaxNesting), "nesting.valk");
  EXPECT_EQ(r, Value::fixnum(1)) << (is_error(r) ? vm.describe_error(r) : readable(r));
}

TEST(Limits, MaxNestingCodeOneLevelBelowRuns) {
  VM vm(vm_config(false));
  Value r = vm.run_source(nested_text(limits::kMaxNesting - 1), "nesting.valk");
  EXPECT_EQ(r, Value::fixnum(1)) << (is_error(r) ? vm.describe_error(r) : readable(r));
}

// (((...x...))) with `levels` lists, built without the reader.
Value nested_form(VM& vm, int levels) {
  Value form = Value::fixnum(1);
  for (int i = 0; i < levels; ++i) form = make_cons(vm.heap(), form, Value::empty_sexpr(), false);
  return form;
}

TEST(Limits, MaxNestingCompilerAcceptsExactlyTheLimit) {
  VM vm(vm_config(false));
  Value at_limit = compile_code(vm, nested_form(vm, limits::kMaxNesting), ProtoKind::kTopLevel, SrcPos{});
  EXPECT_TRUE(is_obj(at_limit, ObjType::kProto)) << message(at_limit);
  Value past = compile_code(vm, nested_form(vm, limits::kMaxNesting + 1), ProtoKind::kTopLevel, SrcPos{});
  ASSERT_TRUE(is_error(past));
  EXPECT_EQ(message(past), "code nested deeper than 1000 levels");
}

TEST(Limits, MaxNestingCompilerHundredThousandLevels) {
  VM vm(vm_config(false));
  Value r = vm.eval_toplevel(nested_form(vm, 100'000), SrcPos{});
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(message(r), "code nested deeper than 1000 levels");
  EXPECT_EQ(vm.run_source("(+ 1 2)", "after.valk"), Value::fixnum(3));  // the VM goes on
}

// ---- kMaxCallDepth -----------------------------------------------------------------------------

TEST(Limits, MaxCallDepthHundredThousandDeepRecursionReturns) {
  VM vm(vm_config(false));
  Value r = vm.run_source(
      "(def {sum-to} (\\ {k} {if (== k 0) {0} {+ k (sum-to (- k 1))}}))\n"
      "(sum-to 100000)",
      "depth.valk");
  ASSERT_FALSE(is_error(r)) << vm.describe_error(r);
  EXPECT_EQ(int_value(r), 5'000'050'000);
}

TEST(Limits, MaxCallDepthRunawayRecursionIsAStackOverflow) {
  VM vm(vm_config(false));
  Value r = vm.run_source("(def {runaway} (\\ {k} {+ 1 (runaway k)}))\n(runaway 1)", "runaway.valk");
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(message(r), "stack overflow: more than 1000000 nested calls");
  EXPECT_EQ(vm.files().format(r.as<ErrorObj>()->pos), "runaway.valk:1:28");
  // The VM is usable afterwards, its stacks unwound.
  Value again = vm.run_source("(+ 1 2)", "after.valk");
  EXPECT_EQ(again, Value::fixnum(3));
  EXPECT_EQ(vm.frame_count(), 0u);
}

TEST(Limits, MaxCallDepthIsNotExceeded) {
  VM vm(vm_config(false));
  Value r = vm.run_source("(def {runaway} (\\ {k} {+ 1 (runaway k)}))\n(runaway 1)", "runaway.valk");
  ASSERT_TRUE(is_error(r));
  auto lines = trace_lines(vm, r);
  ASSERT_FALSE(lines.empty());
  // "runaway (runaway.valk:1:28) [N times]": N calls were active at once.
  const std::string& first = lines[0];
  size_t open = first.rfind('[');
  ASSERT_NE(open, std::string::npos) << first;
  uint64_t active = std::stoull(first.substr(open + 1));
  EXPECT_LE(active, limits::kMaxCallDepth) << first;
  EXPECT_GE(active, limits::kMaxCallDepth - 10) << first;
}

// ---- kMaxTraceLines ----------------------------------------------------------------------------

TEST(Limits, MaxTraceLinesRecursionFoldsIntoOneLine) {
  VM vm(vm_config(false));
  Value r = vm.run_source(
      "(def {down} (\\ {k} {if (== k 0) {error \"bottom\"} {+ 1 (down (- k 1))}}))\n(down 5000)",
      "trace.valk");
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(message(r), "bottom");
  auto lines = trace_lines(vm, r);
  EXPECT_LE(lines.size(), limits::kMaxTraceLines + 1);
  ASSERT_GE(lines.size(), 2u);
  bool folded = false;
  for (auto& l : lines) folded = folded || l.find(" times]") != std::string::npos;
  EXPECT_TRUE(folded) << vm.describe_error(r);
}

TEST(Limits, MaxTraceLinesLongChainOfDistinctCallsIsCut) {
  VM vm(vm_config(false));
  constexpr int kFunctions = 60;
  std::string program;
  for (int i = 0; i < kFunctions - 1; ++i) {
    program +=
        "(def {chain" + std::to_string(i) + "} (\\ {x} {+ 1 (chain" + std::to_string(i + 1) + " x)}))\n";
  }
  program += "(def {chain" + std::to_string(kFunctions - 1) + "} (\\ {x} {error \"end of chain\"}))\n";
  program += "(chain0 1)";
  Value r = vm.run_source(program, "chain.valk");
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(message(r), "end of chain");
  auto lines = trace_lines(vm, r);
  EXPECT_EQ(lines.size(), limits::kMaxTraceLines + 1);
  const std::string& middle = lines[limits::kMaxTraceLines / 2];
  EXPECT_EQ(middle.substr(0, 4), "... ") << middle;
  EXPECT_NE(middle.find(" more ..."), std::string::npos) << middle;
  EXPECT_EQ(lines[0].substr(0, 8), "chain59 ") << lines[0];  // innermost first
  // Outermost last: the top level, or chain0 when its call replaced the top-level frame.
  const std::string& last = lines.back();
  EXPECT_TRUE(last.rfind("<top level>", 0) == 0 || last.rfind("chain0 ", 0) == 0) << last;
}

// ---- heap limits -------------------------------------------------------------------------------

struct TestRoots final : RootSource {
  std::vector<Value> values;
  void trace_roots(RootVisitor& v, bool) override {
    if (!values.empty()) v.visit_range(values.data(), values.data() + values.size());
  }
};

Value cons_list(Heap& heap, int n) {
  Value list = Value::nil();
  for (int i = 0; i < n; ++i) list = make_cons(heap, Value::fixnum(i), list, true);
  return list;
}

TEST(Limits, DefaultNurseryBytes) {
  VM vm(vm_config(false));
  EXPECT_EQ(vm.heap().nursery_bytes(), limits::kDefaultNurseryBytes);
  EXPECT_EQ(limits::kDefaultHeapLimitBytes, 0u);
  EXPECT_EQ(vm.heap().config().heap_limit, limits::kDefaultHeapLimitBytes);
}

TEST(Limits, MinNurseryBytes) {
  Heap heap(HeapConfig{1024, 0, false, false});
  EXPECT_EQ(heap.nursery_bytes(), limits::kMinNurseryBytes);
}

// ---- kInitialNurseryBytes, kNurseryGrowthShare --------------------------------------------------

TEST(Limits, InitialNurseryBytesIsWhereAVmStarts) {
  VM vm(vm_config(false));
  EXPECT_EQ(vm.heap().nursery_in_use_bytes(), limits::kInitialNurseryBytes);
  EXPECT_EQ(vm.heap().nursery_bytes(), limits::kDefaultNurseryBytes);  // what it may grow to
  // A nursery set smaller than the start is used whole; a Heap given no start too.
  Heap small(HeapConfig{limits::kMinNurseryBytes, 0, false, false, limits::kInitialNurseryBytes});
  EXPECT_EQ(small.nursery_in_use_bytes(), limits::kMinNurseryBytes);
  Heap whole(HeapConfig{limits::kDefaultNurseryBytes, 0, false, false});
  EXPECT_EQ(whole.nursery_in_use_bytes(), limits::kDefaultNurseryBytes);
}

// Objects that die young leave the nursery as it is; survivors of more than 1/kNurseryGrowthShare
// of it double it, up to nursery_bytes.
TEST(Limits, NurseryGrowthShareDecidesWhenTheNurseryGrows) {
  Heap heap(HeapConfig{limits::kDefaultNurseryBytes, 0, false, false, limits::kInitialNurseryBytes});
  TestRoots roots;
  size_t cons_bytes = 24;
  size_t below = limits::kInitialNurseryBytes / limits::kNurseryGrowthShare / cons_bytes / 2;
  roots.values.push_back(cons_list(heap, int(below)));
  cons_list(heap, 2000);  // garbage
  heap.collect(roots, false);
  EXPECT_EQ(heap.nursery_in_use_bytes(), limits::kInitialNurseryBytes);
  size_t above = limits::kInitialNurseryBytes / limits::kNurseryGrowthShare / cons_bytes + 100;
  roots.values.push_back(cons_list(heap, int(above)));
  heap.collect(roots, false);
  EXPECT_EQ(heap.nursery_in_use_bytes(), 2 * limits::kInitialNurseryBytes);
  for (int i = 0; i < 8; ++i) {
    roots.values.push_back(cons_list(heap, int(heap.nursery_in_use_bytes() / cons_bytes / 2)));
    heap.collect(roots, false);
  }
  EXPECT_EQ(heap.nursery_in_use_bytes(), limits::kDefaultNurseryBytes);
  EXPECT_EQ(heap.stats().major_count, 0u);
}

TEST(Limits, SlabPageBytes) {
  Heap heap(HeapConfig{limits::kDefaultNurseryBytes, 0, false, false});
  TestRoots roots;
  size_t empty = heap.heap_bytes();
  roots.values.push_back(make_cons(heap, Value::nil(), Value::nil(), true));
  heap.collect(roots, false);
  EXPECT_EQ(heap.heap_bytes(), empty + limits::kSlabPageBytes);
}

TEST(Limits, MinOldSpaceTriggerStartsAMajorCollection) {
  Heap heap(HeapConfig{limits::kDefaultNurseryBytes, 0, false, false});
  TestRoots roots;
  // Promote lists until the old space holds more than the trigger; each collect(false) stays minor
  // until then.
  while (heap.old_bytes_in_use() <= limits::kMinOldSpaceTrigger) {
    roots.values.push_back(cons_list(heap, 50'000));  // 1.2 MB
    heap.collect(roots, false);
  }
  EXPECT_EQ(heap.stats().major_count, 0u);
  heap.collect(roots, false);
  EXPECT_EQ(heap.stats().major_count, 1u);
}

TEST(Limits, OldSpaceGrowthFactorSetsTheNextTrigger) {
  Heap heap(HeapConfig{limits::kDefaultNurseryBytes, 0, false, false});
  TestRoots roots;
  while (heap.old_bytes_in_use() <= limits::kMinOldSpaceTrigger) {
    roots.values.push_back(cons_list(heap, 50'000));
    heap.collect(roots, false);
  }
  heap.collect(roots, true);
  size_t live = heap.old_bytes_in_use();
  ASSERT_EQ(heap.stats().major_count, 1u);
  // Growing to just under live * factor stays minor; past it, major.
  auto next_trigger = size_t(double(live) * limits::kOldSpaceGrowthFactor);
  while (heap.old_bytes_in_use() + 50'000 * sizeof(Cons) <= next_trigger) {
    roots.values.push_back(cons_list(heap, 50'000));
    heap.collect(roots, false);
  }
  EXPECT_EQ(heap.stats().major_count, 1u);
  while (heap.stats().major_count == 1) {
    roots.values.push_back(cons_list(heap, 50'000));
    heap.collect(roots, false);
  }
  EXPECT_GT(heap.old_bytes_in_use(), next_trigger - 50'000 * sizeof(Cons));
}

TEST(Limits, StressMajorBytes) {
  Heap heap(HeapConfig{limits::kDefaultNurseryBytes, 0, true, false});
  TestRoots roots;
  heap.collect(roots, false);  // nothing allocated yet: minor
  EXPECT_EQ(heap.stats().major_count, 0u);
  // Allocate just under the limit: still minor.
  size_t cells = limits::kStressMajorBytes / sizeof(Cons) - 10;
  for (size_t i = 0; i < cells; ++i) make_cons(heap, Value::nil(), Value::nil(), true);
  heap.collect(roots, false);
  EXPECT_EQ(heap.stats().major_count, 0u);
  // Past it: major.
  for (int i = 0; i < 20; ++i) make_cons(heap, Value::nil(), Value::nil(), true);
  heap.collect(roots, false);
  EXPECT_EQ(heap.stats().major_count, 1u);
  heap.collect(roots, false);  // counted from the last major: minor again
  EXPECT_EQ(heap.stats().major_count, 1u);
}

TEST(Limits, LargeObjectBytes) {
  Heap heap(HeapConfig{limits::kDefaultNurseryBytes, 0, false, false});
  Value large = make_string(heap, std::string(limits::kLargeObjectBytes, 'x'));
  EXPECT_TRUE(large.obj()->gc & gcbit::kLarge);
  EXPECT_FALSE(Heap::is_young(large));
}

TEST(Limits, MaxLineAndColumnClamp) {
  Heap heap(HeapConfig{limits::kDefaultNurseryBytes, 0, false, false});
  SymbolTable symbols;
  ReadResult r = read_forms(heap, symbols, ReadInput{"a\nb\nc", 1, limits::kMaxLine - 1, false});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(cell_pos(r.forms).line(), limits::kMaxLine - 1);
  EXPECT_EQ(cell_pos(cdr(r.forms)).line(), limits::kMaxLine);
  EXPECT_EQ(cell_pos(cdr(cdr(r.forms))).line(), limits::kMaxLine);  // clamped, not wrapped
}

TEST(Limits, MaxWatchedSymbols) {
  EXPECT_LE(int(WatchId::kCount), limits::kMaxWatchedSymbols);
  EXPECT_EQ(limits::kMaxWatchedSymbols, 64);
}

// ---- kMaxFormatWidth ---------------------------------------------------------------------------

TEST(Limits, MaxFormatWidthHoldsAtTheLimitAndFailsPastIt) {
  VM vm(vm_config(false));
  Value at = vm.run_source("(len (str/format \"%-65536s|%.65536d\" \"\" 1))", "width.valk");
  ASSERT_FALSE(is_error(at)) << vm.describe_error(at);
  EXPECT_EQ(int_value(at), 2 * 65536 + 1);
  EXPECT_EQ(message(vm.run_source("(str/format \"%65537s\" \"\")", "width.valk")),
            "str/format: a width or precision above 65536 in %65537...");
  EXPECT_EQ(message(vm.run_source("(str/format \"%.999999999999999999999d\" 1)", "width.valk")),
            "str/format: a width or precision above 65536 in %.99999...");
}

// ---- kRegexCacheEntries ------------------------------------------------------------------------

TEST(Limits, RegexCacheEntriesBoundTheCache) {
  VM vm(vm_config(true));
  Value r = vm.run_source("(len (filter (\\ {i} {re/match? (str/format \"^%d$\" i) \"5\"}) (range 0 600)))",
                          "cache.valk");
  ASSERT_FALSE(is_error(r)) << vm.describe_error(r);
  EXPECT_EQ(int_value(r), 1);
  EXPECT_EQ(regex_cache_size(), limits::kRegexCacheEntries);
  EXPECT_EQ(limits::kRegexCacheEntries, 256u);
}

// ---- kJsonMaxDepth ------------------------------------------------------------------------------

TEST(Limits, JsonMaxDepthHoldsAtTheLimitAndFailsPastIt) {
  EXPECT_EQ(limits::kJsonMaxDepth, 1024u);
  VM vm(vm_config(true));
  Value at = vm.run_source("(json/encode (json/decode (sys/join-strings (str/repeat \"[\" 1024) (str/repeat \"]\" 1024))))",
                           "json.valk");
  ASSERT_FALSE(is_error(at)) << vm.describe_error(at);
  EXPECT_EQ(at.as<String>()->view().size(), 2048u);
  EXPECT_EQ(message(vm.run_source("(json/decode (str/repeat \"[\" 1025))", "json.valk")),
            "json/decode: malformed JSON at byte 1024: nested deeper than 1024 levels");
  // Encoding: a list nested 1025 deep is built by folding.
  Value deep = vm.run_source("(json/encode (foldl (\\ {acc _} {list acc}) {} (range 0 1024)))", "json.valk");
  EXPECT_EQ(message(deep), "json/encode: cannot encode a value nested deeper than 1024 levels");
}

// ---- kMessageValueChars --------------------------------------------------------------------------

TEST(Limits, MessageValueCharsHoldsAtTheLimitAndCutsPastIt) {
  EXPECT_EQ(limits::kMessageValueChars, 60u);
  VM vm(vm_config(true));
  // 58 x between quotes: 60 characters, shown whole; one more is cut at 60, with the size.
  EXPECT_EQ(message(vm.run_source("(get [] (str/repeat \"x\" 58))", "msg.valk")),
            "get: no key \"" + std::string(58, 'x') + "\"");
  EXPECT_EQ(message(vm.run_source("(get [] (str/repeat \"x\" 59))", "msg.valk")),
            "get: no key \"" + std::string(59, 'x') + "… (61 bytes)");
  // Characters, not bytes: a multi-byte character is never split.
  std::string e = message(vm.run_source("(get [] (str/repeat \"é\" 1000000))", "msg.valk"));
  std::string eacute = "\xC3\xA9";
  std::string shown = "\"";
  for (int i = 0; i < 59; ++i) shown += eacute;
  EXPECT_EQ(e, "get: no key " + shown + "… (2000002 bytes)");
}

// ---- kFsMaxChunkBytes ----------------------------------------------------------------------------

TEST(Limits, FsMaxChunkBytesHoldsAtTheLimitAndFailsPastIt) {
  EXPECT_EQ(limits::kFsMaxChunkBytes, size_t(64) << 20);
  VM vm(vm_config(true));
  Value at = vm.run_source("(do (def {fd} (await (fs/open \"/dev/zero\"))) (len (await (fs/read-chunk fd 67108864))))",
                           "fs.valk");
  ASSERT_FALSE(is_error(at)) << vm.describe_error(at);
  EXPECT_EQ(int_value(at), 67108864);
  EXPECT_EQ(message(vm.run_source("(fs/read-chunk fd 67108865)", "fs.valk")),
            "fs/read-chunk: the size must be from 1 to 67108864, got 67108865");
  vm.run_source("(await (fs/close fd))", "fs.valk");
  EXPECT_EQ(vm.loop().close(), 0);
}

// ---- kFsMaxLineBytes ------------------------------------------------------------------------------

TEST(Limits, FsMaxLineBytesHoldsAtTheLimitAndFailsPastIt) {
  EXPECT_EQ(limits::kFsMaxLineBytes, size_t(64) << 20);
  char path[] = "/tmp/valk-line-limit-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string text(limits::kFsMaxLineBytes, 'a');
  text += "\nb\n";
  ASSERT_EQ(write(fd, text.data(), text.size()), ssize_t(text.size()));
  close(fd);
  VM vm(vm_config(true));
  Value at = vm.run_source(std::string("(do (def {f} (await (fs/open \"") + path +
                               "\"))) (list (len (await (fs/read-line f))) (await (fs/read-line f))))",
                           "fs.valk");
  unlink(path);
  ASSERT_FALSE(is_error(at)) << vm.describe_error(at);
  EXPECT_EQ(readable(at), "{67108864 \"b\"}");
  Value past = vm.run_source("(do (def {z} (await (fs/open \"/dev/zero\"))) (await (fs/read-line z)))", "fs.valk");
  EXPECT_EQ(message(past), "fs/read-line: /dev/zero: a line is longer than 67108864 bytes");
  vm.run_source("(do (await (fs/close f)) (await (fs/close z)))", "fs.valk");
  EXPECT_EQ(vm.loop().close(), 0);
}

// ---- kFiberStackSlots, kFiberFrames, kStackSlack, kSpareFibers --------------------------------------

// The stacks of the fiber computing the future bound to `name` (it has not run yet).
const Fiber* fiber_stacks(VM& vm, const char* name) {
  Value future = vm.sym(name)->global;
  return future.as<Future>()->fiber.as<FiberObj>()->stacks;
}

TEST(Limits, FiberStacksStartAtTheirLimitsAndGrow) {
  EXPECT_EQ(limits::kFiberStackSlots, 32u);
  EXPECT_EQ(limits::kFiberFrames, 8u);
  VM vm(vm_config(true));
  ASSERT_FALSE(is_error(vm.run_source("(def {small} (aio/spawn + 1 2))", "fiber.valk")));
  const Fiber* s = fiber_stacks(vm, "small");
  EXPECT_EQ(s->stack_cap, limits::kFiberStackSlots);
  EXPECT_EQ(s->frames_cap, limits::kFiberFrames);
  // A recursion far deeper than kFiberFrames frames and kFiberStackSlots slots grows them.
  Value r = vm.run_source(
      "(fun {deep k} {if (== k 0) {0} {+ 1 (deep (- k 1))}})\n"
      "(+ (await small) (await (aio/spawn deep 10000)))",
      "fiber.valk");
  ASSERT_FALSE(is_error(r)) << vm.describe_error(r);
  EXPECT_EQ(int_value(r), 10003);
  EXPECT_EQ(vm.loop().close(), 0);
}

TEST(Limits, StackSlackIsKeptTwiceAboveASpawnedCall) {
  EXPECT_EQ(limits::kStackSlack, 8u);
  VM vm(vm_config(true));
  // 40 arguments do not fit in kFiberStackSlots: the stack is sized for the call stub, the
  // callee, its arguments and twice the slack (a native builtin's pushes above the call).
  std::string args;
  for (int i = 1; i <= 40; ++i) args += " " + std::to_string(i);
  ASSERT_FALSE(is_error(vm.run_source("(def {wide} (aio/spawn +" + args + "))", "fiber.valk")));
  const Fiber* s = fiber_stacks(vm, "wide");
  EXPECT_GE(s->stack_cap, 2 + 40 + 2 * size_t(limits::kStackSlack));
  EXPECT_GT(s->stack_cap, limits::kFiberStackSlots);
  Value r = vm.run_source("(await wide)", "fiber.valk");
  ASSERT_FALSE(is_error(r)) << vm.describe_error(r);
  EXPECT_EQ(int_value(r), 820);
  EXPECT_EQ(vm.loop().close(), 0);
}

TEST(Limits, SpareFibersKeepsAtMostTheLimit) {
  EXPECT_EQ(limits::kSpareFibers, 1024u);
  VM vm(vm_config(true));
  Value r = vm.run_source("(len (await (aio/all (map (\\ {i} {aio/spawn + i 1}) (range 0 1100)))))", "fiber.valk");
  ASSERT_FALSE(is_error(r)) << vm.describe_error(r);
  EXPECT_EQ(int_value(r), 1100);
  EXPECT_EQ(vm.spare_fibers(), limits::kSpareFibers);  // 1100 ended at once: 1024 kept
  // A spawn takes spare stacks (it allocates none), and its fiber's end gives them back.
  ASSERT_FALSE(is_error(vm.run_source("(def {again} (aio/spawn + 1 2))", "fiber.valk")));
  EXPECT_EQ(vm.spare_fibers(), limits::kSpareFibers - 1);
  EXPECT_EQ(fiber_stacks(vm, "again")->stack_cap, limits::kFiberStackSlots);
  EXPECT_EQ(vm.run_source("(await again)", "fiber.valk"), Value::fixnum(3));
  EXPECT_EQ(vm.spare_fibers(), limits::kSpareFibers);
  // A fiber that grew its stacks frees them instead.
  vm.run_source("(fun {deep k} {if (== k 0) {0} {+ 1 (deep (- k 1))}})", "fiber.valk");
  ASSERT_FALSE(is_error(vm.run_source("(def {big} (aio/spawn deep 1000))", "fiber.valk")));
  EXPECT_EQ(vm.spare_fibers(), limits::kSpareFibers - 1);
  EXPECT_EQ(vm.run_source("(await big)", "fiber.valk"), Value::fixnum(1000));
  EXPECT_EQ(vm.spare_fibers(), limits::kSpareFibers - 1);
  EXPECT_EQ(vm.loop().close(), 0);
}

}  // namespace
}  // namespace valk
