#include "app/gui/main_window.h"

#include "app/gui/analysis_worker.h"
#include "app/gui/model_loader.h"
#include "widgets/entropy_chart_view.h"
#include "widgets/heatmap_view.h"
#include "widgets/model_summary_view.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStatusBar>
#include <QTabWidget>
#include <QThread>
#include <QToolBar>

namespace mlpify::app {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent)
{
    setWindowTitle(tr("MLPify"));
    setAcceptDrops(true);
    m_tabs = new QTabWidget(this);
    m_summary = new widgets::ModelSummaryView(m_tabs);
    m_entropy = new widgets::EntropyChartView(m_tabs);
    m_nose = new widgets::HeatmapView(m_tabs);
    m_tabs->addTab(m_summary, tr("&Summary"));
    m_tabs->addTab(m_entropy, tr("&Entropy"));
    m_tabs->addTab(m_nose, tr("&NOSE path"));
    setCentralWidget(m_tabs);
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
    createAnalysisBar();
    createMenus();
    QSettings settings;
    if (!restoreGeometry(settings.value("window/geometry").toByteArray()))
        resize(1100, 640);
}

MainWindow::~MainWindow()
{
    cancelAnalysis();
    if (m_thread) {
        m_thread->quit();
        m_thread->wait();
    }
}

void MainWindow::createAnalysisBar()
{
    auto* bar = addToolBar(tr("Analysis"));
    bar->setObjectName("analysisBar");
    QSettings settings;
    bar->addWidget(new QLabel(tr(" Calibration images "), bar));
    m_images = new QSpinBox(bar);
    m_images->setRange(50, 60000);
    m_images->setSingleStep(250);
    m_images->setValue(settings.value("analysis/images", 1000).toInt());
    bar->addWidget(m_images);
    bar->addWidget(new QLabel(tr("  Tokens "), bar));
    m_tokens = new QComboBox(bar);
    m_tokens->addItems({"cls", "all", "patch"});
    m_tokens->setCurrentText(settings.value("analysis/tokens", "cls").toString());
    bar->addWidget(m_tokens);
    bar->addWidget(new QLabel(tr("  Remove ratio "), bar));
    m_ratio = new QDoubleSpinBox(bar);
    m_ratio->setRange(0.05, 1.0);
    m_ratio->setSingleStep(0.05);
    m_ratio->setValue(settings.value("analysis/ratio", 0.5).toDouble());
    bar->addWidget(m_ratio);
    m_analyze = bar->addAction(tr("&Analyze"), this, &MainWindow::startAnalysis);
    m_analyze->setShortcut(QKeySequence(tr("Ctrl+R")));
    m_analyze->setToolTip(tr("Entropy curves and NOSE selection on the calibration images (Ctrl+R)"));
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1000);
    m_progress->setMaximumWidth(260);
    m_progress->hide();
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setShortcut(QKeySequence(Qt::Key_Escape));
    m_cancel->hide();
    connect(m_cancel, &QPushButton::clicked, this, &MainWindow::cancelAnalysis);
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_cancel);
}

void MainWindow::startAnalysis()
{
    if (!m_model || m_worker)
        return;
    QSettings settings;
    settings.setValue("analysis/images", m_images->value());
    settings.setValue("analysis/tokens", m_tokens->currentText());
    settings.setValue("analysis/ratio", m_ratio->value());
    AnalysisRequest request;
    request.images = m_images->value();
    request.tokens = m_tokens->currentText();
    request.ratio = m_ratio->value();
    m_thread = new QThread(this);
    m_worker = new AnalysisWorker(m_model, request); // no parent: it lives on m_thread
    m_worker->moveToThread(m_thread);
    connect(m_thread, &QThread::started, m_worker, &AnalysisWorker::run);
    connect(m_worker, &AnalysisWorker::progress, this, [this](double f, const QString& message) {
        m_progress->setValue(static_cast<int>(f * 1000));
        statusBar()->showMessage(message);
    });
    connect(m_worker, &AnalysisWorker::profileReady, this, [this](const core::EntropyProfile& p) {
        m_entropy->setProfiles(p);
        m_tabs->setCurrentWidget(m_entropy);
    });
    connect(m_worker, &AnalysisWorker::selectionReady, this, [this](const core::SelectionResult& r) {
        m_nose->setData(widgets::noseHeatmapData(r, QString::fromStdString(r.settings.value("units", ""))));
        m_tabs->setCurrentWidget(m_nose);
    });
    connect(m_worker, &AnalysisWorker::finished, this, [this] { finishAnalysis(true, tr("Analysis finished")); });
    connect(m_worker, &AnalysisWorker::failed, this,
            [this](const QString& message) { finishAnalysis(false, message); });
    connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_thread, &QThread::finished, m_thread, &QObject::deleteLater);
    m_analyze->setEnabled(false);
    m_progress->setValue(0);
    m_progress->show();
    m_cancel->show();
    m_thread->start();
}

void MainWindow::showTab(int index)
{
    m_tabs->setCurrentIndex(index);
}

void MainWindow::cancelAnalysis()
{
    if (m_worker)
        m_worker->cancel(); // an atomic flag: a queued call would wait behind the busy worker
}

void MainWindow::finishAnalysis(bool ok, const QString& message)
{
    // The worker emitted its last signal and is returning from run(): wait for the thread, or
    // the window (its parent) could be destroyed while it still runs.
    m_thread->quit();
    m_thread->wait();
    m_thread = nullptr;
    m_worker = nullptr;
    m_analyze->setEnabled(true);
    m_progress->hide();
    m_cancel->hide();
    statusBar()->showMessage(ok ? message : tr("Analysis stopped"), 5000);
    if (!ok && !message.endsWith("cancelled"))
        QMessageBox::warning(this, tr("Analysis failed"), message);
    Q_EMIT analysisFinished(ok);
}

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

    auto* analysis = menuBar()->addMenu(tr("&Analysis"));
    analysis->addAction(m_analyze);
    analysis->addAction(tr("&Cancel Analysis"), this, &MainWindow::cancelAnalysis);

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
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Open Model"), settings.value("paths/lastModelDir").toString(),
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
