// The workbench's .mlpify-project files, through the GUI's own loadProject.
#include "app/figures/project.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const auto path = mlpify::fuzz::writeInput("session.mlpify-project", data, size);
    mlpify::fuzz::rejectCleanly([&] { mlpify::app::loadProject(QString::fromStdString(path)); });
    return 0;
}
