#include "core/analysis/selection_methods.h"

#include "core/error.h"

namespace mlpify::core {

const std::vector<SelectionMethod>& selectionMethodTable()
{
    // clang-format off
    static const std::vector<SelectionMethod> table{
        {"nose",             "NOSE (transfer entropy)",               "NOSE",         true,  true},
        {"exhaustive",       "exhaustive transfer entropy",           "exhaust.",     true,  false},
        {"single-te",        "single-layer transfer entropy",         "single TE",    true,  true},
        {"entropy",          "lowest attention entropy",              "entropy",      true,  true},
        {"block-influence",  "block influence (ShortGPT)",            "block infl.",  true,  true},
        {"attention-cosine", "attention cosine (LLM-Drop)",           "attn cos.",    true,  true},
        {"angular",          "angular distance (Gromov et al.)",      "angular",      true,  true},
        {"greedy-loss",      "greedy calibration loss (SLEB)",        "greedy CE",    true,  true},
        {"greedy-kl",        "greedy KL to the original",             "greedy KL",    true,  true},
        {"first",            "first N",                               "first",        false, true},
        {"random",           "random",                                "random",       false, true},
    };
    // clang-format on
    return table;
}

const SelectionMethod& selectionMethod(const std::string& name)
{
    for (const auto& m : selectionMethodTable())
        if (m.name == name)
            return m;
    throw Error("selection method " + name, "unknown (" + selectionMethodList(", ") + ")");
}

const std::vector<std::string>& selectionMethods()
{
    static const std::vector<std::string> names = [] {
        std::vector<std::string> n;
        for (const auto& m : selectionMethodTable())
            n.push_back(m.name);
        return n;
    }();
    return names;
}

std::vector<std::string> comparedMethods()
{
    std::vector<std::string> names;
    for (const auto& m : selectionMethodTable())
        if (m.compared)
            names.push_back(m.name);
    return names;
}

bool selectionNeedsCalibration(const std::string& name)
{
    return selectionMethod(name).needsCalibration;
}

std::string selectionMethodList(const std::string& separator)
{
    std::string list;
    for (const auto& m : selectionMethodTable())
        list += (list.empty() ? "" : separator) + m.name;
    return list;
}

} // namespace mlpify::core
