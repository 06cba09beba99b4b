#include "core/train/dilution_run.h"

#include "core/json_file.h"
#include "core/model/block_mode.h"

#include <cmath>
#include <sstream>
#include <string>
#include <tuple>

namespace mlpify::core {

namespace {
auto fields(const DilutionRun& r)
{
    return std::tie(r.model, r.data, r.out, r.remove, r.removeMlp, r.ratio, r.method, r.selectImages, r.randomSeed,
                    r.epochs, r.dilutionEpochs, r.lr, r.batch, r.warmupEpochs, r.trainLimit, r.schedule, r.augment,
                    r.distill, r.device, r.bf16, r.seed, r.processes, r.newHead, r.inputSize);
}

// Shortest text that reads back as the same double.
std::string number(double v)
{
    std::string text;
    for (int digits = 15; digits <= 17; ++digits) {
        std::ostringstream s;
        s.precision(digits);
        s << v;
        text = s.str();
        if (std::stod(text) == v)
            break;
    }
    return text;
}

std::string quoted(const std::string& word)
{
    if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                                "_-+=.,:/@%") == std::string::npos)
        return word;
    std::string out = "'";
    for (char c : word)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}
} // namespace

const std::vector<std::string>& lambdaScheduleNames()
{
    static const std::vector<std::string> names{"linear", "cosine"};
    return names;
}

std::string defaultDilutionEpochsText()
{
    return std::to_string(static_cast<int>(std::lround(100 * kDefaultDilutionShare))) + "% of the epochs";
}

bool DilutionRun::operator==(const DilutionRun& o) const
{
    return fields(*this) == fields(o);
}

std::vector<std::string> toArgs(const DilutionRun& r)
{
    std::vector<std::string> a{"dilute", r.model, "--data", r.data};
    if (!r.remove.empty()) {
        a.insert(a.end(), {"--remove", blockList(r.remove)}); // a listed run has no ratio
    } else if (r.ratio > 0 || r.removeMlp.empty()) {
        a.insert(a.end(), {"--ratio", number(r.ratio)});
    }
    if (!r.removeMlp.empty())
        a.insert(a.end(), {"--remove-mlp", blockList(r.removeMlp)});
    a.insert(a.end(), {"--method", r.method, "--select-images", std::to_string(r.selectImages), "--random-seed",
                       std::to_string(r.randomSeed)});
    a.insert(a.end(), {"--epochs", std::to_string(r.epochs), "--lr", number(r.lr), "--batch", std::to_string(r.batch),
                       "--warmup-epochs", number(r.warmupEpochs), "--train-limit", std::to_string(r.trainLimit),
                       "--schedule", r.schedule, "--device", r.device, "--seed", std::to_string(r.seed)});
    if (r.dilutionEpochs >= 0) // otherwise the CLI's default, the same kDefaultDilutionShare
        a.insert(a.end(), {"--dilution-epochs", number(r.dilutionEpochs)});
    if (!r.augment)
        a.emplace_back("--no-augment");
    if (r.distill)
        a.emplace_back("--distill");
    if (r.bf16)
        a.emplace_back("--bf16");
    if (r.newHead)
        a.emplace_back("--new-head");
    if (r.inputSize > 0)
        a.insert(a.end(), {"--input-size", std::to_string(r.inputSize)});
    if (!r.out.empty())
        a.insert(a.end(), {"--out", r.out});
    return a;
}

std::string commandLine(const DilutionRun& r)
{
    std::string line = "mlpify";
    if (r.processes > 1)
        line += " launch --nproc " + std::to_string(r.processes) + " --";
    for (const auto& w : toArgs(r))
        line += " " + quoted(w);
    if (r.processes > 1)
        line += " --distributed";
    return line;
}

void to_json(nlohmann::json& j, const DilutionRun& r)
{
    j = {{"model", r.model},
         {"data", r.data},
         {"out", r.out},
         {"remove", r.remove},
         {"ratio", r.ratio},
         {"method", r.method},
         {"select_images", r.selectImages},
         {"random_seed", r.randomSeed},
         {"epochs", r.epochs},
         {"dilution_epochs", r.dilutionEpochs},
         {"lr", r.lr},
         {"batch", r.batch},
         {"warmup_epochs", r.warmupEpochs},
         {"train_limit", r.trainLimit},
         {"schedule", r.schedule},
         {"augment", r.augment},
         {"distill", r.distill},
         {"device", r.device},
         {"bf16", r.bf16},
         {"seed", r.seed},
         {"processes", r.processes},
         {"new_head", r.newHead},
         {"input_size", r.inputSize}};
    if (!r.removeMlp.empty()) // runs without MLP units read and write as before
        j["remove_mlp"] = r.removeMlp;
}

void from_json(const nlohmann::json& j, DilutionRun& r)
{
    r = DilutionRun{};
    r.model = j.value("model", r.model);
    r.data = j.value("data", r.data);
    r.out = j.value("out", r.out);
    if (j.contains("remove"))
        r.remove = jsonIntegers(j.at("remove"));
    if (j.contains("remove_mlp"))
        r.removeMlp = jsonIntegers(j.at("remove_mlp"));
    r.ratio = j.value("ratio", r.ratio);
    r.method = j.value("method", r.method);
    r.selectImages = jsonInteger(j, "select_images", r.selectImages);
    r.randomSeed = jsonInteger(j, "random_seed", r.randomSeed);
    r.epochs = jsonInteger(j, "epochs", r.epochs);
    r.dilutionEpochs = j.value("dilution_epochs", r.dilutionEpochs);
    r.lr = j.value("lr", r.lr);
    r.batch = jsonInteger(j, "batch", r.batch);
    r.warmupEpochs = j.value("warmup_epochs", r.warmupEpochs);
    r.trainLimit = jsonInteger(j, "train_limit", r.trainLimit);
    r.schedule = j.value("schedule", r.schedule);
    r.augment = j.value("augment", r.augment);
    r.distill = j.value("distill", r.distill);
    r.device = j.value("device", r.device);
    r.bf16 = j.value("bf16", r.bf16);
    r.seed = jsonInteger(j, "seed", r.seed);
    r.processes = jsonInteger(j, "processes", r.processes);
    r.newHead = j.value("new_head", r.newHead);
    r.inputSize = jsonInteger(j, "input_size", r.inputSize);
}

} // namespace mlpify::core
