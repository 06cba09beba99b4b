#include "app/gui/main_window.h"

#include "app/gui/model_loader.h"
#include "widgets/model_summary_view.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QStatusBar>

namespace mlpify::app {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent)
{
    setWindowTitle(tr("MLPify"));
    setAcceptDrops(true);
    m_summary = new widgets::ModelSummaryView(this);
    setCentralWidget(m_summary);
    m_loader = new ModelLoader(this);
    connect(m_loader, &ModelLoader::loaded, this,
            [this](std::shared_ptr<core::ModelBundle> model, const core::ModelSummary& summary) {
                m_model = std::move(model);
                m_summary->setSummary(summary);
                setWindowTitle(tr("MLPify — %1").arg(QString::fromStdString(summary.name)));
                statusBar()->showMessage(tr("Loaded %1").arg(QString::fromStdString(summary.source)), 5000);
                Q_EMIT modelReady();
            });
    connect(m_loader, &ModelLoader::failed, this, [this](const QString& message) {
        statusBar()->showMessage(tr("Could not open the model"), 5000);
        QMessageBox::warning(this, tr("Could not open the model"), message);
    });
    createMenus();
    QSettings settings;
    if (!restoreGeometry(settings.value("window/geometry").toByteArray()))
        resize(1100, 640);
}

MainWindow::~MainWindow() = default;

void MainWindow::createMenus()
{
    auto* file = menuBar()->addMenu(tr("&File"));
    auto* open = file->addAction(tr("&Open Model…"), this, &MainWindow::chooseModelFile);
    open->setShortcut(QKeySequence::Open);
    auto* openDefault = file->addAction(tr("Open &Default Model"), this, [this] { openModel("default"); });
    openDefault->setShortcut(QKeySequence(tr("Ctrl+D")));
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    rebuildRecentMenu();
    file->addSeparator();
    auto* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    auto* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About MLPify"), this, [this] {
        QMessageBox::about(this, tr("About MLPify"),
                           tr("<b>MLPify</b> — slim vision transformers by diluting the attention of their "
                              "bottom blocks into MLP-only blocks.<br>Method: Lin et al., <i>MLP Can Be A Good "
                              "Transformer Learner</i>, CVPR 2024."));
    });
}

void MainWindow::openModel(const QString& spec)
{
    statusBar()->showMessage(tr("Loading %1…").arg(spec));
    m_summary->clear(tr("Loading %1…").arg(spec));
    if (spec != "default")
        rememberRecent(spec);
    m_loader->load(spec);
}

void MainWindow::chooseModelFile()
{
    QSettings settings;
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open Model"), settings.value("paths/lastModelDir").toString(),
        tr("Models (*.mlpify *.pth *.pt *.safetensors);;All files (*)"));
    if (path.isEmpty())
        return;
    settings.setValue("paths/lastModelDir", QFileInfo(path).absolutePath());
    openModel(path);
}

void MainWindow::rememberRecent(const QString& path)
{
    QSettings settings;
    QStringList recent = settings.value("recentModels").toStringList();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > 8)
        recent.removeLast();
    settings.setValue("recentModels", recent);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList recent = QSettings().value("recentModels").toStringList();
    for (const QString& path : recent)
        m_recentMenu->addAction(QFileInfo(path).fileName(), this, [this, path] { openModel(path); })->setToolTip(path);
    m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (event->mimeData()->hasUrls())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    const auto urls = event->mimeData()->urls();
    if (!urls.isEmpty() && urls.first().isLocalFile())
        openModel(urls.first().toLocalFile());
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    QSettings().setValue("window/geometry", saveGeometry());
    event->accept();
}

} // namespace mlpify::app
