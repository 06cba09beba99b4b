// The one table of layer-selection methods (plain data, no LibTorch): every face's menus, help
// texts, chart labels and the dispatcher (selection.h) read it, so a method added here is offered
// everywhere.
#pragma once

#include <string>
#include <vector>

namespace mlpify::core {

struct SelectionMethod {
    std::string name;       // as the CLI, projects and DilutionRun::method spell it
    std::string label;      // menus: "NOSE (transfer entropy)"
    std::string shortLabel; // chart categories, short enough for ten side by side
    bool needsCalibration;  // reads calibration images (entropy not when given the model's profile)
    bool compared;          // in compareCriteria's default set (exhaustive is not: C(n, k) sets)
};

const std::vector<SelectionMethod>& selectionMethodTable();
// Error naming the method, with the known names, when it is not in the table.
const SelectionMethod& selectionMethod(const std::string& name);

const std::vector<std::string>& selectionMethods(); // every name, in the table's order
std::vector<std::string> comparedMethods();         // the names with `compared`
bool selectionNeedsCalibration(const std::string& name);
// Every name joined by separator, for help texts: "nose | exhaustive | ...".
std::string selectionMethodList(const std::string& separator);

} // namespace mlpify::core
