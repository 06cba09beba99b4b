#include "core/analysis/criteria_comparison.h"

#include "core/error.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace mlpify::core {

namespace {
nlohmann::json number(double v)
{
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}
double number(const nlohmann::json& j, const char* key)
{
    return j.contains(key) && j.at(key).is_number() ? j.at(key).get<double>()
                                                    : std::numeric_limits<double>::quiet_NaN();
}
std::string csvNumber(double v)
{
    if (!std::isfinite(v))
        return "";
    std::ostringstream s;
    s.precision(6);
    s << v;
    return s.str();
}
std::vector<int64_t> sorted(std::vector<int64_t> v)
{
    std::sort(v.begin(), v.end());
    return v;
}
} // namespace

void to_json(nlohmann::json& j, const CriteriaComparison& c)
{
    auto rows = nlohmann::json::array();
    for (const auto& r : c.rows) {
        nlohmann::json row{
            {"method", r.method},
            {"selected", r.selected},
            {"transfer_entropy", number(r.transferEntropy)},
            {"te_interval", {number(r.teLow), number(r.teHigh)}},
            {"training_free", {{"skip_top1", number(r.skipTop1)}, {"double_top1", number(r.doubleTop1)}}},
            {"seconds", r.seconds}};
        if (r.stabilityResamples > 0)
            row["stability"] = {{"resamples", r.stabilityResamples},
                                {"chosen_set_share", number(r.chosenSetShare)},
                                {"layer_frequency", r.layerFrequency}};
        if (r.dilutedTop1)
            row["diluted"] = {{"top1", *r.dilutedTop1}, {"model", r.dilutedModel}};
        if (!r.pool.empty()) {
            row["pool"] = r.pool;
            row["unit_names"] = r.unitNames;
            row["params_removed"] = r.paramsRemoved;
            row["flops_removed"] = r.flopsRemoved;
        }
        if (!r.note.empty())
            row["note"] = r.note;
        rows.push_back(row);
    }
    j = {{"kind", "criteria_comparison"},
         {"count", c.count},
         {"calibration_images", c.calibrationImages},
         {"test_images", c.testImages},
         {"te_resamples", c.teResamples},
         {"te_interval_level", 0.95},
         {"units", c.units},
         {"settings", c.settings},
         {"rows", rows}};
    if (!c.budget.empty())
        j["budget"] = c.budget;
}

void from_json(const nlohmann::json& j, CriteriaComparison& c)
{
    if (j.value("kind", "") != "criteria_comparison")
        throw Error("criteria comparison", "not a criteria comparison (kind must be criteria_comparison)");
    c = CriteriaComparison{};
    c.count = j.at("count").get<int64_t>();
    c.calibrationImages = j.value("calibration_images", int64_t{0});
    c.testImages = j.value("test_images", int64_t{0});
    c.teResamples = j.value("te_resamples", 0);
    c.units = j.value("units", "");
    c.budget = j.value("budget", "");
    c.settings = j.value("settings", nlohmann::json::object());
    for (const auto& row : j.at("rows")) {
        CriterionRow r;
        r.method = row.at("method").get<std::string>();
        r.selected = row.at("selected").get<std::vector<int64_t>>();
        r.transferEntropy = number(row, "transfer_entropy");
        if (row.contains("te_interval") && row.at("te_interval").size() == 2) {
            const auto& ci = row.at("te_interval");
            r.teLow = ci[0].is_number() ? ci[0].get<double>() : r.teLow;
            r.teHigh = ci[1].is_number() ? ci[1].get<double>() : r.teHigh;
        }
        if (row.contains("training_free")) {
            r.skipTop1 = number(row.at("training_free"), "skip_top1");
            r.doubleTop1 = number(row.at("training_free"), "double_top1");
        }
        r.seconds = row.value("seconds", 0.0);
        if (row.contains("stability")) {
            const auto& s = row.at("stability");
            r.stabilityResamples = s.at("resamples").get<int>();
            r.chosenSetShare = number(s, "chosen_set_share");
            r.layerFrequency = s.at("layer_frequency").get<std::vector<double>>();
        }
        if (row.contains("diluted")) {
            r.dilutedTop1 = row.at("diluted").at("top1").get<double>();
            r.dilutedModel = row.at("diluted").value("model", "");
        }
        r.pool = row.value("pool", "");
        r.unitNames = row.value("unit_names", std::vector<std::string>{});
        r.paramsRemoved = row.value("params_removed", int64_t{0});
        r.flopsRemoved = row.value("flops_removed", 0.0);
        r.note = row.value("note", "");
        c.rows.push_back(r);
    }
}

std::string criteriaCsv(const CriteriaComparison& c)
{
    std::ostringstream s;
    const bool pools = !c.budget.empty();
    s << (pools ? "pool," : "") << "method,set,te_" << (c.units.empty() ? "value" : c.units)
      << ",te_low,te_high,top1_skip,top1_double,"
      << "stability_resamples,chosen_set_share,top1_after_dilution,selection_seconds"
      << (pools ? ",params_removed,flops_removed,note" : "") << "\n";
    for (const auto& r : c.rows) {
        std::string set;
        if (pools)
            for (const auto& u : r.unitNames)
                set += (set.empty() ? "" : "; ") + u;
        else
            for (auto b : r.selected)
                set += (set.empty() ? "" : " ") + std::to_string(b);
        if (pools)
            s << r.pool << ",";
        s << r.method << "," << set << "," << csvNumber(r.transferEntropy) << "," << csvNumber(r.teLow) << ","
          << csvNumber(r.teHigh) << "," << csvNumber(r.skipTop1) << "," << csvNumber(r.doubleTop1) << ","
          << r.stabilityResamples << "," << csvNumber(r.stabilityResamples > 0 ? r.chosenSetShare : NAN) << ","
          << (r.dilutedTop1 ? csvNumber(*r.dilutedTop1) : "") << "," << csvNumber(r.seconds);
        if (pools) {
            std::string note; // quoted, its quotes doubled (RFC 4180)
            for (char ch : r.note)
                note += ch == '"' ? std::string("\"\"") : std::string(1, ch);
            s << "," << r.paramsRemoved << "," << csvNumber(r.flopsRemoved) << ",\"" << note << "\"";
        }
        s << "\n";
    }
    return s.str();
}

namespace {
bool crossed(const CriteriaComparison& c) // pools, and rows that differ in their method
{
    return std::any_of(c.rows.begin(), c.rows.end(),
                       [&](const CriterionRow& r) { return !r.pool.empty() && r.method != c.rows.front().method; });
}
// The unit methods' and pools' short forms for brief labels, with what each stands for.
struct Abbreviation {
    const char *name, *brief, *meaning;
};
constexpr Abbreviation kBrief[] = {{"attention", "attn", "attention"},
                                   {"nose", "NOSE", ""},
                                   {"influence", "infl.", "influence (1 - cos)"},
                                   {"angular", "ang.", "angular distance"},
                                   {"greedy-loss", "CE", "greedy loss"},
                                   {"greedy-kl", "KL", "greedy KL"}};
std::string brief(const std::string& name)
{
    for (const auto& a : kBrief)
        if (name == a.name)
            return a.brief;
    return name == "mlp" ? "MLP" : name;
}
} // namespace

std::vector<std::string> criteriaLabels(const CriteriaComparison& c, bool shortForms)
{
    const bool withMethod = crossed(c);
    shortForms = shortForms && withMethod;
    std::vector<std::string> labels;
    for (const auto& r : c.rows) {
        if (r.pool.empty()) {
            labels.push_back(r.method);
            continue;
        }
        const auto pool = shortForms ? brief(r.pool) : r.pool == "mlp" ? std::string("MLP") : r.pool;
        labels.push_back(!withMethod ? pool : shortForms ? pool + " " + brief(r.method) : pool + ", " + r.method);
    }
    return labels;
}

std::string criteriaLabelKey(const CriteriaComparison& c)
{
    if (!crossed(c))
        return "";
    std::string key;
    for (const auto& a : kBrief) {
        const bool used = std::any_of(c.rows.begin(), c.rows.end(),
                                      [&](const CriterionRow& r) { return r.pool == a.name || r.method == a.name; });
        if (used && *a.meaning)
            key += (key.empty() ? "" : "; ") + std::string(a.brief) + ": " + a.meaning;
    }
    return key;
}

int attachDiluted(CriteriaComparison& c, std::vector<int64_t> removed, double top1, const std::string& model)
{
    removed = sorted(std::move(removed));
    int matched = 0;
    for (auto& r : c.rows)
        if (sorted(r.selected) == removed) {
            r.dilutedTop1 = top1;
            r.dilutedModel = model;
            ++matched;
        }
    return matched;
}

} // namespace mlpify::core
