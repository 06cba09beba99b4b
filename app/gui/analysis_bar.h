// The window's analysis toolbar: the data spec (typed, or a folder chosen and read by what it
// holds), the calibration image count and the token set, with the Analyze action. The values
// persist in QSettings.
#pragma once

#include <QToolBar>

class QAction;
class QComboBox;
class QLineEdit;
class QSpinBox;

namespace mlpify::app {

class AnalysisBar : public QToolBar {
    Q_OBJECT
public:
    explicit AnalysisBar(QWidget* parent);

    QString data() const;
    int images() const;
    QString tokens() const;
    void setSettings(const QString& data, int images, const QString& tokens);
    void remember() const; // into QSettings
    QAction* analyzeAction() const { return m_analyze; }
    void chooseDataFolder();

Q_SIGNALS:
    void analyzeRequested();
    void calibrationChanged(); // the image count or the token set, as the user changed it

private:
    QLineEdit* m_data;
    QSpinBox* m_images;
    QComboBox* m_tokens;
    QAction* m_analyze;
};

} // namespace mlpify::app
