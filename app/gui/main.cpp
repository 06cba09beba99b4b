// `mlpify-gui [MODEL] [--screenshot FILE]`: opens the workbench on a model (the default if none).
#include "app/gui/main_window.h"
#include "core/io/model_io.h"
#include "core/runtime.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName("MLPify");
    QApplication::setApplicationName("MLPify");
    QApplication::setApplicationVersion("0.1.0");
    qRegisterMetaType<std::shared_ptr<mlpify::core::ModelBundle>>();
    qRegisterMetaType<mlpify::core::ModelSummary>();

    QCommandLineParser parser;
    parser.setApplicationDescription("MLPify workbench");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument("model", "model file or 'default'", "[model]");
    QCommandLineOption shot("screenshot", "save a PNG of the window once the model is shown, then quit", "file");
    QCommandLineOption threads("threads", "compute threads", "n", "0");
    parser.addOption(shot);
    parser.addOption(threads);
    parser.process(app);
    mlpify::core::configureThreads(parser.value(threads).toInt());

    mlpify::app::MainWindow window;
    window.show();
    if (parser.isSet(shot)) {
        const QString file = parser.value(shot);
        QObject::connect(&window, &mlpify::app::MainWindow::modelReady, &window, [&window, file] {
            QTimer::singleShot(300, &window, [&window, file] {
                window.grab().save(file);
                QApplication::quit();
            });
        });
    }
    const QStringList args = parser.positionalArguments();
    window.openModel(args.isEmpty() ? QStringLiteral("default") : args.first());
    return QApplication::exec();
}
