// The shipped default model is the project's promise: at least 89% top-1 on Fashion-MNIST's test set.
#include "core/data/dataset.h"
#include "core/io/model_io.h"
#include "core/train/evaluate.h"

#include <gtest/gtest.h>

using namespace mlpify::core;

TEST(DefaultModel, ReachesAtLeast89PercentOnTheFashionMnistTestSet)
{
    auto model = loadModel("default");
    EXPECT_EQ(model.meta.config.name, "micro");
    auto test = loadDataset("fashion-mnist", Split::Test);
    FunctionProgress quiet;
    EvalOptions o;
    o.device = "cpu";
    auto r = evaluate(model, test, o, quiet);
    EXPECT_EQ(r.count, 10000);
    EXPECT_GE(r.top1(), 0.89);
    // The accuracy recorded in the file is the one measured here.
    EXPECT_NEAR(model.meta.metrics.at("test_top1").get<double>(), r.top1(), 1e-9);
}
