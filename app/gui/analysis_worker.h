// Runs the entropy profile and NOSE selection on a worker thread; talks to the window only
// through queued signals. Cancel is an atomic flag the GUI thread sets directly.
#pragma once

#include "core/analysis/entropy_profile_result.h"
#include "core/analysis/selection_result.h"
#include "core/progress.h"

#include <QObject>
#include <QString>

#include <memory>

namespace mlpify::core {
struct ModelBundle;
}

namespace mlpify::app {

struct AnalysisRequest {
    QString data = "fashion-mnist";
    int64_t images = 1000;
    QString tokens = "cls";
    double ratio = 0.5;
    uint64_t seed = 0;
};

class AnalysisWorker : public QObject {
    Q_OBJECT
public:
    AnalysisWorker(std::shared_ptr<core::ModelBundle> model, AnalysisRequest request);
    void cancel() { m_cancel.cancel(); }

public Q_SLOTS:
    void run();

Q_SIGNALS:
    void progress(double fraction, const QString& message);
    void profileReady(const mlpify::core::EntropyProfile& profile);
    void selectionReady(const mlpify::core::SelectionResult& selection);
    void finished();
    void failed(const QString& message);

private:
    std::shared_ptr<core::ModelBundle> m_model;
    AnalysisRequest m_request;
    core::CancelToken m_cancel;
};

} // namespace mlpify::app
