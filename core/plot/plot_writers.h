// A Plot as text another tool draws: a pgfplots/TikZ picture that pdflatex compiles, and a
// matplotlib script that redraws the figure from its CSV. Both use the same ticks, ranges, palette
// and numbers as the PDF, SVG and PNG that MLPify draws (widgets/print_figure.h).
#pragma once

#include "core/plot/plot.h"

#include <string>

namespace mlpify::core {

// The tikzpicture alone (for \input in a paper that loads pgfplots), with the data inline.
std::string pgfplotsPicture(const Plot& plot, const PrintSize& size);
// A standalone document around the picture: `pdflatex NAME.tex` gives the figure as a PDF.
std::string pgfplotsDocument(const Plot& plot, const PrintSize& size);

// A Python script that reads csvName (beside it) and writes the figure with matplotlib: to the
// path given as its argument, else to NAME-matplotlib.pdf beside it.
std::string matplotlibScript(const Plot& plot, const PrintSize& size, const std::string& csvName);

} // namespace mlpify::core
