#include "app/figures/project.h"

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/json_file.h"

#include <QBuffer>
#include <QByteArray>
#include <QtGlobal>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace mlpify::app {

namespace {
using nlohmann::json;

std::string str(const QString& s)
{
    return s.toStdString();
}

QString qstr(const json& j, const char* key, const QString& fallback)
{
    return j.contains(key) ? QString::fromStdString(j.at(key).get<std::string>()) : fallback;
}

template <class T> void putOptional(json& j, const char* key, const std::optional<T>& v)
{
    if (v)
        j[key] = *v;
}

// The image under the attention map, as base64 PNG text (a 224 x 224 photo is ~100 KB).
std::string pngBase64(const QImage& image)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, "PNG");
    return bytes.toBase64().toStdString();
}

QImage imageFromBase64(const std::string& text)
{
    return QImage::fromData(QByteArray::fromBase64(QByteArray::fromStdString(text)), "PNG");
}

template <class T> void getOptional(const json& j, const char* key, std::optional<T>& v)
{
    if (j.contains(key) && !j.at(key).is_null())
        v = j.at(key).get<T>();
}
} // namespace

std::vector<core::FrontModel> frontModels(const Project& p)
{
    std::vector<core::FrontModel> models{{p.model.toStdString(), "original"}};
    if (!p.slimmedModel.isEmpty())
        models.push_back({p.slimmedModel.toStdString(), "slimmed"});
    return models;
}

core::DilutionRun dilutionRun(const Project& p)
{
    auto run = p.training;
    run.model = str(p.model);
    run.data = str(p.data);
    // Chosen MLPs make the run a listed one (the window always lists its units): no ratio then.
    run.ratio = run.removeMlp.empty() ? p.ratio : 0.0;
    run.method = str(p.method);
    run.selectImages = p.images; // the analysis's calibration images choose the layers
    if (run.out.empty())
        run.out = "slimmed.mlpify";
    return run;
}

namespace {
// criteria --pools ... of a comparison of pools, from the settings comparePools keeps.
std::string poolArguments(const core::CriteriaComparison& c)
{
    const auto& st = c.settings;
    std::string pools, methods;
    for (const auto& x : st.value("pools", json::array()))
        pools += (pools.empty() ? "" : ",") + x.get<std::string>();
    for (const auto& x : st.value("methods", json::array()))
        methods += (methods.empty() ? "" : ",") + x.get<std::string>();
    const auto budget = st.value("budget", json::object());
    std::ostringstream b;
    b.precision(17);
    if (budget.value("params", int64_t{0}) > 0)
        b << " --budget-params " << budget.at("params").get<int64_t>();
    else if (budget.value("flops", 0.0) > 0)
        b << " --budget-flops " << budget.at("flops").get<double>();
    else
        b << " --count " << budget.value("count", int64_t{0});
    return " --pools " + pools + " --methods " + methods + b.str();
}
} // namespace

json projectCommands(const Project& p)
{
    const auto model = str(p.model), data = str(p.data);
    const auto run = dilutionRun(p);
    const auto& slim = run.out;
    const auto images = std::to_string(p.images);
    return {{"analyze", "mlpify analyze " + model + " --data " + data + " --images " + images + " --tokens " +
                            str(p.tokens) + " --out analysis.json"},
            {"select", "mlpify select " + model + " --data " + data + " --images " + images + " --ratio " +
                           std::to_string(p.ratio) + " --method " + str(p.method) + " --out selection.json"},
            {"dilute", core::commandLine(run)},
            {"criteria", "mlpify criteria " + model + " --data " + data + " --images " + images +
                             (p.criteria && !p.criteria->budget.empty() ? poolArguments(*p.criteria)
                                                                        : " --ratio " + std::to_string(p.ratio)) +
                             (p.slimmedModel.isEmpty() ? "" : " --diluted " + str(p.slimmedModel)) +
                             " --out criteria.json"},
            {"spectrum", "mlpify spectrum " + model + " --data " + data + " --vs " + slim},
            {"attention", "mlpify attention " + model + " --data " + data + " --distance --images 256" +
                              (p.slimmedModel.isEmpty() ? "" : " --vs " + str(p.slimmedModel)) +
                              " --json attention.json --out attention-distance.png"},
            {"compare", "mlpify eval " + slim + " --data " + data + " && mlpify bench " + model + " --vs " + slim},
            {"figures", "mlpify figures PROJECT --out figures/"}};
}

json projectJson(const Project& p)
{
    json results = json::object();
    putOptional(results, "entropy_profile", p.profile);
    putOptional(results, "entropy_profile_slimmed", p.slimmedProfile);
    putOptional(results, "selection", p.selection);
    putOptional(results, "spectrum", p.spectrum);
    putOptional(results, "spectrum_slimmed", p.slimmedSpectrum);
    results["compare"] = p.compare;
    results["front"] = {{"points", p.front}, {"chosen", p.frontChosen}};
    if (p.criteria)
        results["criteria"] = *p.criteria;
    putOptional(results, "attention", p.attention);
    putOptional(results, "attention_slimmed", p.slimmedAttention);
    putOptional(results, "attention_map", p.attentionMap);
    if (p.attentionMap && !p.attentionImage.isNull())
        results["attention_image_png"] = pngBase64(p.attentionImage);
    auto steps = json::array(), epochs = json::array();
    for (const auto& s : p.curves.steps)
        steps.push_back({s.step, s.loss, s.lambda, s.imagesPerSecond});
    for (const auto& e : p.curves.epochs)
        epochs.push_back({e.epoch, e.trainTop1, e.testTop1, e.lambda});
    results["training_curves"] = {
        {"total_steps", p.curves.totalSteps},
        {"steps", {{"columns", {"step", "loss", "lambda", "images_per_s"}}, {"rows", steps}}},
        {"epochs", {{"columns", {"epoch", "train_top1", "test_top1", "lambda"}}, {"rows", epochs}}}};
    json j = {{"kind", "mlpify-project"},
              {"version", 1},
              {"model", str(p.model)},
              {"data", str(p.data)},
              {"analysis", {{"images", p.images}, {"tokens", str(p.tokens)}, {"ratio", p.ratio}}},
              {"method", str(p.method)},
              {"training", dilutionRun(p)},
              {"slimmed_model", str(p.slimmedModel)},
              {"cli", projectCommands(p)},
              {"results", results}};
    return j;
}

core::RunRecord projectRecord(const Project& p)
{
    auto r = core::currentRecord();
    r.qt = qVersion();
    r.ranks = std::max(1, p.training.processes);
    core::recordModelFiles(r, "model", str(p.model));
    if (!p.slimmedModel.isEmpty())
        core::recordModelFiles(r, "slimmed model", str(p.slimmedModel));
    core::recordDataFiles(r, str(p.data));
    r.seeds = core::seedsIn(projectJson(p));
    r.commands = projectCommands(p);
    return r;
}

void saveProject(const Project& p, const QString& path)
{
    auto j = projectJson(p);
    j["record"] = projectRecord(p);
    core::writeBytesAtomically(str(path), j.dump(1) + "\n");
}

Project loadProject(const QString& path)
{
    const json j = core::readJsonFile(str(path));
    if (!j.is_object() || j.value("kind", json()) != "mlpify-project")
        throw core::Error(str(path), "not an MLPify project (its \"kind\" is not \"mlpify-project\")");
    try {
        Project p;
        p.model = qstr(j, "model", p.model);
        p.data = qstr(j, "data", p.data);
        const auto a = j.value("analysis", json::object());
        p.images = core::jsonInteger(a, "images", p.images);
        p.tokens = qstr(a, "tokens", p.tokens);
        p.ratio = a.value("ratio", p.ratio);
        p.method = qstr(j, "method", p.method);
        p.training = j.value("training", json::object()).get<core::DilutionRun>();
        p.slimmedModel = qstr(j, "slimmed_model", "");
        const auto r = j.value("results", json::object());
        getOptional(r, "entropy_profile", p.profile);
        getOptional(r, "entropy_profile_slimmed", p.slimmedProfile);
        getOptional(r, "selection", p.selection);
        getOptional(r, "spectrum", p.spectrum);
        getOptional(r, "spectrum_slimmed", p.slimmedSpectrum);
        p.compare = r.value("compare", json::array()).get<std::vector<core::ModelNumbers>>();
        getOptional(r, "attention", p.attention);
        getOptional(r, "attention_slimmed", p.slimmedAttention);
        getOptional(r, "attention_map", p.attentionMap);
        if (r.contains("attention_image_png"))
            p.attentionImage = imageFromBase64(r.at("attention_image_png").get<std::string>());
        const auto c = r.value("training_curves", json::object());
        p.curves.totalSteps = core::jsonInteger(c, "total_steps", int64_t{0});
        if (c.contains("steps"))
            for (const auto& s : c.at("steps").at("rows")) {
                core::StepStats st;
                st.step = core::jsonInteger(s.at(0));
                st.totalSteps = p.curves.totalSteps;
                st.loss = s.at(1).get<double>();
                st.lambda = s.at(2).get<double>();
                st.imagesPerSecond = s.at(3).get<double>();
                p.curves.steps.push_back(st);
            }
        if (c.contains("epochs"))
            for (const auto& e : c.at("epochs").at("rows")) {
                core::EpochStats ep;
                ep.epoch = core::jsonInteger(e.at(0));
                ep.trainTop1 = e.at(1).get<double>();
                ep.testTop1 = e.at(2).get<double>();
                ep.lambda = e.at(3).get<double>();
                p.curves.epochs.push_back(ep);
            }
        if (r.contains("criteria")) {
            try {
                p.criteria = r.at("criteria").get<core::CriteriaComparison>();
            } catch (const core::Error& e) {
                throw core::Error(str(path), e.what());
            }
        }
        if (r.contains("front")) {
            p.front = r.at("front").at("points").get<std::vector<core::FrontPoint>>();
            p.frontChosen = core::jsonInteger(r.at("front"), "chosen", -1);
            if (p.frontChosen >= static_cast<int>(p.front.size()))
                throw core::Error(str(path), "the chosen front point " + std::to_string(p.frontChosen) +
                                                 " is not one of its " + std::to_string(p.front.size()));
        }
        return p;
    } catch (const core::Error&) {
        throw;
    } catch (const std::exception& e) {
        throw core::Error(str(path), std::string("malformed project: ") + e.what());
    }
}

} // namespace mlpify::app
