// builtin_tables.h: every builtin table (lib/, aio/, net/) in the order a VM installs them
// (vm.cpp), so that tests can check each row the VM will meet.
#pragma once

#include <span>
#include <vector>

#include "lib/builtin.h"

namespace valk {

// A later row of the same name wins: its builtin is the name's global.
std::vector<std::span<const BuiltinInfo>> builtin_tables();

}  // namespace valk
