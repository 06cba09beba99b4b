// GoogleTest main for widget tests: one QApplication for the whole run (offscreen platform).
#include "core/analysis/entropy_profile_result.h"
#include "core/analysis/selection_result.h"
#include "core/io/model_io.h"
#include "core/model/model_summary.h"

#include <QApplication>
#include <QSettings>
#include <gtest/gtest.h>

int main(int argc, char** argv)
{
    qputenv("QT_QPA_PLATFORM", qgetenv("QT_QPA_PLATFORM").isEmpty() ? "offscreen" : qgetenv("QT_QPA_PLATFORM"));
    qputenv("XDG_CONFIG_HOME", MLPIFY_TEST_CONFIG_DIR); // never the user's own settings
    if (qgetenv("MLPIFY_CLI").isEmpty())
        qputenv("MLPIFY_CLI", MLPIFY_CLI_PATH); // multi-process runs start this build's mlpify
    QApplication app(argc, argv);
    QApplication::setOrganizationName("MLPify-tests");
    QSettings().setValue("analysis/images", 200); // keep window tests short
    qRegisterMetaType<std::shared_ptr<mlpify::core::ModelBundle>>();
    qRegisterMetaType<mlpify::core::ModelSummary>();
    qRegisterMetaType<mlpify::core::EntropyProfile>();
    qRegisterMetaType<mlpify::core::SelectionResult>();
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
