#include "core/train/training_log.h"

namespace mlpify::core {

void TrainingCurves::add(const StepStats& s)
{
    totalSteps = s.totalSteps;
    steps.push_back(s);
}

void TrainingCurves::add(const EpochStats& e)
{
    epochs.push_back(e);
}

nlohmann::json logLine(const StepStats& s, bool withComm)
{
    nlohmann::json j{
        {"step", s.step},     {"total_steps", s.totalSteps},      {"epoch", s.epoch}, {"loss", s.loss}, {"lr", s.lr},
        {"lambda", s.lambda}, {"images_per_s", s.imagesPerSecond}};
    if (withComm)
        j["comm_s"] = s.commSeconds;
    return j;
}

nlohmann::json logLine(const EpochStats& e)
{
    return {{"epoch_end", e.epoch},    {"train_loss", e.trainLoss}, {"train_top1", e.trainTop1},
            {"test_top1", e.testTop1}, {"lambda", e.lambda},        {"lr", e.lr},
            {"seconds", e.seconds}};
}

namespace {
template <class T> T number(const nlohmann::json& j, const char* key, T fallback)
{
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number())
        return fallback;
    return it->get<T>();
}
} // namespace

LogLineKind readLogLine(const std::string& line, TrainingCurves& curves, StepStats* step, EpochStats* epoch)
{
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return LogLineKind::None;
    if (j.contains("step")) {
        StepStats s;
        s.step = number<int64_t>(j, "step", 0);
        s.totalSteps = number<int64_t>(j, "total_steps", curves.totalSteps);
        s.epoch = number<int64_t>(j, "epoch", 0);
        s.loss = number(j, "loss", 0.0);
        s.lr = number(j, "lr", 0.0);
        s.lambda = number(j, "lambda", 1.0);
        s.imagesPerSecond = number(j, "images_per_s", 0.0);
        s.commSeconds = number(j, "comm_s", 0.0);
        curves.add(s);
        if (step)
            *step = s;
        return LogLineKind::Step;
    }
    if (j.contains("epoch_end")) {
        EpochStats e;
        e.epoch = number<int64_t>(j, "epoch_end", 0);
        e.trainLoss = number(j, "train_loss", 0.0);
        e.trainTop1 = number(j, "train_top1", 0.0);
        e.testTop1 = number(j, "test_top1", -1.0);
        e.lambda = number(j, "lambda", 1.0);
        e.lr = number(j, "lr", 0.0);
        e.seconds = number(j, "seconds", 0.0);
        curves.add(e);
        if (epoch)
            *epoch = e;
        return LogLineKind::Epoch;
    }
    return LogLineKind::None;
}

} // namespace mlpify::core
