// The candidates every layer-selection method chooses from: the blocks that still have
// attention, and the check of how many of them a selection may take.
#pragma once

#include "core/model/model_bundle.h"

#include <cstdint>
#include <vector>

namespace mlpify::core {

// The blocks that still have attention, in index order.
std::vector<int64_t> attentionLayers(const ModelBundle& model);
// Error unless 1 <= count <= the attention layers left.
void checkSelectionCount(const ModelBundle& model, int64_t count);
// The candidates of a selection of count layers: attentionLayers, once checkSelectionCount holds.
std::vector<int64_t> selectionCandidates(const ModelBundle& model, int64_t count);

} // namespace mlpify::core
