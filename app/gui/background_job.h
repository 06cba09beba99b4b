// One long computation at a time on a worker thread, with throttled progress, pause and an
// atomic cancel flag. Work hands results to the GUI thread with post(); the window never
// waits on it except when the job has already finished or is being torn down.
#pragma once

#include "core/progress.h"

#include <QObject>
#include <QPointer>
#include <QString>

#include <functional>
#include <memory>

class QThread;

namespace mlpify::app {

// How a job ended: its work returned, it was cancelled (core::Cancelled, or the token was set),
// or it failed with an error.
enum class JobEnd { Done, Cancelled, Failed };

class BackgroundJob : public QObject {
    Q_OBJECT
public:
    // Runs on the worker thread. Throwing ends the job with the exception's message.
    using Work = std::function<void(core::Progress& progress, const core::CancelToken& cancel)>;

    explicit BackgroundJob(QObject* parent = nullptr);
    ~BackgroundJob() override; // cancels a running job and waits for it

    // false (and nothing started) when a job is already running.
    bool start(const QString& title, Work work);
    bool running() const { return m_thread != nullptr; }
    const QString& title() const { return m_title; }
    void cancel();
    // Cancels a running job and waits for its thread: an owner calls it before its own members go
    // away, since the work's callbacks may still use them until the thread ends.
    void stop();
    void setPaused(bool paused);
    bool paused() const { return m_token && m_token->paused(); }

    // Calls fn on the GUI thread (queued), e.g. to hand over a result from inside the work.
    void post(std::function<void()> fn);

Q_SIGNALS:
    void progress(double fraction, const QString& message);
    void finished(JobEnd end, const QString& message); // message: the error, "cancelled", or empty
    // A training run paused (true) or running again (false), with the trainer's words for it.
    void pauseChanged(bool paused, const QString& message);

private:
    void done(JobEnd end, const QString& message);

    QThread* m_thread = nullptr;
    std::shared_ptr<core::CancelToken> m_token;
    QString m_title;
};

} // namespace mlpify::app
