// The Slim tab's instant what-if on its own worker: the model opened again from its spec (so no
// other job's use of the window's model can interfere), a few hundred labelled calibration
// images, and core::WhatIf's stream states kept between requests. The latest request wins.
#pragma once

#include "core/analysis/what_if_result.h"

#include <QObject>
#include <QString>
#include <QVector>

#include <memory>
#include <optional>

namespace mlpify::app {

class BackgroundJob;

class WhatIfRunner : public QObject {
    Q_OBJECT
public:
    explicit WhatIfRunner(QObject* parent = nullptr);
    ~WhatIfRunner() override;

    static constexpr int64_t kImages = 256; // calibration images the what-if evaluates on

    // The model and images later requests use: the first kImages of `images` calibration images
    // of data's training split (seed 0, as the analysis draws them); a change drops the kept states.
    void setSource(const QString& modelSpec, const QString& data, int64_t images);
    // Evaluates the set on the worker; resultReady() or failed() follows unless a newer request
    // replaces it first.
    void request(const QVector<int>& removed);
    const std::optional<core::WhatIfResult>& last() const { return m_last; }
    bool busy() const;

Q_SIGNALS:
    void resultReady();
    void failed(const QString& message);

private:
    struct Engine;
    BackgroundJob* m_job;
    std::shared_ptr<Engine> m_engine; // used only on the worker
    QString m_spec, m_data;
    int64_t m_images = 0;
    std::optional<core::WhatIfResult> m_last;
};

} // namespace mlpify::app
