// A guided tour over the embedded default model for teaching: a few steps through the views,
// each with one paragraph, run live (the micro model's short dilution run takes minutes).
#pragma once

#include <QDialog>
#include <QString>
#include <QVector>

#include <functional>

class QLabel;
class QPushButton;

namespace mlpify::app {

class MainWindow;

class Tour : public QDialog {
    Q_OBJECT
public:
    struct Step {
        int tab;
        QString title;
        QString text;
        std::function<void(MainWindow&)> enter; // starts what the step shows, if not there yet
    };

    explicit Tour(MainWindow* window);

    void start();
    void go(int step);
    int stepCount() const { return static_cast<int>(m_steps.size()); }
    int current() const { return m_current; }
    const Step& step(int i) const { return m_steps[i]; }

    // The short teaching run: a subset of the images, lambda falls over most of one epoch.
    static void teachingSettings(MainWindow& window);

Q_SIGNALS:
    void stepShown(int step);

private:
    MainWindow* m_window;
    QVector<Step> m_steps;
    int m_current = 0;
    QLabel* m_title;
    QLabel* m_text;
    QLabel* m_counter;
    QPushButton* m_back;
    QPushButton* m_next;
};

} // namespace mlpify::app
