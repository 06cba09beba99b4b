#include "app/gui/what_if_runner.h"

#include "app/gui/background_job.h"
#include "core/analysis/calibration.h"
#include "core/analysis/what_if.h"
#include "core/io/model_io.h"

#include <algorithm>

namespace mlpify::app {

struct WhatIfRunner::Engine {
    QString spec, data;
    core::CalibrationOptions calibration;
    std::unique_ptr<core::ModelBundle> model;
    std::unique_ptr<core::Dataset> images;
    std::unique_ptr<core::WhatIf> whatIf;
};

WhatIfRunner::WhatIfRunner(QObject* parent)
    : QObject(parent), m_job(new BackgroundJob(this)), m_engine(std::make_shared<Engine>())
{
}

WhatIfRunner::~WhatIfRunner()
{
    m_job->stop();
}

bool WhatIfRunner::busy() const
{
    return m_job->running();
}

void WhatIfRunner::setSource(const QString& modelSpec, const QString& data, int64_t images)
{
    if (modelSpec == m_spec && data == m_data && images == m_images)
        return;
    m_spec = modelSpec;
    m_data = data;
    m_images = images;
    m_last.reset();
}

void WhatIfRunner::request(const QVector<int>& removedIn)
{
    if (m_spec.isEmpty())
        return;
    const std::vector<int64_t> removed(removedIn.begin(), removedIn.end());
    auto engine = m_engine;
    const auto spec = m_spec, data = m_data;
    const core::CalibrationOptions calibration{std::min(m_images, kImages), 0, "train"};
    auto result = std::make_shared<core::WhatIfResult>();
    m_job->start(
        tr("What-if"),
        [engine, spec, data, calibration, removed, result](core::Progress& progress, const core::CancelToken& cancel) {
            auto& e = *engine;
            if (!e.whatIf || e.spec != spec || e.data != data || e.calibration.images != calibration.images ||
                e.calibration.seed != calibration.seed || e.calibration.split != calibration.split) {
                e.whatIf.reset();
                e.model = std::make_unique<core::ModelBundle>(core::loadModel(spec.toStdString()));
                e.images = std::make_unique<core::Dataset>(
                    core::loadCalibrationSet(data.toStdString(), e.model->meta.config, calibration));
                core::TeOptions te;
                te.units = true; // sets may hold MLPs (depth + b); attention sets evaluate as without
                // not cancelled by a newer request: that one needs the same states
                e.whatIf = std::make_unique<core::WhatIf>(*e.model, *e.images, te, progress);
                e.spec = spec;
                e.data = data;
                e.calibration = calibration;
            }
            *result = e.whatIf->evaluate(removed, &cancel);
        },
        [this, result](JobEnd end, const QString& message) {
            if (end == JobEnd::Done) {
                m_last = *result;
                Q_EMIT resultReady();
            } else if (end == JobEnd::Failed)
                Q_EMIT failed(message);
        });
}

} // namespace mlpify::app
