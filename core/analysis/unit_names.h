// The names of the candidate pools and unit-ranking methods (unit_selection.h), as plain data for
// every face: the CLI's help, the Slim and Criteria tabs' menus.
#pragma once

#include <string>
#include <vector>

namespace mlpify::core {

const std::vector<std::string>& unitPoolNames();   // attention, mlp, block, mixed
const std::vector<std::string>& unitMethodNames(); // nose, influence, angular, greedy-loss, greedy-kl

} // namespace mlpify::core
