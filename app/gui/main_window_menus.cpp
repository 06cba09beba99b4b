// The window's menus, and the file dialogs and drops behind them: each ends in one of the
// window's own actions (open a model or project, save, export), never in work of its own.
#include "app/gui/main_window.h"

#include "app/figures/project_plots.h"
#include "app/gui/analysis_bar.h"
#include "app/gui/attention_panel.h"
#include "app/gui/recent_menu.h"
#include "app/gui/slim_panel.h"
#include "app/gui/tour.h"
#include "core/io/atomic_file.h"
#include "core/plot/plot_writers.h"
#include "widgets/compare_view.h"
#include "widgets/criteria_view.h"
#include "widgets/entropy_chart_view.h"
#include "widgets/figure_export.h"
#include "widgets/front_view.h"
#include "widgets/heatmap_view.h"
#include "widgets/line_chart_view.h"
#include "widgets/print_figure.h"
#include "widgets/spectrum_view.h"
#include "widgets/training_view.h"

#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>

namespace mlpify::app {

void MainWindow::createMenus()
{
    auto* file = menuBar()->addMenu(tr("&File"));
    auto* open = file->addAction(tr("&Open Model…"), this, &MainWindow::chooseModelFile);
    open->setShortcut(QKeySequence::Open);
    file->addAction(tr("Open &Hugging Face Folder…"), this, [this] {
        QSettings settings;
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open Hugging Face Model Folder"),
                                                              settings.value("paths/lastModelDir").toString());
        if (dir.isEmpty())
            return;
        settings.setValue("paths/lastModelDir", QFileInfo(dir).absolutePath());
        openModel(dir); // config.json, preprocessor_config.json and the weights (core/io/hf_folder.h)
    });
    auto* openDefault = file->addAction(tr("Open &Default Model"), this, [this] { openModel("default"); });
    openDefault->setShortcut(QKeySequence(tr("Ctrl+D")));
    m_recentMenu = new RecentMenu(tr("Open &Recent"), this);
    connect(m_recentMenu, &RecentMenu::chosen, this, &MainWindow::openModel);
    file->addMenu(m_recentMenu);
    file->addAction(tr("Choose Data &Folder…"), m_bar, &AnalysisBar::chooseDataFolder);
    file->addSeparator();
    file->addAction(tr("Open &Project…"), this, &MainWindow::chooseProjectToOpen)
        ->setShortcut(QKeySequence(tr("Ctrl+Shift+O")));
    file->addAction(tr("&Save Project"), this,
                    [this] {
                        if (m_projectPath.isEmpty())
                            chooseProjectToSave();
                        else
                            saveProject(m_projectPath);
                    })
        ->setShortcut(QKeySequence::Save);
    file->addAction(tr("Save Project &As…"), this, &MainWindow::chooseProjectToSave)->setShortcut(QKeySequence::SaveAs);
    file->addSeparator();
    file->addAction(tr("&Export Figure…"), this, &MainWindow::exportCurrentFigure)
        ->setShortcut(QKeySequence(tr("Ctrl+E")));
    file->addAction(tr("Export &Model…"), this,
                    [this] {
                        if (!m_model)
                            return;
                        QString filter;
                        QString path = QFileDialog::getSaveFileName(
                            this, tr("Export Model"), QString(),
                            tr("ONNX (*.onnx);;MLPify (*.mlpify);;timm layout (*.pth);;safetensors (*.safetensors)"),
                            &filter);
                        if (path.isEmpty())
                            return;
                        const QString ext = filter.mid(filter.indexOf("*") + 1).chopped(1);
                        if (!path.endsWith(ext))
                            path += ext;
                        exportModel(path);
                    })
        ->setShortcut(QKeySequence(tr("Ctrl+Shift+M")));
    file->addAction(tr("Export &All Figures…"), this, &MainWindow::exportAllFiguresInteractive)
        ->setShortcut(QKeySequence(tr("Ctrl+Shift+E")));
    file->addSeparator();
    auto* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    auto* analysis = menuBar()->addMenu(tr("&Analysis"));
    analysis->addAction(m_bar->analyzeAction());
    analysis->addAction(tr("&Entropy Curves Only"), this, &MainWindow::startProfile)
        ->setShortcut(QKeySequence(tr("Ctrl+Shift+R")));
    analysis->addAction(tr("&Animate NOSE Path"), this, &MainWindow::animateNosePath)
        ->setShortcut(QKeySequence(tr("Ctrl+Shift+N")));
    analysis->addAction(tr("&Spectrum"), this, &MainWindow::startSpectrum)->setShortcut(QKeySequence(tr("Ctrl+F")));
    analysis->addAction(tr("Co&mpare Models"), this, &MainWindow::startCompare)
        ->setShortcut(QKeySequence(tr("Ctrl+M")));
    analysis->addAction(tr("Compare C&riteria"), this, [this] {
        m_tabs->setCurrentWidget(m_criteria);
        startCriteria(m_criteria->stabilityResamples(), m_criteria->testLimit());
    });
    analysis->addSeparator();
    analysis->addAction(tr("Start &Dilution Training"), this, &MainWindow::startTraining)
        ->setShortcut(QKeySequence(tr("Ctrl+T")));
    analysis->addAction(tr("&Pause / Resume"), this, &MainWindow::togglePause);
    analysis->addAction(tr("&Cancel"), this, &MainWindow::cancelJob);

    auto* view = menuBar()->addMenu(tr("&View"));
    for (int i = 0; i < m_tabs->count(); ++i)
        view->addAction(m_tabs->tabText(i).remove('&'), this, [this, i] { m_tabs->setCurrentIndex(i); })
            ->setShortcut(QKeySequence(QString("Alt+%1").arg(i + 1)));
    view->addSeparator();
    auto* blockOut =
        view->addAction(tr("Show &Block Output Entropy"), this, [this](bool on) { m_entropy->setShowBlockOutput(on); });
    blockOut->setCheckable(true);
    blockOut->setShortcut(QKeySequence(tr("Ctrl+B")));
    m_dark = view->addAction(tr("&Dark Palette"), this, [this](bool on) { setDarkPalette(on); });
    m_dark->setCheckable(true);

    auto* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("Guided &Tour"), this, [this] { m_tour->start(); })->setShortcut(QKeySequence::HelpContents);
    help->addAction(tr("&About MLPify"), this, [this] {
        QMessageBox::about(this, tr("About MLPify"),
                           tr("<b>MLPify</b> — slim vision transformers by diluting the attention of their "
                              "bottom blocks into MLP-only blocks.<br>Method: Lin et al., <i>MLP Can Be A Good "
                              "Transformer Learner</i>, CVPR 2024."));
    });
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

void MainWindow::chooseProjectToOpen()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Open Project"), QString(),
                                                      tr("MLPify projects (*.mlpify-project *.json);;All files (*)"));
    if (!path.isEmpty())
        openProject(path);
}

void MainWindow::chooseProjectToSave()
{
    QString path =
        QFileDialog::getSaveFileName(this, tr("Save Project"), m_projectPath, tr("MLPify projects (*.mlpify-project)"));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += ".mlpify-project";
    saveProject(path);
}

namespace {
// One of core::printSizes() by name; empty when the person cancels.
std::string askPrintSize(QWidget* parent, const QString& title)
{
    QStringList items;
    for (const auto& s : core::printSizes())
        items << QObject::tr("%1 (%2 in, %3 pt)").arg(QString::fromStdString(s.name)).arg(s.widthIn).arg(s.fontPt);
    bool ok = false;
    const QString item = QInputDialog::getItem(parent, title, QObject::tr("Print size:"), items, 0, false, &ok);
    return ok ? core::printSizes().at(static_cast<size_t>(items.indexOf(item))).name : std::string();
}
} // namespace

QStringList MainWindow::currentFigureNames() const
{
    const QWidget* tab = m_tabs->currentWidget();
    if (tab == m_entropy)
        return {"entropy"};
    if (tab == m_nose || tab == m_slim)
        return {"nose-path"};
    if (tab == m_attention)
        return {"attention-distance", "attention-map"};
    if (tab == m_spectrum)
        return {"spectrum"};
    if (tab == m_compare)
        return {"compare"};
    if (tab == m_front)
        return {"front"};
    if (tab == m_criteria)
        return {"criteria", "criteria-te"};
    return {};
}

QString MainWindow::exportCurrentFigureAs(const QString& path, const std::string& size)
{
    syncProjectFromControls();
    const auto plots = projectPlots(m_project);
    for (const auto& name : currentFigureNames())
        for (const auto& plot : plots) {
            if (plot.name != name.toStdString())
                continue;
            try {
                const auto print = core::printSize(size);
                if (QFileInfo(path).suffix().toLower() != "tex")
                    return widgets::writePlot(plot, print, path, 300);
                core::writeBytesAtomically(path.toStdString(), core::pgfplotsDocument(plot, print));
                return {};
            } catch (const std::exception& e) {
                return QString::fromStdString(e.what());
            }
        }
    return tr("The %1 tab has no results to draw yet.").arg(m_tabs->tabText(m_tabs->currentIndex()).remove('&'));
}

void MainWindow::exportCurrentFigure()
{
    if (!currentFigureNames().isEmpty()) { // in print style
        const auto size = askPrintSize(this, tr("Export Figure"));
        if (size.empty())
            return;
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Export Figure"), QString(), tr("PDF (*.pdf);;SVG (*.svg);;PNG (*.png);;pgfplots (*.tex)"));
        if (path.isEmpty())
            return;
        const QString err = exportCurrentFigureAs(path, size);
        if (!err.isEmpty())
            QMessageBox::warning(this, tr("Export failed"), err);
        else
            statusBar()->showMessage(tr("Wrote %1").arg(path), 5000);
        return;
    }
    // The Summary tab, as the window shows it.
    QWidget* current = m_tabs->currentWidget();
    if (current == m_slim)
        current = m_slim->view();
    else if (current == m_spectrum)
        current = m_spectrum->chart();
    else if (current == m_compare)
        current = m_compare->chartView();
    else if (current == m_front)
        current = m_front->chartView();
    widgets::FigureSettings figure;
    if (!widgets::askFigureSettings(this, &figure))
        return;
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Export Figure"), QString(), tr("SVG (*.svg);;PDF (*.pdf);;PNG (*.png)"));
    if (path.isEmpty())
        return;
    const QString err = widgets::exportFigure(*current, path, figure.size, figure.dpi);
    if (!err.isEmpty())
        QMessageBox::warning(this, tr("Export failed"), err);
    else
        statusBar()->showMessage(tr("Wrote %1").arg(path), 5000);
}

void MainWindow::exportAllFiguresInteractive()
{
    const auto size = askPrintSize(this, tr("Export All Figures"));
    if (size.empty())
        return;
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Export All Figures To"));
    if (dir.isEmpty())
        return;
    QString error;
    const auto files = exportAllFigures(dir, &error, size);
    if (!error.isEmpty())
        QMessageBox::warning(this, tr("Export failed"), error);
    statusBar()->showMessage(tr("Wrote %1 files to %2").arg(files.size()).arg(dir), 5000);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (event->mimeData()->hasUrls())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    const auto urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile())
        return;
    const QString path = urls.first().toLocalFile();
    if (path.endsWith(".mlpify-project"))
        openProject(path);
    else
        openModel(path);
}

void MainWindow::connectAttention()
{
    connect(m_attention, &AttentionPanel::statisticsReady, this, [this] {
        m_project.attention = m_attention->statistics();
        m_project.slimmedAttention = m_attention->slimmedStatistics();
    });
    connect(m_attention, &AttentionPanel::mapReady, this, [this] {
        m_project.attentionMap = m_attention->map();
        m_project.attentionImage = m_attention->mapImage();
    });
    connect(m_attention, &AttentionPanel::failed, this,
            [this](const QString& message) { statusBar()->showMessage(tr("Attention: %1").arg(message), 8000); });
}

void MainWindow::showAttentionResults()
{
    if (m_project.selection)
        m_attention->setMarkedBlocks(m_project.selection->selected, tr("NOSE's set"));
    if (m_project.attention)
        m_attention->showStatistics(*m_project.attention,
                                    m_project.slimmedAttention ? &*m_project.slimmedAttention : nullptr);
    if (m_project.attentionMap)
        m_attention->showMap(*m_project.attentionMap, m_project.attentionImage);
}

} // namespace mlpify::app
