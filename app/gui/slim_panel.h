// The "Slim" tab: which units to remove (per-block toggles for the attention and the MLP; NOSE, a
// baseline or a criterion over a pool of units for a ratio, a parameter or a FLOP budget),
// predicted savings, the dilution-training settings, and start / pause / cancel.
// It holds no computation: the window runs the jobs and feeds the curves back.
#pragma once

#include "core/analysis/what_if_result.h"
#include "core/bench/flops.h"
#include "core/setting.h"
#include "core/train/dilution_run.h"

#include <QString>
#include <QVector>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QHBoxLayout;
class QToolButton;

namespace mlpify::widgets {
class TrainingView;
}

namespace mlpify::app {

class SlimPanel : public QWidget {
    Q_OBJECT
public:
    explicit SlimPanel(QWidget* parent = nullptr);

    // One attention and one MLP toggle per block; a branch already removed is shown but cannot be
    // chosen (hasMlp empty: every block has its MLP).
    void setBlocks(const QVector<bool>& hasAttention, const QVector<bool>& hasMlp = {});
    void setSelected(const QVector<int>& blocks); // attention layers
    QVector<int> selected() const;
    void setSelectedMlp(const QVector<int>& blocks);
    QVector<int> selectedMlp() const;
    // The pool Accept chooses from (core::unitPoolNames()) and what the ratio is a share of:
    // "units" (of the pool), "params" or "flops" (of the model).
    QString pool() const;
    QString budget() const;
    // What removing the chosen layers saves (core/bench/benchmark.h removalSavings).
    void setSavings(const core::RemovalSavings& savings);
    // The what-if of the chosen layers (training-free top-1 and TE), or a line saying why none.
    void setWhatIf(const core::WhatIfResult& result);
    void setWhatIfText(const QString& text);
    QString whatIfText() const;
    void setRunning(bool running, bool paused = false);

    // The run the controls describe: the last run set, with the panel's layers and settings.
    core::DilutionRun request() const;
    void setRequest(const core::DilutionRun& r);
    QString method() const; // one of core::selectionMethods() the panel offers
    double ratio() const;
    void setRatio(double ratio);

    widgets::TrainingView* view() const { return m_view; }

Q_SIGNALS:
    void selectionChanged();
    void applyMethodRequested(const QString& method, double ratio);
    void startRequested();
    void pauseToggled();
    void cancelRequested();

private:
    QHBoxLayout* m_strip;
    QHBoxLayout* m_mlpStrip;
    QVector<QToolButton*> m_toggles;
    QVector<QToolButton*> m_mlpToggles;
    QComboBox* m_method;
    QComboBox* m_pool;
    QComboBox* m_budget;
    QDoubleSpinBox* m_ratio;
    QLabel* m_savings;
    QLabel* m_whatIf;
    QSpinBox* m_epochs;
    QDoubleSpinBox* m_dilutionEpochs;
    QDoubleSpinBox* m_lr;
    QSpinBox* m_batch;
    QSpinBox* m_trainLimit;
    QComboBox* m_schedule;
    QComboBox* m_device;
    QCheckBox* m_bf16;
    QSpinBox* m_processes;
    QCheckBox* m_distill;
    QCheckBox* m_newHead;
    QSpinBox* m_inputSize;
    QCheckBox* m_augment;
    QLineEdit* m_out;
    QPushButton* m_start;
    QPushButton* m_pause;
    QPushButton* m_cancel;
    widgets::TrainingView* m_view;
    core::DilutionRun m_run; // what the controls do not show (warm-up, seed, ...)
};

// The window's spelling of the settings core's errors and summaries name (core/setting.h): the
// control a person changes, and where it is.
std::string settingControl(core::Setting setting);

} // namespace mlpify::app
