// One long computation at a time on a worker thread, with throttled progress, pause and an
// atomic cancel flag. Work hands results to the GUI thread with post(); the window never
// waits on it except when the job has already finished or is being torn down. The latest
// request wins: starting a job while one runs cancels the running one, drops what it still
// posts, and starts the new one as soon as the old one has returned.
#pragma once

#include "core/progress.h"

#include <QObject>
#include <QPointer>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

class QThread;

namespace mlpify::app {

// How a job ended: its work returned, it was cancelled (core::Cancelled, or the token was set,
// also by a newer request), or it failed with an error.
enum class JobEnd { Done, Cancelled, Failed };

class BackgroundJob : public QObject {
    Q_OBJECT
public:
    // Runs on the worker thread. Throwing ends the job with the exception's message.
    using Work = std::function<void(core::Progress& progress, const core::CancelToken& cancel)>;
    // Runs on the GUI thread when that job has ended (message: the error, "cancelled", or empty).
    using Done = std::function<void(JobEnd end, const QString& message)>;

    explicit BackgroundJob(QObject* parent = nullptr);
    ~BackgroundJob() override; // cancels a running job and waits for it

    // Starts work, or, while a job runs, cancels that one and starts work when it has returned
    // (a request already waiting is replaced, and its done is told it was cancelled).
    void start(const QString& title, Work work, Done done = {});
    bool running() const { return m_thread != nullptr; }
    bool waiting() const { return m_waiting.has_value(); } // a newer request waits for the running job
    const QString& title() const { return m_title; }
    void cancel(); // the running job (and a waiting one)
    // Cancels a running job and waits for its thread: an owner calls it before its own members go
    // away, since the work's callbacks may still use them until the thread ends.
    void stop();
    void setPaused(bool paused);
    bool paused() const { return m_token && m_token->paused(); }

    // Calls fn on the GUI thread (queued), e.g. to hand over a result from inside the work; a
    // result of a job cancelled by then is dropped.
    void post(std::function<void()> fn);

Q_SIGNALS:
    void progress(double fraction, const QString& message);
    void finished(JobEnd end, const QString& message); // every job's end, after its own done
    // A training run paused (true) or running again (false), with the trainer's words for it.
    void pauseChanged(bool paused, const QString& message);
    void notice(const QString& line); // core::Progress::notice, never throttled

private:
    struct Request {
        QString title;
        Work work;
        Done done;
    };
    void launch(Request request);
    void ended(const std::shared_ptr<core::CancelToken>& token, JobEnd end, const QString& message);

    QThread* m_thread = nullptr;
    std::shared_ptr<core::CancelToken> m_token;
    QString m_title;
    Done m_done;
    std::optional<Request> m_waiting;
};

} // namespace mlpify::app
