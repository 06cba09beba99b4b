#include "core/train/train_state.h"

#include "core/error.h"
#include "core/io/pickle.h"
#include "core/torch_compat.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace mlpify::core {

namespace {

// Format 1: {"mlpify_train_state": "1", "optimizer": {"step": int64,
// "param.I.step": int64, "param.I.exp_avg": T, "param.I.exp_avg_sq": T[, "param.I.max_exp_avg_sq": T]}}
// with I the parameter's index over all groups in order. The learning rate and decay are not
// stored: the trainer sets them from its options at every step.
constexpr const char* kFormatKey = "mlpify_train_state";
constexpr const char* kFormat = "1";
constexpr const char* kFields[] = {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"};

std::vector<torch::Tensor> orderedParams(torch::optim::AdamW& opt)
{
    std::vector<torch::Tensor> out;
    for (auto& g : opt.param_groups())
        for (auto& p : g.params())
            out.push_back(p);
    return out;
}

int64_t scalarInt(const torch::Tensor& t, const std::string& path, const std::string& name)
{
    if (t.numel() != 1 || t.is_floating_point() || t.is_complex() || t.scalar_type() == torch::kBool)
        throw Error(path, "corrupt training state: '" + name + "' is not one integer");
    return t.item<int64_t>();
}

} // namespace

void saveTrainState(torch::optim::AdamW& opt, int64_t step, const std::string& path)
{
    std::vector<std::pair<std::string, torch::Tensor>> tensors{{"step", torch::tensor(step)}};
    const auto params = orderedParams(opt);
    auto& states = opt.state();
    for (size_t i = 0; i < params.size(); ++i) {
        const auto it = states.find(compat::optimizerStateKey(params[i]));
        if (it == states.end()) // no gradient yet: AdamW creates its state at the first step
            continue;
        const auto& s = static_cast<const torch::optim::AdamWParamState&>(*it->second);
        const std::string at = "param." + std::to_string(i) + ".";
        tensors.emplace_back(at + "step", torch::tensor(s.step()));
        tensors.emplace_back(at + "exp_avg", s.exp_avg());
        tensors.emplace_back(at + "exp_avg_sq", s.exp_avg_sq());
        if (s.max_exp_avg_sq().defined())
            tensors.emplace_back(at + "max_exp_avg_sq", s.max_exp_avg_sq());
    }
    saveTorchFile(path, tensors, {{kFormatKey, kFormat}}, "optimizer");
}

int64_t readTrainState(const std::string& path, torch::optim::AdamW& opt, int64_t want)
{
    const auto top = loadTorchFile(path);
    const PyPtr* format = top->find(kFormatKey);
    if (!format || (*format)->kind != PyValue::Kind::Str)
        throw Error(path, "not an MLPify training state (no '" + std::string(kFormatKey) +
                              "' entry; states written by MLPify before format 1 cannot be resumed)");
    if ((*format)->s != kFormat)
        throw Error(path, "training state format '" + (*format)->s.substr(0, 40) + "' is not " + kFormat +
                              " (written by a newer MLPify?)");
    const PyPtr* dict = top->find("optimizer");
    if (!dict || (*dict)->kind != PyValue::Kind::Dict)
        throw Error(path, "corrupt training state: no 'optimizer' dict");

    const auto params = orderedParams(opt);
    // entries[i][f]: parameter i's field f (kFields order)
    std::vector<std::array<torch::Tensor, 4>> entries(params.size());
    torch::Tensor step;
    for (const auto& [k, v] : (*dict)->dict) {
        if (k->kind != PyValue::Kind::Str || v->kind != PyValue::Kind::Tensor)
            throw Error(path, "corrupt training state: an entry is not name -> tensor");
        const std::string& name = k->s;
        if (name == "step") {
            step = v->tensor;
            continue;
        }
        size_t index = 0;
        std::string field;
        if (name.rfind("param.", 0) == 0) {
            const char *first = name.data() + 6, *last = name.data() + name.size();
            const auto [end, ec] = std::from_chars(first, last, index);
            if (ec == std::errc() && end != last && *end == '.')
                field.assign(end + 1, last);
        }
        const auto f = std::find(std::begin(kFields), std::end(kFields), field) - std::begin(kFields);
        if (f == 4)
            throw Error(path, "corrupt training state: unknown entry '" + name.substr(0, 80) + "'");
        if (index >= params.size())
            throw Error(path, "training state has moments for parameter " + std::to_string(index) +
                                  " but the model has " + std::to_string(params.size()) + " parameters");
        entries[index][f] = v->tensor;
    }
    if (!step.defined())
        throw Error(path, "corrupt training state: no 'step'");
    const int64_t fileStep = scalarInt(step, path, "step");
    if (fileStep != want)
        return fileStep;

    // Check everything before touching opt, so a bad file leaves the optimizer as it was.
    std::vector<
        std::pair<decltype(compat::optimizerStateKey(params[0])), std::unique_ptr<torch::optim::AdamWParamState>>>
        loaded;
    for (size_t i = 0; i < params.size(); ++i) {
        const auto& e = entries[i];
        const std::string at = "param." + std::to_string(i) + ".";
        if (!e[0].defined() && !e[1].defined() && !e[2].defined() && !e[3].defined())
            continue;
        if (!e[0].defined() || !e[1].defined() || !e[2].defined())
            throw Error(path, "corrupt training state: parameter " + std::to_string(i) +
                                  " lacks its step or one of its moments");
        auto s = std::make_unique<torch::optim::AdamWParamState>();
        const int64_t n = scalarInt(e[0], path, at + "step");
        if (n < 0)
            throw Error(path, "corrupt training state: '" + at + "step' is negative");
        s->step(n);
        for (int f = 1; f < 4; ++f) {
            if (!e[f].defined())
                continue;
            if (!e[f].is_floating_point() || e[f].sizes() != params[i].sizes())
                throw Error(path, "training state's '" + at + kFields[f] + "' does not fit parameter " +
                                      std::to_string(i) + " of shape " + c10::str(params[i].sizes()));
            if (f != 1 && !(e[f].ge(0).all().item<bool>()))
                throw Error(path, "corrupt training state: '" + at + kFields[f] + "' has negative or NaN values");
            const auto t = e[f].to(params[i].device(), params[i].scalar_type()).clone();
            f == 1 ? s->exp_avg(t) : f == 2 ? s->exp_avg_sq(t) : s->max_exp_avg_sq(t);
        }
        loaded.emplace_back(compat::optimizerStateKey(params[i]), std::move(s));
    }
    auto& states = opt.state();
    states.clear();
    for (auto& [key, s] : loaded)
        states[key] = std::move(s);
    return fileStep;
}

} // namespace mlpify::core
