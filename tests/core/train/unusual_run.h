// Dilution runs for tests (shared by the core and the window's tests): one with every field away
// from its default, so a field that a serialised form forgets cannot pass unnoticed, and a short
// real one.
#pragma once

#include "core/train/dilution_run.h"

namespace mlpify::testing {

inline core::DilutionRun unusualRun(int processes = 3)
{
    core::DilutionRun r;
    r.model = "/models/deit small.pth";
    r.data = "folder:/data/it's";
    r.out = "/tmp/out dir/slim.mlpify";
    r.remove = {0, 2, 4};
    r.ratio = 0.3;
    r.method = "entropy";
    r.selectImages = 321;
    r.randomSeed = 7;
    r.epochs = 11;
    r.dilutionEpochs = 4.5;
    r.lr = 1.25e-4;
    r.batch = 48;
    r.warmupEpochs = 0.2;
    r.trainLimit = 6000;
    r.schedule = "cosine";
    r.augment = false;
    r.distill = true;
    r.device = "cpu";
    r.bf16 = true;
    r.seed = 99;
    r.processes = processes;
    r.newHead = true;
    r.inputSize = 448;
    return r;
}

// A short dilution run of blocks 0 and 5 of the default model on trainImages training images, on
// the CPU, writing out.
inline core::DilutionRun shortRun(const std::string& out, int64_t trainImages = 1024)
{
    core::DilutionRun r;
    r.remove = {0, 5};
    r.epochs = 1;
    r.dilutionEpochs = 0.5;
    r.trainLimit = trainImages;
    r.batch = 64;
    r.device = "cpu";
    r.augment = false;
    r.out = out;
    return r;
}

} // namespace mlpify::testing
