#include "app/gui/slim_panel.h"

#include "core/analysis/selection_methods.h"
#include "core/analysis/unit_selection.h"
#include "widgets/training_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

namespace mlpify::app {

SlimPanel::SlimPanel(QWidget* parent) : QWidget(parent)
{
    // Layer choice
    auto* choice = new QGroupBox(tr("Units to remove"), this);
    m_strip = new QHBoxLayout;
    m_strip->setSpacing(3);
    m_strip->addWidget(new QLabel(tr("Attention"), choice));
    m_mlpStrip = new QHBoxLayout;
    m_mlpStrip->setSpacing(3);
    m_mlpStrip->addWidget(new QLabel(tr("MLP"), choice));
    // A chosen block must be obvious at a glance, in either palette.
    choice->setStyleSheet("QToolButton:checked { background: palette(highlight); color: palette(highlighted-text); "
                          "font-weight: bold; }");
    m_method = new QComboBox(choice);
    m_method->setObjectName("method");
    for (const auto& m : core::selectionMethodTable()) // every method, from core's one table
        m_method->addItem(QString::fromStdString(m.label), QString::fromStdString(m.name));
    m_method->setToolTip(tr("How to choose the layers for the ratio"));
    m_ratio = new QDoubleSpinBox(choice);
    m_ratio->setRange(0.05, 1.0);
    m_ratio->setSingleStep(0.05);
    m_ratio->setValue(0.5);
    m_ratio->setToolTip(tr("Share of the pool's units to remove, or of the model's parameters or FLOPs (Budget)"));
    m_pool = new QComboBox(choice);
    m_pool->setObjectName("pool");
    for (const auto& name : core::unitPoolNames())
        m_pool->addItem(QString::fromStdString(name), QString::fromStdString(name));
    m_pool->setToolTip(tr("Candidates for Accept: attention layers (the paper's), MLPs, whole blocks, or attention "
                          "and MLPs together (resources/docs/units.md)"));
    m_budget = new QComboBox(choice);
    m_budget->setObjectName("budget");
    m_budget->addItem(tr("of the units"), "units");
    m_budget->addItem(tr("of the parameters"), "params");
    m_budget->addItem(tr("of the FLOPs"), "flops");
    m_budget->setToolTip(tr("What the ratio is a share of: the pool's units, or the model's parameters or FLOPs "
                            "(never exceeded)"));
    auto* apply = new QPushButton(tr("A&ccept"), choice);
    apply->setToolTip(tr("Select the layers the method picks for this ratio (NOSE uses the last analysis)"));
    m_savings = new QLabel(choice);
    m_savings->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_whatIf = new QLabel(choice);
    m_whatIf->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_whatIf->setToolTip(tr("Before any training, on calibration images: top-1 with the chosen attention taken out "
                            "by skipping (x = x) and by the fold's rule (x = 2x), and the set's transfer entropy to "
                            "the head. Updated as blocks are toggled."));
    auto* methodRow = new QHBoxLayout;
    auto* methodLabel = new QLabel(tr("&Method"), choice);
    methodLabel->setBuddy(m_method);
    methodRow->addWidget(methodLabel);
    methodRow->addWidget(m_method);
    auto* ratioLabel = new QLabel(tr("R&atio"), choice);
    ratioLabel->setBuddy(m_ratio);
    methodRow->addWidget(ratioLabel);
    methodRow->addWidget(m_ratio);
    methodRow->addWidget(m_budget);
    auto* poolLabel = new QLabel(tr("P&ool"), choice);
    poolLabel->setBuddy(m_pool);
    methodRow->addWidget(poolLabel);
    methodRow->addWidget(m_pool);
    methodRow->addWidget(apply);
    methodRow->addStretch(1);
    auto* choiceLayout = new QVBoxLayout(choice);
    choiceLayout->addLayout(m_strip);
    choiceLayout->addLayout(m_mlpStrip);
    choiceLayout->addLayout(methodRow);
    choiceLayout->addWidget(m_savings);
    choiceLayout->addWidget(m_whatIf);
    connect(apply, &QPushButton::clicked, this, [this] { Q_EMIT applyMethodRequested(method(), m_ratio->value()); });

    // Training settings
    auto* settings = new QGroupBox(tr("Dilution training"), this);
    auto* form = new QFormLayout;
    m_epochs = new QSpinBox(settings);
    m_epochs->setRange(1, 1000);
    m_dilutionEpochs = new QDoubleSpinBox(settings);
    m_dilutionEpochs->setRange(-1.0, 1000.0);
    m_dilutionEpochs->setSingleStep(0.5);
    m_dilutionEpochs->setSpecialValueText(QString::fromStdString(core::defaultDilutionEpochsText()));
    m_dilutionEpochs->setToolTip(tr("Epochs over which lambda falls from 1 to 0; the rest run at lambda 0"));
    m_lr = new QDoubleSpinBox(settings);
    m_lr->setDecimals(6);
    m_lr->setRange(1e-6, 1.0);
    m_lr->setSingleStep(1e-4);
    m_batch = new QSpinBox(settings);
    m_batch->setRange(1, 4096);
    m_trainLimit = new QSpinBox(settings);
    m_trainLimit->setRange(0, 10'000'000);
    m_trainLimit->setSingleStep(5000);
    m_trainLimit->setSpecialValueText(tr("all"));
    m_trainLimit->setToolTip(tr("A seeded subset of the training images (0 = all): short demonstrations"));
    m_schedule = new QComboBox(settings);
    for (const auto& name : core::lambdaScheduleNames())
        m_schedule->addItem(QString::fromStdString(name));
    m_device = new QComboBox(settings);
    m_device->addItems({"auto", "cpu", "cuda"});
    m_bf16 = new QCheckBox(tr("bf16 autocast for the training steps"), settings);
    m_bf16->setToolTip(tr("As torch.autocast: matrix products in bfloat16, fast on GPUs and on CPUs with bf16 "
                          "units; the accuracy is evaluated in float32"));
    m_processes = new QSpinBox(settings);
    m_processes->setRange(1, 16);
    m_processes->setToolTip(tr("More than 1: data-parallel worker processes on this machine (c10d/Gloo); the "
                               "batch is per process"));
    m_distill = new QCheckBox(tr("soft targets from the original model"), settings);
    m_newHead = new QCheckBox(tr("a new classifier for the data's classes"), settings);
    m_newHead->setToolTip(tr("Needed when the data has other classes than the model's head (e.g. CIFAR-100 on an "
                             "ImageNet model); initialised as timm and DeiT do. Not with distillation."));
    m_inputSize = new QSpinBox(settings);
    m_inputSize->setRange(0, 4096);
    m_inputSize->setSingleStep(16);
    m_inputSize->setSpecialValueText(tr("the model's"));
    m_inputSize->setToolTip(tr("Train at another input size: the position embedding is resampled bicubically over "
                               "the patch grid (a multiple of the patch size)"));
    m_augment = new QCheckBox(tr("random crops (folders) or shifts, and flips"), settings);
    m_out = new QLineEdit(settings);
    m_out->setToolTip(tr("Where the folded model is written (.mlpify; .pth for the timm layout; .onnx; a folder "
                         "name ending in / for Hugging Face)"));
    form->addRow(tr("&Epochs"), m_epochs);
    form->addRow(tr("&Dilution epochs"), m_dilutionEpochs);
    form->addRow(tr("&Learning rate"), m_lr);
    form->addRow(tr("&Batch"), m_batch);
    form->addRow(tr("Training &images"), m_trainLimit);
    form->addRow(tr("&Schedule"), m_schedule);
    form->addRow(tr("De&vice"), m_device);
    form->addRow(tr("Precision"), m_bf16);
    form->addRow(tr("Pro&cesses"), m_processes);
    form->addRow(tr("Distillation"), m_distill);
    form->addRow(tr("New head"), m_newHead);
    form->addRow(tr("Input si&ze"), m_inputSize);
    form->addRow(tr("Augmentation"), m_augment);
    form->addRow(tr("&Output"), m_out);
    m_start = new QPushButton(tr("&Start"), settings);
    m_start->setShortcut(QKeySequence(tr("Ctrl+T")));
    m_start->setToolTip(tr("Dilute, then fold into MLP-only blocks (Ctrl+T)"));
    m_pause = new QPushButton(tr("&Pause"), settings);
    m_pause->setShortcut(QKeySequence(tr("Ctrl+P")));
    m_cancel = new QPushButton(tr("Cancel"), settings);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_start);
    buttons->addWidget(m_pause);
    buttons->addWidget(m_cancel);
    auto* settingsLayout = new QVBoxLayout(settings);
    settingsLayout->addLayout(form);
    settingsLayout->addLayout(buttons);
    settingsLayout->addStretch(1);
    connect(m_start, &QPushButton::clicked, this, &SlimPanel::startRequested);
    connect(m_pause, &QPushButton::clicked, this, &SlimPanel::pauseToggled);
    connect(m_cancel, &QPushButton::clicked, this, &SlimPanel::cancelRequested);

    m_view = new widgets::TrainingView(this);
    auto* left = new QVBoxLayout;
    left->addWidget(settings, 1);
    auto* body = new QHBoxLayout;
    body->addLayout(left);
    body->addWidget(m_view, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(choice);
    layout->addLayout(body, 1);
    setRequest(core::DilutionRun{});
    setRunning(false);
}

namespace {
QToolButton* blockToggle(QWidget* parent, int block, bool enabled, const QString& tip)
{
    auto* b = new QToolButton(parent);
    b->setText(QString::number(block));
    b->setCheckable(true);
    b->setMinimumWidth(34);
    b->setEnabled(enabled);
    b->setToolTip(tip);
    return b;
}

void check(const QVector<QToolButton*>& toggles, const QVector<int>& blocks)
{
    for (int i = 0; i < toggles.size(); ++i) {
        QSignalBlocker block(toggles[i]);
        toggles[i]->setChecked(blocks.contains(i) && toggles[i]->isEnabled());
    }
}

QVector<int> checked(const QVector<QToolButton*>& toggles)
{
    QVector<int> out;
    for (int i = 0; i < toggles.size(); ++i)
        if (toggles[i]->isChecked())
            out.push_back(i);
    return out;
}
} // namespace

void SlimPanel::setBlocks(const QVector<bool>& hasAttention, const QVector<bool>& hasMlpIn)
{
    const auto hasMlp = hasMlpIn.isEmpty() ? QVector<bool>(hasAttention.size(), true) : hasMlpIn;
    for (auto* b : m_toggles + m_mlpToggles)
        delete b;
    m_toggles.clear();
    m_mlpToggles.clear();
    for (int i = 0; i < hasAttention.size(); ++i) {
        auto* a =
            blockToggle(this, i, hasAttention[i],
                        hasAttention[i] ? tr("Block %1: checked = remove its attention (x = 2x, then its MLP)").arg(i)
                                        : tr("Block %1 has no attention left").arg(i));
        auto* m = blockToggle(this, i, hasMlp[i],
                              hasMlp[i] ? tr("Block %1: checked = remove its MLP (x = 2x after the attention step); "
                                             "with its attention too, the block goes")
                                              .arg(i)
                                        : tr("Block %1 has no MLP left").arg(i));
        for (auto* b : {a, m})
            connect(b, &QToolButton::toggled, this, &SlimPanel::selectionChanged);
        m_strip->addWidget(a);
        m_mlpStrip->addWidget(m);
        m_toggles.push_back(a);
        m_mlpToggles.push_back(m);
    }
}

void SlimPanel::setSelected(const QVector<int>& blocks)
{
    check(m_toggles, blocks);
    Q_EMIT selectionChanged();
}

QVector<int> SlimPanel::selected() const
{
    return checked(m_toggles);
}

void SlimPanel::setSelectedMlp(const QVector<int>& blocks)
{
    check(m_mlpToggles, blocks);
    Q_EMIT selectionChanged();
}

QVector<int> SlimPanel::selectedMlp() const
{
    return checked(m_mlpToggles);
}

QString SlimPanel::pool() const
{
    return m_pool->currentData().toString();
}

QString SlimPanel::budget() const
{
    return m_budget->currentData().toString();
}

void SlimPanel::setSavings(const core::RemovalSavings& s)
{
    const double params = static_cast<double>(s.paramsBefore);
    const double flops = s.flopsBefore;
    m_savings->setText(tr("Removing %1 attention layer(s) and %2 MLP(s): %3 fewer parameters (%4 → %5, %6%), "
                          "FLOPs %7 → %8 GFLOPs/image (%9%). Measured throughput: Compare tab (Ctrl+M).")
                           .arg(selected().size())
                           .arg(selectedMlp().size())
                           .arg(s.paramsRemoved)
                           .arg(s.paramsBefore)
                           .arg(s.paramsBefore - s.paramsRemoved)
                           .arg(params > 0 ? -100.0 * static_cast<double>(s.paramsRemoved) / params : 0.0, 0, 'f', 1)
                           .arg(flops / 1e9, 0, 'f', 4)
                           .arg(s.flopsAfter / 1e9, 0, 'f', 4)
                           .arg(flops > 0 ? 100.0 * (s.flopsAfter - flops) / flops : 0.0, 0, 'f', 1));
}

void SlimPanel::setWhatIf(const core::WhatIfResult& r)
{
    if (r.removed.empty()) {
        m_whatIf->setText(tr("What-if on %1 calibration images: the full model has top-1 %2%.")
                              .arg(r.images)
                              .arg(100.0 * r.skipTop1, 0, 'f', 1));
        return;
    }
    m_whatIf->setText(tr("What-if on %1 calibration images, before training: top-1 %2% (x = x), %3% (x = 2x, as "
                         "folded); TE to the head %4 %5.")
                          .arg(r.images)
                          .arg(100.0 * r.skipTop1, 0, 'f', 1)
                          .arg(100.0 * r.doubleTop1, 0, 'f', 1)
                          .arg(r.transferEntropy, 0, 'f', 3)
                          .arg(QString::fromStdString(r.units)));
}

void SlimPanel::setWhatIfText(const QString& text)
{
    m_whatIf->setText(text);
}

QString SlimPanel::whatIfText() const
{
    return m_whatIf->text();
}

void SlimPanel::setRunning(bool running, bool paused)
{
    m_start->setEnabled(!running);
    m_pause->setEnabled(running);
    m_cancel->setEnabled(running);
    m_pause->setText(paused ? tr("&Resume") : tr("&Pause"));
}

core::DilutionRun SlimPanel::request() const
{
    auto r = m_run;
    r.remove.clear();
    for (int b : selected())
        r.remove.push_back(b);
    r.removeMlp.clear();
    for (int b : selectedMlp())
        r.removeMlp.push_back(b);
    r.ratio = m_ratio->value();
    r.method = method().toStdString();
    r.epochs = m_epochs->value();
    r.dilutionEpochs = m_dilutionEpochs->value() < 0 ? -1.0 : m_dilutionEpochs->value();
    r.lr = m_lr->value();
    r.batch = m_batch->value();
    r.trainLimit = m_trainLimit->value();
    r.schedule = m_schedule->currentText().toStdString();
    r.device = m_device->currentText().toStdString();
    r.bf16 = m_bf16->isChecked();
    r.processes = m_processes->value();
    r.distill = m_distill->isChecked();
    r.newHead = m_newHead->isChecked();
    r.inputSize = m_inputSize->value();
    r.augment = m_augment->isChecked();
    r.out = m_out->text().toStdString();
    return r;
}

void SlimPanel::setRequest(const core::DilutionRun& r)
{
    m_run = r;
    if (r.ratio > 0)
        m_ratio->setValue(r.ratio);
    const int method = m_method->findData(QString::fromStdString(r.method));
    if (method >= 0)
        m_method->setCurrentIndex(method);
    m_epochs->setValue(static_cast<int>(r.epochs));
    m_dilutionEpochs->setValue(r.dilutionEpochs);
    m_lr->setValue(r.lr);
    m_batch->setValue(static_cast<int>(r.batch));
    m_trainLimit->setValue(static_cast<int>(r.trainLimit));
    m_schedule->setCurrentText(QString::fromStdString(r.schedule));
    m_device->setCurrentText(QString::fromStdString(r.device));
    m_bf16->setChecked(r.bf16);
    m_processes->setValue(r.processes);
    m_distill->setChecked(r.distill);
    m_newHead->setChecked(r.newHead);
    m_inputSize->setValue(static_cast<int>(r.inputSize));
    m_augment->setChecked(r.augment);
    m_out->setText(QString::fromStdString(r.out));
    if (!r.remove.empty())
        setSelected(QVector<int>(r.remove.begin(), r.remove.end()));
    if (!r.removeMlp.empty())
        setSelectedMlp(QVector<int>(r.removeMlp.begin(), r.removeMlp.end()));
}

QString SlimPanel::method() const
{
    return m_method->currentData().toString();
}

double SlimPanel::ratio() const
{
    return m_ratio->value();
}

void SlimPanel::setRatio(double ratio)
{
    m_ratio->setValue(ratio);
}

std::string settingControl(core::Setting setting)
{
    switch (setting) {
    case core::Setting::InputSize:
        return "Input size (Slim tab)";
    case core::Setting::NewHead:
        return "New head (Slim tab)";
    case core::Setting::Distill:
        return "Distillation (Slim tab)";
    case core::Setting::Remove:
        return "the chosen blocks (Slim tab)";
    case core::Setting::RemoveMlp:
        return "the chosen MLPs (Slim tab)";
    case core::Setting::Ratio:
        return "the ratio (Slim tab)";
    case core::Setting::Tome:
        return "token merging (Front tab)";
    }
    return core::settingWords(setting);
}

} // namespace mlpify::app
