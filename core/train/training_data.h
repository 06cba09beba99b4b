// The model fitted to its training data before the first step, for every face's `train` and
// dilution run: input size, data at the model's size, channel and class checks, a new head.
#pragma once

#include "core/data/dataset.h"
#include "core/model/model_bundle.h"
#include "core/progress.h"

#include <string>

namespace mlpify::core {

struct DataFit {
    std::string data;      // data spec (data/dataset.h)
    int64_t inputSize = 0; // > 0: train at this input size (model/adapt.h, setInputSize)
    bool newHead = false;  // a new classifier for the data's classes
    bool resume = false;   // the model is a checkpoint of this run, already fitted
};

struct TrainingData {
    Dataset train, test;
};

// A fresh run's input size; the data at the model's size (a resize is reported as a notice); the
// channel check; and, for a fresh run without a new head, the class check, so a head without the
// data's classes is refused before any work.
TrainingData prepareTrainingData(ModelBundle& model, const DataFit& fit, Progress& progress);

// After any layer selection (which reads the pretrained head's logits): a fresh run's new head
// (reported as a notice) and the data's class names.
void fitHead(ModelBundle& model, const DataFit& fit, const Dataset& train, Progress& progress);

} // namespace mlpify::core
