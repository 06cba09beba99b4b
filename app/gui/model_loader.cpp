#include "app/gui/model_loader.h"

#include "core/error.h"
#include "core/io/model_io.h"

#include <QPointer>
#include <QtConcurrent/QtConcurrent>

namespace mlpify::app {

void ModelLoader::load(const QString& spec)
{
    const quint64 request = ++m_latest;
    QPointer<ModelLoader> self(this);
    const std::string path = spec.toStdString();
    (void)QtConcurrent::run([self, request, path] {
        std::shared_ptr<core::ModelBundle> model;
        core::ModelSummary summary;
        QString error;
        try {
            model = std::make_shared<core::ModelBundle>(core::loadModel(path));
            summary = core::summarize(*model);
        } catch (const std::exception& e) {
            error = QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(
            self.data(),
            [self, request, model, summary, error] {
                if (!self || request != self->m_latest)
                    return; // stale: a newer load was asked for
                if (error.isEmpty())
                    Q_EMIT self->loaded(model, summary);
                else
                    Q_EMIT self->failed(error);
            },
            Qt::QueuedConnection);
    });
}

} // namespace mlpify::app
