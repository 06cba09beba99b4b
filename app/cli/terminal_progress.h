// A one-line progress bar with ETA on stderr, redrawn at most ~10 times a second.
#pragma once

#include "core/progress.h"

#include <chrono>

namespace mlpify::app {

class TerminalProgress : public core::Progress {
public:
    explicit TerminalProgress(bool enabled = true);
    ~TerminalProgress() override;
    void report(double fraction, const std::string& message) override;
    void stateChanged(core::RunState state, const std::string& message) override;
    void notice(const std::string& line) override; // on stdout, rank 0 only
    void finish();                                 // ends the line

private:
    bool m_enabled;
    bool m_news; // pause/resume lines when not drawing a bar (logs); off for ranks other than 0
    bool m_drawn = false;
    std::chrono::steady_clock::time_point m_start;
    std::chrono::steady_clock::time_point m_lastDraw;
};

// Ctrl-C sets this token's cancel flag (a second Ctrl-C kills the process as usual);
// SIGUSR1 (`kill -USR1 PID`) pauses a training run at the next batch and resumes it.
core::CancelToken& interruptToken();
void installInterruptHandler();

} // namespace mlpify::app
