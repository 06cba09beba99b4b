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
}

namespace mlpify::app {

class ModelLoader;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    void openModel(const QString& spec);

Q_SIGNALS:
    void modelReady(); // a model was loaded and is on screen

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void closeEvent(QCloseEvent* event) override;

private:
    void createMenus();
    void chooseModelFile();
    void rememberRecent(const QString& path);
    void rebuildRecentMenu();

    widgets::ModelSummaryView* m_summary = nullptr;
    ModelLoader* m_loader = nullptr;
    QMenu* m_recentMenu = nullptr;
    std::shared_ptr<core::ModelBundle> m_model;
};

} // namespace mlpify::app
