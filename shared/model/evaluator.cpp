#include "shared/model/evaluator.h"

#include "shared/core/error.h"
#include "shared/model/host_buffers.h"

namespace zp::model {

namespace {

class UniformEvaluator final : public Evaluator {
 public:
  UniformEvaluator(const game::Game& game, int max_batch) : host_(game, max_batch) {}
  BatchBuffers& buffers() override { return host_.get(); }
  void compute(int n) override {
    BatchBuffers& b = host_.get();
    ZP_CHECK(n >= 1 && n <= b.max_batch);
    for (int i = 0; i < n; ++i) {
      const uint8_t* legal = b.legal + static_cast<size_t>(i) * b.num_actions;
      float* policy = b.policy + static_cast<size_t>(i) * b.num_actions;
      int count = 0;
      for (int a = 0; a < b.num_actions; ++a) count += legal[a];
      const float p = count > 0 ? 1.0f / count : 0.0f;
      for (int a = 0; a < b.num_actions; ++a) policy[a] = legal[a] ? p : 0.0f;
      b.value[i] = 0.0f;
    }
  }
  std::string describe() const override { return "uniform"; }

 private:
  HostBuffers host_;
};

}  // namespace

std::unique_ptr<Evaluator> make_uniform_evaluator(const game::Game& game, int max_batch) {
  return std::make_unique<UniformEvaluator>(game, max_batch);
}

}  // namespace zp::model
