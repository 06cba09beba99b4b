#include "app/cli/offscreen_qt.h"

#include <iostream>

namespace mlpify::app {

namespace {
// Qt's own warnings (fonts, runtime folders) are not the command's output: errors are one line.
void quietQt(QtMsgType type, const QMessageLogContext&, const QString& message)
{
    if (type == QtFatalMsg)
        std::cerr << "mlpify: " << message.toStdString() << "\n";
}
} // namespace

std::unique_ptr<QApplication> startOffscreenQt()
{
    if (QApplication::instance())
        return nullptr;
    qInstallMessageHandler(quietQt);
    qputenv("QT_QPA_PLATFORM", "offscreen");
    // QApplication keeps references to argc and argv for its whole life.
    static int argc = 1;
    static char name[] = "mlpify";
    static char* argv[] = {name, nullptr};
    return std::make_unique<QApplication>(argc, argv);
}

} // namespace mlpify::app
