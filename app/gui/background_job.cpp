#include "app/gui/background_job.h"

#include "core/error.h"

#include <QMetaObject>
#include <QThread>

#include <chrono>

namespace mlpify::app {

namespace {
// Coalesces progress to one signal every ~40 ms: the GUI is throttled, not the computation.
class ThrottledProgress : public core::Progress {
public:
    explicit ThrottledProgress(BackgroundJob* job) : m_job(job) {}
    void report(double fraction, const std::string& message) override
    {
        const auto now = std::chrono::steady_clock::now();
        if (fraction < 1.0 && now - m_last < std::chrono::milliseconds(40))
            return;
        m_last = now;
        Q_EMIT m_job->progress(fraction, QString::fromStdString(message));
    }
    void stateChanged(core::RunState state, const std::string& message) override
    {
        Q_EMIT m_job->pauseChanged(state == core::RunState::Paused, QString::fromStdString(message)); // never throttled
    }

private:
    BackgroundJob* m_job;
    std::chrono::steady_clock::time_point m_last{};
};
} // namespace

BackgroundJob::BackgroundJob(QObject* parent) : QObject(parent)
{
}

BackgroundJob::~BackgroundJob()
{
    stop();
}

void BackgroundJob::stop()
{
    if (!m_thread)
        return;
    cancel();
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
}

bool BackgroundJob::start(const QString& title, Work work)
{
    if (m_thread)
        return false;
    m_title = title;
    m_token = std::make_shared<core::CancelToken>();
    auto token = m_token;
    m_thread = QThread::create([this, token, work = std::move(work)] {
        ThrottledProgress progress(this);
        JobEnd end = JobEnd::Done;
        QString message;
        try {
            work(progress, *token);
            if (token->cancelled())
                end = JobEnd::Cancelled;
        } catch (const core::Cancelled&) {
            end = JobEnd::Cancelled;
        } catch (const std::exception& e) {
            end = token->cancelled() ? JobEnd::Cancelled : JobEnd::Failed;
            message = QString::fromStdString(e.what());
        }
        if (end == JobEnd::Cancelled)
            message = tr("cancelled");
        QMetaObject::invokeMethod(
            this, [this, end, message] { done(end, message); }, Qt::QueuedConnection);
    });
    m_thread->start();
    return true;
}

void BackgroundJob::done(JobEnd end, const QString& message)
{
    // The work has returned; the thread is finishing its last instructions (or stop() has
    // already joined it).
    stop();
    Q_EMIT finished(end, message);
}

void BackgroundJob::cancel()
{
    if (m_token) {
        m_token->cancel();
        m_token->setPaused(false);
    }
}

void BackgroundJob::setPaused(bool paused)
{
    if (m_token && m_thread)
        m_token->setPaused(paused);
}

void BackgroundJob::post(std::function<void()> fn)
{
    QMetaObject::invokeMethod(this, std::move(fn), Qt::QueuedConnection);
}

} // namespace mlpify::app
