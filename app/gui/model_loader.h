// Loads a model off the GUI thread; the window gets the result through a queued signal.
#pragma once

#include "core/model/model_summary.h"

#include <QObject>
#include <QString>

#include <memory>

namespace mlpify::core {
struct ModelBundle;
}

namespace mlpify::app {

class ModelLoader : public QObject {
    Q_OBJECT
public:
    explicit ModelLoader(QObject* parent = nullptr) : QObject(parent) {}
    // Starts a load; a newer request makes the result of an older one be dropped.
    void load(const QString& spec);

Q_SIGNALS:
    void loaded(std::shared_ptr<mlpify::core::ModelBundle> model, mlpify::core::ModelSummary summary);
    void failed(const QString& message);

private:
    quint64 m_latest = 0;
};

} // namespace mlpify::app
