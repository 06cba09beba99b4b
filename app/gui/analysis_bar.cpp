#include "app/gui/analysis_bar.h"

#include "core/data/dataset.h"

#include <QAction>
#include <QComboBox>
#include <QFileDialog>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QSpinBox>

namespace mlpify::app {

AnalysisBar::AnalysisBar(QWidget* parent) : QToolBar(tr("Analysis"), parent)
{
    setObjectName("analysisBar");
    QSettings settings;
    addWidget(new QLabel(tr(" Data "), this));
    m_data = new QLineEdit(settings.value("analysis/data", "fashion-mnist").toString(), this);
    m_data->setToolTip(
        tr("Data spec as the CLI takes it: fashion-mnist, idx:DIR, cifar10:DIR, folder:DIR or a folder"));
    m_data->setMaximumWidth(220);
    addWidget(m_data);
    addAction(tr("…"), this, &AnalysisBar::chooseDataFolder)->setToolTip(tr("Choose a dataset folder"));
    addWidget(new QLabel(tr("  Calibration images "), this));
    m_images = new QSpinBox(this);
    m_images->setObjectName("calibrationImages");
    m_images->setRange(50, 60000);
    m_images->setSingleStep(250);
    m_images->setValue(settings.value("analysis/images", 1000).toInt());
    addWidget(m_images);
    addWidget(new QLabel(tr("  Tokens "), this));
    m_tokens = new QComboBox(this);
    m_tokens->setObjectName("analysisTokens");
    m_tokens->addItems({"cls", "all", "patch"});
    m_tokens->setCurrentText(settings.value("analysis/tokens", "cls").toString());
    addWidget(m_tokens);
    connect(m_images, &QSpinBox::editingFinished, this, &AnalysisBar::calibrationChanged);
    connect(m_tokens, &QComboBox::currentIndexChanged, this, &AnalysisBar::calibrationChanged);
    m_analyze = addAction(tr("&Analyze"), this, &AnalysisBar::analyzeRequested);
    m_analyze->setShortcut(QKeySequence(tr("Ctrl+R")));
    m_analyze->setToolTip(tr("Entropy curves and NOSE selection on the calibration images (Ctrl+R)"));
}

QString AnalysisBar::data() const
{
    return m_data->text().trimmed();
}

int AnalysisBar::images() const
{
    return m_images->value();
}

QString AnalysisBar::tokens() const
{
    return m_tokens->currentText();
}

void AnalysisBar::setSettings(const QString& data, int images, const QString& tokens)
{
    const QSignalBlocker a(m_images), b(m_tokens); // a project's settings are not the user's change
    m_data->setText(data);
    m_images->setValue(images);
    m_tokens->setCurrentText(tokens);
}

void AnalysisBar::remember() const
{
    QSettings settings;
    settings.setValue("analysis/data", data());
    settings.setValue("analysis/images", images());
    settings.setValue("analysis/tokens", tokens());
}

void AnalysisBar::chooseDataFolder()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Choose a Dataset Folder"));
    if (!dir.isEmpty())
        m_data->setText(QString::fromStdString(core::dataSpecForFolder(dir.toStdString())));
}

} // namespace mlpify::app
