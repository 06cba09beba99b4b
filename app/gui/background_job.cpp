#include "app/gui/background_job.h"

#include "core/error.h"

#include <QMetaObject>
#include <QThread>

#include <chrono>
#include <utility>

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
    void notice(const std::string& line) override { Q_EMIT m_job->notice(QString::fromStdString(line)); }

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
    cancel();
    if (!m_thread)
        return;
    m_thread->wait(); // its end is still queued: ended() reports it when the event loop runs
    delete m_thread;
    m_thread = nullptr;
}

void BackgroundJob::start(const QString& title, Work work, Done done)
{
    Request request{title, std::move(work), std::move(done)};
    if (!m_thread) {
        launch(std::move(request));
        return;
    }
    cancel(); // the running one ends at its next check; ended() then starts this one
    m_waiting = std::move(request);
}

void BackgroundJob::launch(Request request)
{
    if (m_done) // a job stop() reaped whose end was not reported yet: it ended cancelled
        std::exchange(m_done, {})(JobEnd::Cancelled, tr("cancelled"));
    m_title = request.title;
    m_done = std::move(request.done);
    m_token = std::make_shared<core::CancelToken>();
    auto token = m_token;
    m_thread = QThread::create([this, token, work = std::move(request.work)] {
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
            this, [this, token, end, message] { ended(token, end, message); }, Qt::QueuedConnection);
    });
    m_thread->start();
}

void BackgroundJob::ended(const std::shared_ptr<core::CancelToken>& token, JobEnd end, const QString& message)
{
    if (token != m_token)
        return;     // a job stop() reaped, reported when the next one was launched
    if (m_thread) { // the work has returned; the thread is finishing its last instructions
        m_thread->wait();
        delete m_thread;
        m_thread = nullptr;
    }
    auto done = std::move(m_done);
    m_done = {};
    if (done)
        done(end, message);
    Q_EMIT finished(end, message);
    if (m_waiting && !m_thread) {
        auto next = std::move(*m_waiting);
        m_waiting.reset();
        launch(std::move(next));
    }
}

void BackgroundJob::cancel()
{
    if (m_waiting) { // a request replaced or cancelled before it ran
        auto done = std::move(m_waiting->done);
        m_waiting.reset();
        if (done)
            done(JobEnd::Cancelled, tr("cancelled"));
    }
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
    // Called on the worker: m_token is that job's own until it has ended (a newer request waits).
    QMetaObject::invokeMethod(
        this,
        [token = m_token, fn = std::move(fn)] {
            if (!token->cancelled())
                fn();
        },
        Qt::QueuedConnection);
}

} // namespace mlpify::app
