// Progress reporting and cooperative cancellation for long core work; no threads in here.
#pragma once

#include <atomic>
#include <functional>
#include <string>

namespace mlpify::core {

// Set from any thread; long loops poll it once per batch.
class CancelToken {
public:
    void cancel() { m_cancelled.store(true); }
    void reset() { m_cancelled.store(false); }
    bool cancelled() const { return m_cancelled.load(); }

    void setPaused(bool paused) { m_paused.store(paused); }
    bool paused() const { return m_paused.load(); }

private:
    std::atomic<bool> m_cancelled{false};
    std::atomic<bool> m_paused{false};
};

// How a long run stands, as a value (never read out of message text).
enum class RunState { Running, Paused };

class Progress {
public:
    virtual ~Progress() = default;
    // fraction in [0, 1]; message is a short human-readable status line.
    virtual void report(double fraction, const std::string& message) = 0;
    // A training run paused (its checkpoint written) or running again; message says at which
    // step. Reported besides report(), so a view that shows only the status line loses nothing.
    virtual void stateChanged(RunState state, const std::string& message)
    {
        (void)state;
        (void)message;
    }
    // One line of news a person should see besides the bar (the data resized, the blocks a method
    // chose, a new head): the CLI prints it, the window shows it in the run's status.
    virtual void notice(const std::string& line) { (void)line; }
};

// A part [from, to] of a parent's progress: a child's fraction f is reported to the parent as
// from + f (to - from), with the child's message, or with label when one is given. State
// changes pass through.
class ProgressSpan : public Progress {
public:
    ProgressSpan(Progress& parent, double from, double to, std::string label = {})
        : m_parent(parent), m_from(from), m_to(to), m_label(std::move(label))
    {
    }
    void report(double f, const std::string& message) override
    {
        m_parent.report(m_from + f * (m_to - m_from), m_label.empty() ? message : m_label);
    }
    void stateChanged(RunState state, const std::string& message) override { m_parent.stateChanged(state, message); }
    void notice(const std::string& line) override { m_parent.notice(line); }

private:
    Progress& m_parent;
    double m_from, m_to;
    std::string m_label;
};

// Adapts a lambda; also the "do nothing" progress when given an empty function.
class FunctionProgress : public Progress {
public:
    explicit FunctionProgress(std::function<void(double, const std::string&)> fn = {}) : m_fn(std::move(fn)) {}
    void report(double fraction, const std::string& message) override
    {
        if (m_fn)
            m_fn(fraction, message);
    }

private:
    std::function<void(double, const std::string&)> m_fn;
};

} // namespace mlpify::core
