// Image folders in a build without OpenCV (a GPU server's headless build): refused by name, with
// what the build lacks.
#include "core/data/dataset.h"
#include "core/error.h"

namespace mlpify::core {

bool imageFoldersAvailable()
{
    return false;
}

Dataset readImageFolder(const std::string& dir, Split, const DataOptions&)
{
    throw Error(dir, "image folders need OpenCV, and this MLPify was built without it (install OpenCV, e.g. "
                     "Debian's libopencv-dev, and configure again); idx:, cifar10: and cifar100: data work");
}

Dataset readImageFile(const std::string& path, int64_t, const DataOptions&)
{
    throw Error(path, "image files need OpenCV, and this MLPify was built without it");
}

} // namespace mlpify::core
