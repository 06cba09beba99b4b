// The workbench's main window: menus, drag and drop, the views of the loaded model, and the
// background jobs (analysis, dilution training, spectra, comparison) that feed them.
#pragma once

#include "app/figures/project.h"
#include "core/model/model_summary.h"
#include "core/progress.h"

#include <QMainWindow>

#include <functional>
#include <memory>
#include <optional>

namespace mlpify::core {
struct ModelBundle;
} // namespace mlpify::core
namespace mlpify::widgets {
class ModelSummaryView;
class EntropyChartView;
class HeatmapView;
class SpectrumView;
class CompareView;
class FrontView;
class CriteriaView;
} // namespace mlpify::widgets
class QTabWidget;
class QProgressBar;
class QPushButton;
class QAction;

namespace mlpify::app {

class ModelLoader;
class BackgroundJob;
class TrainingRunner;
class SlimPanel;
class Tour;
class RecentMenu;
class AnalysisBar;
class WhatIfRunner;
class AttentionPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    enum TabIndex {
        SummaryTab,
        EntropyTab,
        NoseTab,
        AttentionTab,
        SlimTab,
        SpectrumTab,
        CompareTab,
        FrontTab,
        CriteriaTab
    };

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    void openModel(const QString& spec);
    // Entropy profile + NOSE on a worker thread; results land in the Entropy and NOSE tabs.
    void startAnalysis();
    // The entropy curves alone (seconds): rerun when the calibration size or token set changes.
    void startProfile();
    // Reveals the NOSE path one greedy step at a time.
    void animateNosePath();
    // Dilution training of the chosen layers, then the fold; the result opens beside the original.
    void startTraining();
    // Frequency spectra of the original (and slimmed) model on the calibration images.
    void startSpectrum();
    // Accuracy, parameters, FLOPs, throughput and memory of the original (and slimmed) model.
    void startCompare();
    // The accuracy-throughput front: the original and the slimmed model at ToMe r = 0..maxR.
    void startFront(int maxR);
    // Every criterion for the Slim tab's ratio (Criteria tab), on the worker; stability > 0 runs
    // each again on that many bootstrap resamples; testLimit > 0: the first N test images. With
    // the tab's Compare set to pools, the pools at that ratio of parameters or FLOPs instead.
    void startCriteria(int stability, int testLimit = 0);
    // Writes the model of a front point with its token merging (eval and bench run with it).
    void exportFrontModel(int index, const QString& path);
    // The window's model written by its extension (.mlpify, .pth, .safetensors, .onnx, a folder
    // ending in / for Hugging Face) on the worker; modelExported tells how it went.
    void exportModel(const QString& path);
    void cancelJob(); // cancels whatever job runs
    void togglePause();
    bool jobRunning() const; // any job
    bool jobPaused() const;
    void showTab(int index);
    void applyMethod(const QString& method, double ratio);
    void chooseUnits(const QString& method, double ratio);

    // false: a message was shown. loadModel = false shows the stored results only (figures).
    bool openProject(const QString& path, bool loadModel = true);
    bool saveProject(const QString& path);
    const Project& project() const { return m_project; }
    // Every figure of the project in print style (writeProjectFigures) at a print size
    // (core::printSize); returns the files written (an error names the file that failed).
    QStringList exportAllFigures(const QString& dir, QString* error = nullptr, const std::string& size = "column",
                                 int dpi = 300);
    // The current tab's figure in print style at a print size, as .pdf, .svg, .png (300 dpi) or a
    // standalone pgfplots .tex; empty on success, else why not (no results yet, a bad path).
    QString exportCurrentFigureAs(const QString& path, const std::string& size = "column");
    void setDarkPalette(bool dark);
    Tour* tour() const { return m_tour; }

Q_SIGNALS:
    void modelReady(); // a model was loaded and is on screen
    void analysisFinished(bool ok);
    void trainingFinished(bool ok);
    void spectrumFinished(bool ok);
    void compareFinished(bool ok);
    void frontFinished(bool ok);
    void criteriaFinished(bool ok);
    void frontModelExported(bool ok);
    void modelExported(bool ok);
    void layersChosen(bool ok); // applyMethod's set is in the Slim tab (or the choice failed)

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void closeEvent(QCloseEvent* event) override;

private:
    void showBusy(bool busy); // a job's progress bar and Cancel, the Analyze action disabled
    void connectTraining();   // the training runner's steps, epochs, pauses and end, to the views
    void createMenus();
    void createAnalysisBar();
    // The Attention tab's results into the project, and the project's into the tab
    // (main_window_menus.cpp).
    void connectAttention();
    void showAttentionResults();
    // What the latest job request is, by kind, never by its translated title.
    enum class JobKind { Analysis, Other };
    bool startJob(const QString& title, const std::function<void(bool, const QString&)>& onDone,
                  std::function<void(core::Progress&, const core::CancelToken&)> work, JobKind kind = JobKind::Other);
    void showModelResults();
    // The entropy curves on the analysis's calibration images, and with nosePath the NOSE path too.
    void runAnalysis(bool nosePath);
    // From the worker: the entropy curves, to the Entropy tab (queued; dropped if the job is stale).
    void showProfile(const core::EntropyProfile& profile);
    void updateSavings();
    void chooseModelFile();
    void chooseProjectToOpen();
    void chooseProjectToSave();
    void exportCurrentFigure();
    void exportAllFiguresInteractive();
    void syncProjectFromControls();
    // The print figures (project_plots.h) the current tab shows, the first one preferred.
    QStringList currentFigureNames() const;
    QString defaultOutputPath() const;
    void finishTraining(bool ok, const QString& message, const QString& out);
    void warnAsync(const QString& title, const QString& text); // non-modal, also to stderr

    QTabWidget* m_tabs = nullptr;
    widgets::ModelSummaryView* m_summary = nullptr;
    widgets::EntropyChartView* m_entropy = nullptr;
    widgets::HeatmapView* m_nose = nullptr;
    SlimPanel* m_slim = nullptr;
    AttentionPanel* m_attention = nullptr;
    widgets::SpectrumView* m_spectrum = nullptr;
    widgets::CompareView* m_compare = nullptr;
    widgets::FrontView* m_front = nullptr;
    widgets::CriteriaView* m_criteria = nullptr;
    AnalysisBar* m_bar = nullptr;
    QAction* m_dark = nullptr;
    QProgressBar* m_progress = nullptr;
    QPushButton* m_cancel = nullptr;
    JobKind m_jobKind = JobKind::Other;
    BackgroundJob* m_job = nullptr;
    WhatIfRunner* m_whatIf = nullptr;
    ModelLoader* m_loader = nullptr;
    RecentMenu* m_recentMenu = nullptr;
    Tour* m_tour = nullptr;
    std::shared_ptr<core::ModelBundle> m_model;
    std::optional<core::ModelSummary> m_modelSummary;
    Project m_project;
    TrainingRunner* m_training = nullptr; // in this process or as `mlpify launch` ranks
    QString m_trainingOut;                // where the running training writes its model
    QString m_projectPath;
};

} // namespace mlpify::app
