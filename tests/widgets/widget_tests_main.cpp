// GoogleTest main for widget tests: one QApplication for the whole run (offscreen platform).
#include "core/io/model_io.h"
#include "core/model/model_summary.h"

#include <QApplication>
#include <gtest/gtest.h>

int main(int argc, char** argv)
{
    qputenv("QT_QPA_PLATFORM", qgetenv("QT_QPA_PLATFORM").isEmpty() ? "offscreen" : qgetenv("QT_QPA_PLATFORM"));
    QApplication app(argc, argv);
    QApplication::setOrganizationName("MLPify-tests");
    qRegisterMetaType<std::shared_ptr<mlpify::core::ModelBundle>>();
    qRegisterMetaType<mlpify::core::ModelSummary>();
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
