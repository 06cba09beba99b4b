#include "core/model/token_merging.h"

#include "core/model/merge_schedule.h"

#include <limits>

namespace mlpify::core {

MergePlan planMerge(const torch::Tensor& metric, int64_t r, bool distilled)
{
    MergePlan plan;
    plan.distilled = distilled;
    const auto t = metric.size(1);
    plan.r = mergeCount(r, t, distilled);
    if (plan.r == 0)
        return plan;
    torch::NoGradGuard noGrad;
    const auto m = metric / metric.norm(2, -1, /*keepdim=*/true);
    const auto a = m.slice(1, 0, t, 2), b = m.slice(1, 1, t, 2);
    auto scores = torch::matmul(a, b.transpose(-1, -2)); // [B, |A|, |B|] cosine similarities
    const double never = -std::numeric_limits<double>::infinity();
    scores.select(1, 0).fill_(never); // the class token is not merged away
    if (distilled)
        scores.select(2, 0).fill_(never); // nothing joins the distillation token
    const auto [best, bestIndex] = scores.max(-1);
    // Most similar first; a stable sort keeps equal scores in token order on every machine.
    const auto order = std::get<1>(torch::sort(best, c10::optional<bool>(true), /*dim=*/-1, /*descending=*/true));
    plan.merged = order.narrow(1, 0, plan.r);
    plan.kept = std::get<0>(torch::sort(order.narrow(1, plan.r, order.size(1) - plan.r), c10::optional<bool>(true),
                                        /*dim=*/-1, /*descending=*/false));
    plan.into = bestIndex.gather(1, plan.merged);
    return plan;
}

torch::Tensor mergeSum(const MergePlan& plan, const torch::Tensor& x)
{
    if (plan.r == 0)
        return x;
    const auto n = x.size(0), t = x.size(1), c = x.size(2);
    const auto a = x.slice(1, 0, t, 2), b = x.slice(1, 1, t, 2);
    const auto spread = [&](const torch::Tensor& index) { return index.unsqueeze(-1).expand({n, index.size(1), c}); };
    const auto kept = a.gather(1, spread(plan.kept));
    const auto moved = a.gather(1, spread(plan.merged));
    const auto joined = b.scatter_add(1, spread(plan.into), moved);
    if (plan.distilled) // [class, distillation, the other kept A, the other B]
        return torch::cat({kept.narrow(1, 0, 1), joined.narrow(1, 0, 1), kept.narrow(1, 1, kept.size(1) - 1),
                           joined.narrow(1, 1, joined.size(1) - 1)},
                          1);
    return torch::cat({kept, joined}, 1);
}

std::pair<torch::Tensor, torch::Tensor> mergeWeighted(const MergePlan& plan, const torch::Tensor& x,
                                                      const torch::Tensor& size)
{
    if (plan.r == 0)
        return {x, size};
    const auto total = mergeSum(plan, size);
    return {mergeSum(plan, x * size) / total, total};
}

} // namespace mlpify::core
