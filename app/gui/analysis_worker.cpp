#include "app/gui/analysis_worker.h"

#include "core/analysis/entropy_profile.h"
#include "core/analysis/selection.h"

#include <chrono>

namespace mlpify::app {

namespace {
// Coalesces progress to one signal every ~40 ms: the GUI is throttled, not the computation.
class ThrottledProgress : public core::Progress {
public:
    ThrottledProgress(AnalysisWorker* worker, double from, double to) : m_worker(worker), m_from(from), m_to(to) {}
    void report(double fraction, const std::string& message) override
    {
        const auto now = std::chrono::steady_clock::now();
        if (now - m_last < std::chrono::milliseconds(40) && fraction < 1.0)
            return;
        m_last = now;
        Q_EMIT m_worker->progress(m_from + fraction * (m_to - m_from), QString::fromStdString(message));
    }

private:
    AnalysisWorker* m_worker;
    double m_from, m_to;
    std::chrono::steady_clock::time_point m_last{};
};
} // namespace

AnalysisWorker::AnalysisWorker(std::shared_ptr<core::ModelBundle> model, AnalysisRequest request)
    : m_model(std::move(model)), m_request(std::move(request))
{
}

void AnalysisWorker::run()
{
    try {
        core::CalibrationOptions co{m_request.images, m_request.seed, "train"};
        auto calib = core::loadCalibrationSet(m_request.data.toStdString(), m_model->meta.config, co);
        core::ProfileOptions po;
        po.tokens = core::tokenSetFromString(m_request.tokens.toStdString());
        ThrottledProgress p1(this, 0.0, 0.2);
        auto profile = core::profileEntropy(*m_model, calib, po, p1, &m_cancel);
        profile.provenance["calibration"] = core::calibrationJson(calib, co);
        Q_EMIT profileReady(profile);
        ThrottledProgress p2(this, 0.2, 1.0);
        core::TeOptions to;
        auto selection =
            core::selectNose(*m_model, calib, core::countForRatio(*m_model, m_request.ratio), to, p2, &m_cancel);
        Q_EMIT selectionReady(selection);
        Q_EMIT finished();
    } catch (const std::exception& e) {
        Q_EMIT failed(QString::fromStdString(e.what()));
    }
}

} // namespace mlpify::app
