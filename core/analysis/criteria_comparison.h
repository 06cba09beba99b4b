// Criteria side by side on one model, as plain data (no LibTorch): each method's chosen set, its
// transfer entropy with a bootstrap interval, its training-free top-1 by both removal rules, how
// stable the choice is over resamples of the calibration images, and top-1 after dilution where
// a diluted model of that set exists. The CLI, the Criteria tab and the figure set share it.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace mlpify::core {

struct CriterionRow {
    std::string method;
    std::vector<int64_t> selected; // in the order chosen
    double transferEntropy = std::numeric_limits<double>::quiet_NaN();
    double teLow = std::numeric_limits<double>::quiet_NaN(), teHigh = teLow; // 95% bootstrap interval
    double skipTop1 = teLow, doubleTop1 = teLow;                             // training-free, test split
    int stabilityResamples = 0;                                              // 0: not measured
    double chosenSetShare = teLow;      // the fraction of resamples choosing exactly this set
    std::vector<double> layerFrequency; // per block: the fraction of resamples whose set holds it
    double seconds = 0;                 // the selection itself
    std::optional<double> dilutedTop1;  // test top-1 of a diluted, folded model with this set removed
    std::string dilutedModel;
    // A comparison of pools (comparePools): the pool the set came from, selected holds unit codes
    // (transfer_entropy.h), unitNames their names, and what the set takes out. note: why a pool
    // has no set (its cheapest unit is above the budget).
    std::string pool;
    std::vector<std::string> unitNames;
    int64_t paramsRemoved = 0;
    double flopsRemoved = 0;
    std::string note;
};

struct CriteriaComparison {
    std::vector<CriterionRow> rows;
    int64_t count = 0;             // layers each method removes (a comparison of attention criteria)
    std::string budget;            // what each pool may take (a comparison of pools: rows' pool is set)
    int64_t calibrationImages = 0; // what the selections and TE read
    int64_t testImages = 0;        // what the training-free top-1 reads
    int teResamples = 0;
    std::string units;
    nlohmann::json settings = nlohmann::json::object();
};

void to_json(nlohmann::json& j, const CriteriaComparison& c);
void from_json(const nlohmann::json& j, CriteriaComparison& c);
// One row per method (per pool and method for pools): method, set, TE and its interval, both top-1s, stability, after
// dilution, seconds.
std::string criteriaCsv(const CriteriaComparison& c);
// Each row's name in a chart or a legend: its method for a comparison of attention criteria; for
// pools its pool ("attention", "MLP", "block", "mixed"), with the method when rows differ in it.
// brief: chart categories, short enough for twenty side by side ("attn NOSE", "MLP CE"), where
// pools and methods are crossed; criteriaLabelKey says what the short forms mean ("" if none).
std::vector<std::string> criteriaLabels(const CriteriaComparison& c, bool brief = false);
std::string criteriaLabelKey(const CriteriaComparison& c);
// Gives every row whose set equals removed (any order) the diluted model's top-1; returns the
// number of rows it matched.
int attachDiluted(CriteriaComparison& c, std::vector<int64_t> removed, double top1, const std::string& model);

} // namespace mlpify::core
