// The commands that draw (figures, front, attention) draw in their own process on Qt's offscreen
// platform, with Qt's own warnings kept out of their output.
#pragma once

#include <QApplication>

#include <memory>

namespace mlpify::app {

// A QApplication on the offscreen platform, or null when one already exists (tests).
std::unique_ptr<QApplication> startOffscreenQt();

} // namespace mlpify::app
