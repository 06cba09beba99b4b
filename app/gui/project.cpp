#include "app/gui/project.h"

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/json_file.h"

#include <fstream>

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

json trainingJson(const TrainingRequest& t)
{
    std::vector<int> remove(t.remove.begin(), t.remove.end());
    return {{"remove", remove},
            {"epochs", t.epochs},
            {"dilution_epochs", t.dilutionEpochs},
            {"lr", t.lr},
            {"batch", t.batch},
            {"train_limit", t.trainLimit},
            {"schedule", str(t.schedule)},
            {"distill", t.distill},
            {"augment", t.augment},
            {"device", str(t.device)},
            {"out", str(t.out)}};
}

TrainingRequest trainingFrom(const json& j)
{
    TrainingRequest t;
    for (int b : core::jsonIntegers<int>(j.value("remove", json::array())))
        t.remove.push_back(b);
    t.epochs = core::jsonInteger(j, "epochs", t.epochs);
    t.dilutionEpochs = j.value("dilution_epochs", t.dilutionEpochs);
    t.lr = j.value("lr", t.lr);
    t.batch = core::jsonInteger(j, "batch", t.batch);
    t.trainLimit = core::jsonInteger(j, "train_limit", t.trainLimit);
    t.schedule = qstr(j, "schedule", t.schedule);
    t.distill = j.value("distill", t.distill);
    t.augment = j.value("augment", t.augment);
    t.device = qstr(j, "device", t.device);
    t.out = qstr(j, "out", t.out);
    t.processes = core::jsonInteger(j, "processes", t.processes);
    return t;
}

template <class T> void putOptional(json& j, const char* key, const std::optional<T>& v)
{
    if (v)
        j[key] = *v;
}

template <class T> void getOptional(const json& j, const char* key, std::optional<T>& v)
{
    if (j.contains(key) && !j.at(key).is_null())
        v = j.at(key).get<T>();
}
} // namespace

namespace {
// The same session as mlpify commands, so it can be reproduced (or scripted) without the window.
json cliCommands(const Project& p)
{
    const auto model = str(p.model), data = str(p.data);
    const auto& t = p.training;
    std::string remove;
    for (int b : t.remove)
        remove += (remove.empty() ? "" : ",") + std::to_string(b);
    const auto slim = str(t.out.isEmpty() ? QString("slimmed.mlpify") : t.out);
    std::string dilute = "mlpify dilute " + model + " --data " + data +
                         (remove.empty() ? " --ratio " + std::to_string(p.ratio) + " --method " + str(p.method)
                                         : " --remove " + remove) +
                         " --epochs " + std::to_string(t.epochs) + " --dilution-epochs " +
                         std::to_string(t.dilutionEpochs) + " --lr " + std::to_string(t.lr) + " --batch " +
                         std::to_string(t.batch) + " --schedule " + str(t.schedule) + " --device " + str(t.device);
    if (t.trainLimit > 0)
        dilute += " --train-limit " + std::to_string(t.trainLimit);
    if (!t.augment)
        dilute += " --no-augment";
    if (t.distill)
        dilute += " --distill";
    if (t.processes > 1)
        dilute = "mlpify launch --nproc " + std::to_string(t.processes) + " -- " + dilute.substr(7) + " --distributed";
    dilute += " --out " + slim;
    const auto images = std::to_string(p.images);
    return {{"analyze", "mlpify analyze " + model + " --data " + data + " --images " + images + " --tokens " +
                            str(p.tokens) + " --out analysis.json"},
            {"select", "mlpify select " + model + " --data " + data + " --images " + images + " --ratio " +
                           std::to_string(p.ratio) + " --method " + str(p.method) + " --out selection.json"},
            {"dilute", dilute},
            {"spectrum", "mlpify spectrum " + model + " --data " + data + " --vs " + slim},
            {"compare", "mlpify eval " + slim + " --data " + data + " && mlpify bench " + model + " --vs " + slim},
            {"figures", "mlpify figures PROJECT --out figures/"}};
}
} // namespace

void saveProject(const Project& p, const QString& path)
{
    json results = json::object();
    putOptional(results, "entropy_profile", p.profile);
    putOptional(results, "entropy_profile_slimmed", p.slimmedProfile);
    putOptional(results, "selection", p.selection);
    putOptional(results, "spectrum", p.spectrum);
    putOptional(results, "spectrum_slimmed", p.slimmedSpectrum);
    auto compare = json::array();
    for (const auto& m : p.compare)
        compare.push_back({{"name", str(m.name)},
                           {"top1", m.top1},
                           {"parameters", m.parameters},
                           {"gflops_per_image", m.gflopsPerImage},
                           {"images_per_s", m.imagesPerSecond},
                           {"run_memory_mib", m.runMemoryMiB}});
    results["compare"] = compare;
    auto steps = json::array(), epochs = json::array();
    for (const auto& s : p.curves.steps)
        steps.push_back({s.step, s.loss, s.lambda, s.imagesPerSecond});
    for (const auto& e : p.curves.epochs)
        epochs.push_back({e.epoch, e.trainTop1, e.testTop1, e.lambda});
    results["training_curves"] = {
        {"total_steps", p.curves.totalSteps},
        {"steps", {{"columns", {"step", "loss", "lambda", "images_per_s"}}, {"rows", steps}}},
        {"epochs", {{"columns", {"epoch", "train_top1", "test_top1", "lambda"}}, {"rows", epochs}}}};
    const json j = {{"kind", "mlpify-project"},
                    {"version", 1},
                    {"model", str(p.model)},
                    {"data", str(p.data)},
                    {"analysis", {{"images", p.images}, {"tokens", str(p.tokens)}, {"ratio", p.ratio}}},
                    {"method", str(p.method)},
                    {"training", trainingJson(p.training)},
                    {"slimmed_model", str(p.slimmedModel)},
                    {"cli", cliCommands(p)},
                    {"results", results}};
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
        p.training = trainingFrom(j.value("training", json::object()));
        p.slimmedModel = qstr(j, "slimmed_model", "");
        const auto r = j.value("results", json::object());
        getOptional(r, "entropy_profile", p.profile);
        getOptional(r, "entropy_profile_slimmed", p.slimmedProfile);
        getOptional(r, "selection", p.selection);
        getOptional(r, "spectrum", p.spectrum);
        getOptional(r, "spectrum_slimmed", p.slimmedSpectrum);
        for (const auto& m : r.value("compare", json::array()))
            p.compare.push_back({QString::fromStdString(m.at("name").get<std::string>()), m.value("top1", -1.0),
                                 m.value("parameters", 0.0), m.value("gflops_per_image", 0.0),
                                 m.value("images_per_s", 0.0), m.value("run_memory_mib", -1.0)});
        const auto c = r.value("training_curves", json::object());
        p.curves.totalSteps = core::jsonInteger(c, "total_steps", int64_t{0});
        if (c.contains("steps"))
            for (const auto& s : c.at("steps").at("rows"))
                p.curves.steps.push_back(
                    {core::jsonInteger(s.at(0)), s.at(1).get<double>(), s.at(2).get<double>(), s.at(3).get<double>()});
        if (c.contains("epochs"))
            for (const auto& e : c.at("epochs").at("rows"))
                p.curves.epochs.push_back(
                    {core::jsonInteger(e.at(0)), e.at(1).get<double>(), e.at(2).get<double>(), e.at(3).get<double>()});
        return p;
    } catch (const core::Error&) {
        throw;
    } catch (const std::exception& e) {
        throw core::Error(str(path), std::string("malformed project: ") + e.what());
    }
}

} // namespace mlpify::app
