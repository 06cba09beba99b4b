#include "app/gui/main_window.h"

#include "app/figures/figure_set.h"
#include "app/gui/analysis_bar.h"
#include "app/gui/analysis_jobs.h"
#include "app/gui/attention_panel.h"
#include "app/gui/background_job.h"
#include "app/gui/model_loader.h"
#include "app/gui/recent_menu.h"
#include "app/gui/slim_panel.h"
#include "app/gui/tour.h"
#include "app/gui/training_runner.h"
#include "app/gui/what_if_runner.h"
#include "core/analysis/selection.h"
#include "core/analysis/unit_selection.h"
#include "core/bench/flops.h"
#include "core/bench/front.h"
#include "core/io/atomic_file.h"
#include "core/io/hf_folder.h"
#include "core/io/model_io.h"
#include "widgets/chart_theme.h"
#include "widgets/compare_view.h"
#include "widgets/criteria_view.h"
#include "widgets/entropy_chart_view.h"
#include "widgets/figure_export.h"
#include "widgets/front_view.h"
#include "widgets/heatmap_view.h"
#include "widgets/line_chart_view.h"
#include "widgets/model_summary_view.h"
#include "widgets/spectrum_view.h"
#include "widgets/training_view.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QToolBar>

namespace mlpify::app {

namespace {
std::vector<int64_t> toIndices(const QVector<int>& blocks)
{
    return {blocks.begin(), blocks.end()};
}

// The Slim tab's chosen units as what-if codes: attention layers, then depth + b for block b's MLP.
std::vector<int64_t> unitCodes(const SlimPanel& slim, int64_t depth)
{
    auto codes = toIndices(slim.selected());
    for (int b : slim.selectedMlp())
        codes.push_back(core::mlpUnit(b, depth));
    return codes;
}

// A selection over units as the NOSE tab's map: a row per step, a column per candidate (a2 = the
// attention of block 2, m4 = the MLP of block 4, b6 = block 6), the chosen unit framed.
widgets::HeatmapData unitFigureData(const core::UnitSelection& r)
{
    widgets::HeatmapData d;
    d.values = r.values;
    for (size_t k = 0; k < r.values.size(); ++k) {
        d.rowLabels << QString::number(k + 1);
        d.highlighted.insert({static_cast<int>(k), static_cast<int>(r.chosen[k])});
    }
    const char prefix[] = {'a', 'm', 'b'};
    for (const auto& u : r.candidates)
        d.columnLabels << QString(prefix[static_cast<int>(u.kind)]) + QString::number(u.block);
    const auto method = QString::fromStdString(core::toString(r.method));
    const bool nose = r.method == core::UnitMethod::Nose;
    d.title = MainWindow::tr("%1 over %2 units: each candidate's value at each step (chosen: framed; lowest first)")
                  .arg(nose ? "NOSE" : method, QString::fromStdString(toString(r.pool)));
    d.rowTitle = MainWindow::tr("step");
    d.columnTitle = MainWindow::tr("unit (a: attention, m: MLP, b: block)");
    d.valueTitle = nose ? QString::fromStdString(r.settings.value("units", std::string("bits")))
                   : r.settings.contains("units") ? "nats"
                                                  : method;
    d.scaleKind = nose ? widgets::ColourScale::Kind::Diverging : widgets::ColourScale::Kind::Sequential;
    return d;
}

// The Slim tab's method as a method over units; none for the baselines that rank attention only.
std::optional<core::UnitMethod> unitMethodFor(const QString& method)
{
    const auto m = method.toStdString();
    if (m == "nose")
        return core::UnitMethod::Nose;
    if (m == "block-influence" || m == "attention-cosine")
        return core::UnitMethod::Influence;
    if (m == "angular")
        return core::UnitMethod::Angular;
    if (m == "greedy-loss")
        return core::UnitMethod::GreedyLoss;
    if (m == "greedy-kl")
        return core::UnitMethod::GreedyKl;
    return std::nullopt;
}
} // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent)
{
    setWindowTitle(tr("MLPify"));
    setAcceptDrops(true);
    m_tabs = new QTabWidget(this);
    m_summary = new widgets::ModelSummaryView(m_tabs);
    m_entropy = new widgets::EntropyChartView(m_tabs);
    m_nose = new widgets::HeatmapView(m_tabs);
    m_attention = new AttentionPanel(m_tabs);
    m_slim = new SlimPanel(m_tabs);
    m_spectrum = new widgets::SpectrumView(m_tabs);
    m_compare = new widgets::CompareView(m_tabs);
    m_front = new widgets::FrontView(m_tabs);
    m_criteria = new widgets::CriteriaView(m_tabs);
    m_tabs->addTab(m_summary, tr("&Summary"));
    m_tabs->addTab(m_entropy, tr("&Entropy"));
    m_tabs->addTab(m_nose, tr("&NOSE path"));
    m_tabs->addTab(m_attention, tr("A&ttention"));
    m_tabs->addTab(m_slim, tr("S&lim"));
    m_tabs->addTab(m_spectrum, tr("Spect&rum"));
    m_tabs->addTab(m_compare, tr("C&ompare"));
    m_tabs->addTab(m_front, tr("&Front"));
    m_tabs->addTab(m_criteria, tr("C&riteria"));
    setCentralWidget(m_tabs);
    m_job = new BackgroundJob(this);
    m_training = new TrainingRunner(this);
    connectTraining();
    m_loader = new ModelLoader(this);
    m_whatIf = new WhatIfRunner(this);
    connect(m_whatIf, &WhatIfRunner::resultReady, this, [this] {
        if (m_whatIf->last() && m_modelSummary &&
            m_whatIf->last()->removed == unitCodes(*m_slim, m_modelSummary->config.depth))
            m_slim->setWhatIf(*m_whatIf->last());
    });
    connect(m_whatIf, &WhatIfRunner::failed, this,
            [this](const QString& message) { m_slim->setWhatIfText(tr("What-if: %1").arg(message)); });
    connect(m_loader, &ModelLoader::loaded, this,
            [this](std::shared_ptr<core::ModelBundle> model, const core::ModelSummary& summary) {
                m_model = std::move(model);
                m_modelSummary = summary;
                m_summary->setSummary(summary);
                QVector<bool> attention, mlp;
                for (const auto& b : summary.blocks) {
                    attention.push_back(b.mode.hasAttention());
                    mlp.push_back(b.mode.hasMlp());
                }
                m_slim->setBlocks(attention, mlp);
                m_slim->setSelected(QVector<int>(m_project.training.remove.begin(), m_project.training.remove.end()));
                m_slim->setSelectedMlp(
                    QVector<int>(m_project.training.removeMlp.begin(), m_project.training.removeMlp.end()));
                setWindowTitle(tr("MLPify — %1").arg(QString::fromStdString(summary.name)));
                statusBar()->showMessage(tr("Loaded %1").arg(QString::fromStdString(summary.source)), 5000);
                m_whatIf->setSource(m_project.model, m_project.data, m_project.images);
                std::vector<int64_t> mlpOnly;
                for (const auto& b : summary.blocks)
                    if (!b.mode.hasAttention())
                        mlpOnly.push_back(b.index);
                m_attention->setSource(m_project.model, static_cast<int>(summary.config.depth),
                                       static_cast<int>(summary.config.numHeads), mlpOnly, m_project.data);
                m_attention->setSlimmedModel(m_project.slimmedModel);
                showAttentionResults(); // the project's, after the tab's reset
                updateSavings();
                Q_EMIT modelReady();
            });
    connect(m_loader, &ModelLoader::failed, this, [this](const QString& message) {
        statusBar()->showMessage(tr("Could not open the model"), 5000);
        warnAsync(tr("Could not open the model"), message);
    });
    connect(m_front, &widgets::FrontView::measureRequested, this, &MainWindow::startFront);
    connect(m_criteria, &widgets::CriteriaView::compareRequested, this, &MainWindow::startCriteria);
    connect(m_front, &widgets::FrontView::pointChosen, this, [this](int i) { m_project.frontChosen = i; });
    connect(m_front, &widgets::FrontView::exportRequested, this, [this](int i) {
        QString path =
            QFileDialog::getSaveFileName(this, tr("Export Chosen Model"), QString(), tr("MLPify models (*.mlpify)"));
        if (!path.isEmpty())
            exportFrontModel(i, QFileInfo(path).suffix().isEmpty() ? path + ".mlpify" : path);
    });
    connect(m_slim, &SlimPanel::selectionChanged, this, &MainWindow::updateSavings);
    connect(m_slim, &SlimPanel::applyMethodRequested, this, &MainWindow::applyMethod);
    connect(m_slim, &SlimPanel::startRequested, this, &MainWindow::startTraining);
    connect(m_slim, &SlimPanel::pauseToggled, this, &MainWindow::togglePause);
    connect(m_slim, &SlimPanel::cancelRequested, this, &MainWindow::cancelJob);
    createAnalysisBar();
    createMenus();
    connectAttention();
    m_tour = new Tour(this);
    QSettings settings;
    if (!restoreGeometry(settings.value("window/geometry").toByteArray()))
        resize(1200, 720);
    auto request = m_slim->request();
    request.out = defaultOutputPath().toStdString();
    m_slim->setRequest(request);
    setDarkPalette(settings.value("view/dark", false).toBool());
}

MainWindow::~MainWindow()
{
    // The work's callbacks and the ranks' signals use this window's members: both end first.
    m_job->stop();
    m_training->disconnect(this);
    m_training->stop();
}

void MainWindow::connectTraining()
{
    connect(m_training, &TrainingRunner::progress, this, [this](double f, const QString& message) {
        m_progress->setValue(static_cast<int>(f * 1000));
        statusBar()->showMessage(tr("Dilution training: %1").arg(message));
    });
    connect(m_training, &TrainingRunner::step, this, [this](const core::StepStats& s) {
        m_project.curves.add(s);
        m_slim->view()->addStep(s.step, s.totalSteps, s.loss, s.lambda, s.imagesPerSecond);
    });
    connect(m_training, &TrainingRunner::epoch, this, [this](const core::EpochStats& e) {
        m_project.curves.add(e);
        m_slim->view()->addEpoch(e.epoch, e.trainTop1, e.testTop1, e.lambda);
    });
    connect(m_training, &TrainingRunner::pauseChanged, this, [this](bool paused, const QString& message) {
        m_slim->setRunning(true, paused);
        m_slim->view()->setStatus(message);
    });
    connect(m_training, &TrainingRunner::notice, m_slim->view(), &widgets::TrainingView::setStatus);
    connect(m_training, &TrainingRunner::finished, this, [this](bool ok, bool failed, const QString& message) {
        showBusy(false);
        statusBar()->showMessage(ok ? tr("Dilution training finished") : tr("Dilution training stopped"), 5000);
        if (failed)
            warnAsync(tr("Dilution training failed"), message);
        finishTraining(ok, message, m_trainingOut);
    });
}

void MainWindow::warnAsync(const QString& title, const QString& text)
{
    // Results of background work arrive while anything may be running, tests included: the box
    // must not start a nested event loop, so it is opened, not exec'ed. The text also goes to
    // stderr, where logs keep it.
    qWarning("%s: %s", qPrintable(title), qPrintable(text));
    auto* box = new QMessageBox(QMessageBox::Warning, title, text, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

QString MainWindow::defaultOutputPath() const
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    return QDir(dir.isEmpty() ? QDir::homePath() : dir).filePath("mlpify/slimmed.mlpify");
}

void MainWindow::createAnalysisBar()
{
    m_bar = new AnalysisBar(this);
    addToolBar(m_bar);
    connect(m_bar, &AnalysisBar::analyzeRequested, this, &MainWindow::startAnalysis);
    QSettings settings;
    m_slim->setRatio(settings.value("analysis/ratio", 0.5).toDouble());
    // New calibration size or token set: the curves no longer match; recompute them (seconds).
    auto recompute = [this] { // the latest request wins over a running analysis
        if (!m_project.profile || m_training->running())
            return;
        if (m_job->running() && m_jobKind == JobKind::Analysis)
            startAnalysis(); // the curves and the NOSE path both change
        else
            startProfile();
    };
    connect(m_bar, &AnalysisBar::calibrationChanged, this, recompute);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1000);
    m_progress->setMaximumWidth(260);
    m_progress->hide();
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setShortcut(QKeySequence(Qt::Key_Escape));
    m_cancel->hide();
    connect(m_cancel, &QPushButton::clicked, this, &MainWindow::cancelJob);
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_cancel);
    connect(m_job, &BackgroundJob::progress, this, [this](double f, const QString& message) {
        m_progress->setValue(static_cast<int>(f * 1000));
        statusBar()->showMessage(m_job->title() + ": " + message);
    });
}

void MainWindow::syncProjectFromControls()
{
    m_project.data = m_bar->data();
    m_project.images = m_bar->images();
    m_project.tokens = m_bar->tokens();
    m_project.ratio = m_slim->ratio();
    m_project.method = m_slim->method();
    m_project.training = m_slim->request();
    m_bar->remember();
    QSettings().setValue("analysis/ratio", m_project.ratio);
}

bool MainWindow::startJob(const QString& title, const std::function<void(bool, const QString&)>& onDone,
                          std::function<void(core::Progress&, const core::CancelToken&)> work, JobKind kind)
{
    if (m_training->running()) {
        statusBar()->showMessage(tr("Busy: dilution training is running (cancel it first)"), 5000);
        return false;
    }
    m_jobKind = kind;
    // The latest request wins: a running analysis job is cancelled and its results dropped.
    m_job->start(title, std::move(work), [this, onDone, title](JobEnd end, const QString& message) {
        const bool ok = end == JobEnd::Done;
        if (!m_job->waiting()) { // no newer request about to start
            showBusy(false);
            statusBar()->showMessage(ok ? tr("%1 finished").arg(title) : tr("%1 stopped").arg(title), 5000);
        }
        if (end == JobEnd::Failed)
            warnAsync(tr("%1 failed").arg(title), message);
        onDone(ok, message);
    });
    showBusy(true);
    return true;
}

void MainWindow::showBusy(bool busy)
{
    m_bar->analyzeAction()->setEnabled(!busy);
    m_progress->setValue(0);
    m_progress->setVisible(busy);
    m_cancel->setVisible(busy);
}

bool MainWindow::jobRunning() const
{
    return m_job->running() || m_training->running() || m_attention->busy();
}

bool MainWindow::jobPaused() const
{
    return m_training->paused();
}

void MainWindow::startAnalysis()
{
    runAnalysis(true);
}

void MainWindow::startProfile()
{
    runAnalysis(false);
}

void MainWindow::runAnalysis(bool nosePath)
{
    if (!m_model)
        return;
    syncProjectFromControls();
    auto model = m_model;
    const auto p = m_project;
    startJob(
        nosePath ? tr("Analysis") : tr("Entropy curves"),
        [this](bool ok, const QString&) { Q_EMIT analysisFinished(ok); },
        [this, model, p, nosePath](core::Progress& progress, const core::CancelToken& cancel) {
            auto calib = core::loadCalibrationSet(p.data.toStdString(), model->meta.config, analysisCalibration(p));
            core::ProgressSpan curves(progress, 0.0, nosePath ? 0.2 : 1.0);
            showProfile(entropyCurves(*model, calib, p, curves, cancel));
            if (!nosePath)
                return;
            core::ProgressSpan path(progress, 0.2, 1.0);
            auto selection = noseSelection(*model, calib, p, path, cancel);
            m_job->post([this, selection] {
                m_project.selection = selection;
                m_nose->setData(noseFigureData(m_project));
                m_attention->setMarkedBlocks(selection.selected, tr("NOSE's set"));
                if (m_slim->method() == "nose")
                    m_slim->setSelected(QVector<int>(selection.selected.begin(), selection.selected.end()));
                m_tabs->setCurrentWidget(m_nose);
            });
        },
        nosePath ? JobKind::Analysis : JobKind::Other);
}

void MainWindow::showProfile(const core::EntropyProfile& profile)
{
    m_job->post([this, profile] {
        m_project.profile = profile;
        m_entropy->setProfiles(profile, m_project.slimmedProfile ? &*m_project.slimmedProfile : nullptr);
        m_tabs->setCurrentWidget(m_entropy);
    });
}

void MainWindow::animateNosePath()
{
    if (!m_project.selection || m_project.selection->candidates.empty())
        return;
    m_tabs->setCurrentWidget(m_nose);
    m_nose->animateSteps();
}

void MainWindow::applyMethod(const QString& method, double ratio)
{
    if (!m_model)
        return;
    syncProjectFromControls();
    auto run = dilutionRun(m_project);
    run.method = method.toStdString();
    run.ratio = ratio;
    if (m_slim->pool() != "attention" || m_slim->budget() != "units") {
        chooseUnits(method, ratio);
        return;
    }
    if (method == "nose") { // the analysis's NOSE path is the selection `dilute` makes for this run
        const auto count = core::selectionFor(run, *m_model).count;
        if (m_project.selection && static_cast<int64_t>(m_project.selection->selected.size()) == count) {
            const auto& chosen = m_project.selection->selected;
            m_slim->setSelected(QVector<int>(chosen.begin(), chosen.end()));
            Q_EMIT layersChosen(true);
            return;
        }
        m_slim->setRatio(ratio);
        statusBar()->showMessage(tr("Running the analysis for NOSE at ratio %1…").arg(ratio), 5000);
        startAnalysis(); // selects the NOSE set when it finishes
        return;
    }
    // Every other method chooses exactly as `dilute` does for this run: the same calibration
    // images, seed and token set (not the analysis bar's), on the worker.
    auto model = m_model;
    startJob(
        tr("Choosing layers"), [this](bool ok, const QString&) { Q_EMIT layersChosen(ok); },
        [this, model, run](core::Progress& progress, const core::CancelToken& cancel) {
            const auto chosen = core::chooseLayers(*model, run, progress, &cancel).selected;
            m_job->post([this, chosen] { m_slim->setSelected(QVector<int>(chosen.begin(), chosen.end())); });
        });
}

// Accept over a pool of units or under a parameter or FLOP budget: the method over the pool
// (core/analysis/unit_selection.h) on the analysis's calibration images, on the worker; the chosen
// units become the toggles and their step values the NOSE tab's map.
void MainWindow::chooseUnits(const QString& method, double ratio)
{
    const auto unitMethod = unitMethodFor(method);
    if (!unitMethod) {
        QMessageBox::information(this, tr("Units"),
                                 tr("%1 ranks attention layers only. Over a pool of units or a parameter or FLOP "
                                    "budget, choose NOSE, block influence, attention cosine, angular distance or a "
                                    "greedy loss.")
                                     .arg(m_slim->findChild<QComboBox*>("method")->currentText()));
        return;
    }
    auto model = m_model;
    const auto pool = core::unitPoolFromString(m_slim->pool().toStdString());
    const auto budgetKind = m_slim->budget();
    const auto p = m_project;
    startJob(
        tr("Choosing units"), [this](bool ok, const QString&) { Q_EMIT layersChosen(ok); },
        [this, model, pool, budgetKind, ratio, p, unitMethod](core::Progress& progress,
                                                              const core::CancelToken& cancel) {
            const auto budget = unitBudget(*model, budgetKind, ratio, pool);
            auto calib = core::loadCalibrationSet(p.data.toStdString(), model->meta.config, analysisCalibration(p));
            core::TeOptions te;
            const auto r = core::selectUnits(*model, calib, pool, *unitMethod, budget, te, progress, &cancel);
            QVector<int> attention, mlp;
            for (auto i : r.chosen) {
                const auto& u = r.candidates[i];
                if (u.kind != core::UnitKind::Mlp)
                    attention.push_back(static_cast<int>(u.block));
                if (u.kind != core::UnitKind::Attention)
                    mlp.push_back(static_cast<int>(u.block));
            }
            m_job->post([this, attention, mlp, r] {
                m_slim->setSelected(attention);
                m_slim->setSelectedMlp(mlp);
                m_nose->setData(unitFigureData(r));
                statusBar()->showMessage(
                    tr("%1 over %2 units: %3 chosen, %4 parameters")
                        .arg(QString::fromStdString(core::toString(r.method)), QString::fromStdString(toString(r.pool)))
                        .arg(r.chosen.size())
                        .arg(r.paramsRemoved),
                    8000);
            });
        });
}

void MainWindow::updateSavings()
{
    if (!m_model || !m_modelSummary)
        return;
    const auto s =
        core::removalSavings(*m_modelSummary, toIndices(m_slim->selected()), toIndices(m_slim->selectedMlp()));
    m_slim->setSavings(s);
    m_slim->setWhatIfText(tr("What-if: evaluating…"));
    const auto codes = unitCodes(*m_slim, m_modelSummary->config.depth);
    m_whatIf->request(QVector<int>(codes.begin(), codes.end()));
}

void MainWindow::startTraining()
{
    if (!m_model)
        return;
    syncProjectFromControls();
    if (m_project.training.out.empty())
        m_project.training.out = defaultOutputPath().toStdString();
    const auto r = dilutionRun(m_project);
    if (r.remove.empty() && r.removeMlp.empty()) {
        QMessageBox::information(this, tr("Dilution training"),
                                 tr("Choose at least one unit to remove (toggle attention layers or MLPs, or Accept "
                                    "a method for a ratio or a budget)."));
        return;
    }
    if (jobRunning()) {
        statusBar()->showMessage(tr("Busy: a job is running (cancel it first)"), 5000);
        return;
    }
    m_trainingOut = QString::fromStdString(r.out);
    QDir().mkpath(QFileInfo(m_trainingOut).absolutePath());
    m_slim->view()->clear();
    m_project.curves = {};
    m_slim->setRunning(true);
    m_tabs->setCurrentWidget(m_slim);
    showBusy(true);
    if (r.processes > 1)
        m_slim->view()->setStatus(tr("Starting %1 processes…").arg(r.processes));
    m_training->start(r, r.distill ? m_model : nullptr); // a failure to start ends in finished()
}

void MainWindow::finishTraining(bool ok, const QString& message, const QString& out)
{
    m_slim->setRunning(false);
    m_slim->view()->setStatus(ok ? tr("Finished: folded model written to %1").arg(out)
                                 : tr("Stopped: %1 (checkpoint %2.ckpt)").arg(message, out));
    Q_EMIT trainingFinished(ok);
    if (ok) {
        m_project.slimmedModel = out;
        m_attention->setSlimmedModel(out);
        startCompare(); // opens the result beside the original
    }
}

void MainWindow::togglePause()
{
    m_training->togglePause(); // only training pauses; its state comes back as pauseChanged
}

void MainWindow::startCompare()
{
    if (!m_model)
        return;
    syncProjectFromControls();
    QStringList specs{m_project.model};
    if (!m_project.slimmedModel.isEmpty())
        specs << m_project.slimmedModel;
    const auto data = m_project.data.toStdString();
    startJob(
        tr("Comparison"),
        [this](bool ok, const QString&) {
            Q_EMIT compareFinished(ok);
            if (ok && !m_project.slimmedModel.isEmpty() && !m_project.slimmedSpectrum)
                startSpectrum();
        },
        [this, specs, data](core::Progress& progress, const core::CancelToken& cancel) {
            const auto numbers = compareModels(specs, data, progress, cancel);
            if (!numbers)
                return;
            m_job->post([this, numbers = *numbers] {
                m_project.compare = numbers;
                m_compare->setModels(numbers);
                m_tabs->setCurrentWidget(m_compare);
            });
        });
}

void MainWindow::startFront(int maxR)
{
    if (!m_model)
        return;
    syncProjectFromControls();
    const auto models = frontModels(m_project);
    core::FrontOptions o;
    o.rs = core::tomeRange(maxR);
    const auto data = m_project.data.toStdString();
    startJob(
        tr("Accuracy-throughput front"), [this](bool ok, const QString&) { Q_EMIT frontFinished(ok); },
        [this, models, data, o](core::Progress& progress, const core::CancelToken& cancel) {
            auto points = core::measureFront(models, data, o, progress, &cancel);
            if (points.empty())
                return;
            m_job->post([this, points] {
                m_project.front = points;
                m_project.frontChosen = -1;
                m_front->setPoints(points);
                m_tabs->setCurrentWidget(m_front);
            });
        });
}

void MainWindow::startCriteria(int stability, int testLimit)
{
    if (!m_model)
        return;
    syncProjectFromControls();
    auto model = m_model;
    const auto p = m_project;
    const auto kind = m_criteria->budgetKind(), method = m_criteria->poolMethod();
    const bool started = startJob(
        tr("Criteria"),
        [this](bool ok, const QString&) {
            m_criteria->setRunning(false);
            if (!ok)
                m_project.criteria ? m_criteria->setComparison(*m_project.criteria) : m_criteria->clear();
            Q_EMIT criteriaFinished(ok);
        },
        [this, model, p, stability, testLimit, kind, method](core::Progress& progress,
                                                             const core::CancelToken& cancel) {
            auto c = kind.isEmpty() ? criteriaComparison(*model, p, stability, testLimit, progress, cancel)
                                    : poolComparison(*model, p, kind, method, testLimit, progress, cancel);
            m_job->post([this, c] {
                m_project.criteria = c;
                m_criteria->setComparison(c);
                if (m_project.selection && !m_project.selection->candidates.empty())
                    m_nose->setData(noseFigureData(m_project)); // NOSE's stability under its columns
                m_tabs->setCurrentWidget(m_criteria);
            });
        });
    m_criteria->setRunning(started);
}

void MainWindow::exportFrontModel(int index, const QString& path)
{
    if (index < 0 || index >= static_cast<int>(m_project.front.size()))
        return;
    const auto point = m_project.front[static_cast<size_t>(index)];
    startJob(
        tr("Export"), [this](bool ok, const QString&) { Q_EMIT frontModelExported(ok); },
        [point, path](core::Progress& progress, const core::CancelToken&) {
            core::checkOutputPath(path.toStdString(), {point.model});
            auto model = core::loadModel(point.model);
            model.meta.tome = point.tome;
            core::saveModel(model, path.toStdString());
            progress.report(1.0, "wrote " + path.toStdString());
        });
}

void MainWindow::exportModel(const QString& path)
{
    if (!m_model)
        return;
    auto model = m_model;
    startJob(
        tr("Export model"), [this](bool ok, const QString&) { Q_EMIT modelExported(ok); },
        [model, path](core::Progress& progress, const core::CancelToken&) {
            const auto out = path.toStdString();
            if (!core::isHfFolderPath(out))
                core::checkOutputPath(out, {model->meta.source});
            core::saveByExtension(*model, out);
            progress.report(1.0, "wrote " + out);
        });
}

void MainWindow::startSpectrum()
{
    if (!m_model)
        return;
    syncProjectFromControls();
    auto model = m_model;
    const auto p = m_project;
    startJob(
        tr("Spectrum"), [this](bool ok, const QString&) { Q_EMIT spectrumFinished(ok); },
        [this, model, p](core::Progress& progress, const core::CancelToken& cancel) {
            auto result = spectra(*model, p, progress, cancel);
            m_job->post([this, result] {
                m_project.spectrum = result.original;
                m_project.slimmedSpectrum = result.slimmed;
                if (result.slimmedProfile) {
                    m_project.slimmedProfile = result.slimmedProfile;
                    if (m_project.profile)
                        m_entropy->setProfiles(*m_project.profile, &*result.slimmedProfile);
                }
                m_spectrum->setSpectra(result.original, result.slimmed ? &*result.slimmed : nullptr);
                m_tabs->setCurrentWidget(m_spectrum);
            });
        });
}

void MainWindow::showTab(int index)
{
    m_tabs->setCurrentIndex(index);
}

void MainWindow::cancelJob()
{
    m_training->cancel();
    m_job->cancel(); // an atomic flag: a queued call would wait behind the busy worker
    m_attention->cancel();
}

void MainWindow::showModelResults()
{
    showProject(m_project, {m_entropy, m_nose, m_slim->view(), m_spectrum, m_compare, m_front, m_criteria,
                            m_attention->mapView(), m_attention->statsView()});
}

bool MainWindow::openProject(const QString& path, bool loadModel)
{
    try {
        m_project = loadProject(path);
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Could not open the project"), QString::fromStdString(e.what()));
        return false;
    }
    m_projectPath = path;
    m_bar->setSettings(m_project.data, m_project.images, m_project.tokens);
    m_slim->setRatio(m_project.ratio);
    m_slim->setRequest(m_project.training);
    showModelResults();
    if (loadModel)
        openModel(m_project.model);
    setWindowFilePath(path);
    return true;
}

bool MainWindow::saveProject(const QString& path)
{
    syncProjectFromControls();
    try {
        app::saveProject(m_project, path);
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Could not save the project"), QString::fromStdString(e.what()));
        return false;
    }
    m_projectPath = path;
    setWindowFilePath(path);
    statusBar()->showMessage(tr("Saved %1").arg(path), 5000);
    return true;
}

QStringList MainWindow::exportAllFigures(const QString& dir, QString* error, const std::string& size, int dpi)
{
    syncProjectFromControls();
    try {
        return writeProjectFigures(m_project, dir, {core::printSize(size), dpi});
    } catch (const std::exception& e) {
        if (error)
            *error = QString::fromStdString(e.what());
        return {};
    }
}

void MainWindow::setDarkPalette(bool dark)
{
    QSettings().setValue("view/dark", dark);
    if (m_dark)
        m_dark->setChecked(dark);
    qApp->setPalette(dark ? widgets::darkPalette() : qApp->style()->standardPalette());
}

void MainWindow::openModel(const QString& spec)
{
    statusBar()->showMessage(tr("Loading %1…").arg(spec));
    m_summary->clear(tr("Loading %1…").arg(spec));
    if (spec != "default")
        m_recentMenu->remember(spec);
    if (spec != m_project.model) { // a different model: results of the old one no longer apply
        const auto keep = m_project;
        m_project = Project{};
        m_project.data = keep.data;
        m_project.training = keep.training;
        m_project.training.remove.clear();
        m_project.model = spec;
        showModelResults();
    }
    m_loader->load(spec);
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    QSettings().setValue("window/geometry", saveGeometry());
    m_job->cancel();
    m_training->stop(); // a training run leaves its checkpoint
    event->accept();
}

} // namespace mlpify::app
