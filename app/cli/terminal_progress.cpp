#include "app/cli/terminal_progress.h"

#include <csignal>
#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace mlpify::app {

TerminalProgress::TerminalProgress(bool enabled)
    : m_enabled(enabled && isatty(STDERR_FILENO)), m_news(enabled), m_start(std::chrono::steady_clock::now())
{
}

TerminalProgress::~TerminalProgress()
{
    finish();
}

void TerminalProgress::report(double fraction, const std::string& message)
{
    if (!m_enabled)
        return;
    const auto now = std::chrono::steady_clock::now();
    if (m_drawn && fraction < 1.0 && now - m_lastDraw < std::chrono::milliseconds(100))
        return;
    m_lastDraw = now;
    m_drawn = true;
    const double elapsed = std::chrono::duration<double>(now - m_start).count();
    const int width = 30;
    const int filled = static_cast<int>(fraction * width);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(width, '.');
    char eta[32] = "--:--";
    if (fraction > 0.001) {
        const int left = static_cast<int>(elapsed / fraction - elapsed);
        std::snprintf(eta, sizeof eta, "%d:%02d", left / 60, left % 60);
    }
    std::fprintf(stderr, "\r[%s] %5.1f%%  ETA %s  %-40.40s", bar.c_str(), 100.0 * fraction, eta, message.c_str());
    std::fflush(stderr);
}

void TerminalProgress::stateChanged(core::RunState, const std::string& message)
{
    if (m_news && !m_enabled) // news even in a log; a drawn bar shows it on its line
        std::fprintf(stderr, "%s\n", message.c_str());
}

void TerminalProgress::notice(const std::string& line)
{
    if (!m_news)
        return;
    finish(); // the bar's line ends first
    std::cout << line << std::endl;
}

void TerminalProgress::finish()
{
    if (m_enabled && m_drawn) {
        std::fprintf(stderr, "\n");
        m_drawn = false;
    }
}

core::CancelToken& interruptToken()
{
    static core::CancelToken token;
    return token;
}

namespace {
void onInterrupt(int)
{
    interruptToken().cancel();
    std::signal(SIGINT, SIG_DFL);
}

void onPauseToggle(int)
{
    auto& token = interruptToken();
    token.setPaused(!token.paused());
}
} // namespace

void installInterruptHandler()
{
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGUSR1, onPauseToggle);
    // Past a file size limit (ulimit -f) a write then fails with EFBIG and is reported as an error
    // naming the file, instead of the signal killing the process in the middle of the write.
    std::signal(SIGXFSZ, SIG_IGN);
}

} // namespace mlpify::app
