// equal.cpp: structural equality with an explicit stack of pairs still to compare.
#include "value/equal.h"

#include <utility>
#include <vector>

#include "value/object.h"

namespace valk {

namespace {

enum class Shallow { kEqual, kDifferent, kDescend };

Shallow compare_shallow(Value a, Value b) {
  if (a == b) return Shallow::kEqual;
  if (is_int(a) || is_int(b)) {
    return (is_int(a) && is_int(b) && int_value(a) == int_value(b)) ? Shallow::kEqual
                                                                     : Shallow::kDifferent;
  }
  if (!a.is_object() || !b.is_object()) return Shallow::kDifferent;
  Object* x = a.obj();
  Object* y = b.obj();
  if (x->type != y->type) return Shallow::kDifferent;
  switch (x->type) {
    case ObjType::kString:
      return a.as<String>()->view() == b.as<String>()->view() ? Shallow::kEqual : Shallow::kDifferent;
    case ObjType::kCons:
      return ((x->flags ^ y->flags) & consflag::kQuoted) ? Shallow::kDifferent : Shallow::kDescend;
    case ObjType::kClosure:
    case ObjType::kPartial:
    case ObjType::kError: return Shallow::kDescend;
    default: return Shallow::kDifferent;  // symbols and builtins: identity, checked above
  }
}

// Pushes the pairs of components to compare for two objects of the same type.
void push_components(std::vector<std::pair<Value, Value>>& work, Value a, Value b) {
  switch (a.obj()->type) {
    case ObjType::kCons:
      work.emplace_back(cdr(a), cdr(b));
      work.emplace_back(car(a), car(b));
      break;
    case ObjType::kClosure: {
      auto* pa = a.as<Closure>()->proto.as<Proto>();
      auto* pb = b.as<Closure>()->proto.as<Proto>();
      work.emplace_back(pa->body, pb->body);
      work.emplace_back(pa->formals, pb->formals);
      break;
    }
    case ObjType::kPartial: {
      auto* pa = a.as<Partial>();
      auto* pb = b.as<Partial>();
      if (pa->aux != pb->aux) {
        work.emplace_back(Value::nil(), Value::empty_sexpr());  // forces "different"
        break;
      }
      for (uint32_t i = 0; i < pa->aux; ++i) work.emplace_back(pa->args()[i], pb->args()[i]);
      work.emplace_back(pa->fn, pb->fn);
      break;
    }
    case ObjType::kError:
      work.emplace_back(a.as<ErrorObj>()->message, b.as<ErrorObj>()->message);
      break;
    default: break;
  }
}

}  // namespace

bool values_equal(Value a, Value b) {
  std::vector<std::pair<Value, Value>> work;
  work.emplace_back(a, b);
  while (!work.empty()) {
    auto [x, y] = work.back();
    work.pop_back();
    switch (compare_shallow(x, y)) {
      case Shallow::kEqual: break;
      case Shallow::kDifferent: return false;
      case Shallow::kDescend: push_components(work, x, y); break;
    }
  }
  return true;
}

}  // namespace valk
