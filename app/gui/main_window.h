// The workbench's main window: menus, drag and drop, and the views of the loaded model.
#pragma once

#include "core/model/model_summary.h"

#include <QMainWindow>

#include <memory>

namespace mlpify::core {
struct ModelBundle;
}
namespace mlpify::widgets {
class ModelSummaryView;
class EntropyChartView;
class HeatmapView;
} // namespace mlpify::widgets
class QTabWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QDoubleSpinBox;
class QComboBox;
class QAction;
class QThread;

namespace mlpify::app {

class ModelLoader;
class AnalysisWorker;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    void openModel(const QString& spec);
    // Entropy profile + NOSE on a worker thread; results land in the Entropy and NOSE tabs.
    void startAnalysis();
    void cancelAnalysis();
    bool analysisRunning() const { return m_worker != nullptr; }
    void showTab(int index);

Q_SIGNALS:
    void modelReady(); // a model was loaded and is on screen
    void analysisFinished(bool ok);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void closeEvent(QCloseEvent* event) override;

private:
    void createMenus();
    void createAnalysisBar();
    void finishAnalysis(bool ok, const QString& message);
    void chooseModelFile();
    void rememberRecent(const QString& path);
    void rebuildRecentMenu();

    QTabWidget* m_tabs = nullptr;
    widgets::ModelSummaryView* m_summary = nullptr;
    widgets::EntropyChartView* m_entropy = nullptr;
    widgets::HeatmapView* m_nose = nullptr;
    QSpinBox* m_images = nullptr;
    QComboBox* m_tokens = nullptr;
    QDoubleSpinBox* m_ratio = nullptr;
    QAction* m_analyze = nullptr;
    QProgressBar* m_progress = nullptr;
    QPushButton* m_cancel = nullptr;
    QThread* m_thread = nullptr;
    AnalysisWorker* m_worker = nullptr;
    ModelLoader* m_loader = nullptr;
    QMenu* m_recentMenu = nullptr;
    std::shared_ptr<core::ModelBundle> m_model;
};

} // namespace mlpify::app
