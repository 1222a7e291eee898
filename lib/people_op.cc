// TensorFlow op PosecutPeople: one image's network outputs in, people out (lib/people.hpp).
//
// It lets an exported SavedModel's serving signature return people. Built against the installed
// TensorFlow by lib/people_op.py; a process loads it (tf.load_op_library) before loading such a
// SavedModel.
#include <cstring>
#include <string>

#include "people.hpp"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace posecut {
namespace {

using ::tensorflow::DEVICE_CPU;
using ::tensorflow::OpKernel;
using ::tensorflow::OpKernelConstruction;
using ::tensorflow::OpKernelContext;
using ::tensorflow::Tensor;
using ::tensorflow::TensorShape;
using ::tensorflow::shape_inference::InferenceContext;

REGISTER_OP("PosecutPeople")
    .Input("part_prob: float")        // [1, h, w, J] sigmoid scores
    .Input("locref: float")           // [1, h, w, 2J] raw refinements
    .Input("pairwise: float")         // [1, h, w, 2P] raw offsets, P slots of the head
    .Input("pairwise_means: double")  // [J(J-1), 2] in DeeperCut's pair order
    .Input("pairwise_stds: double")   // [J(J-1), 2]
    .Input("pair_slots: int32")       // [J, J] slot of each ordered pair, -1: none
    .Input("linked: bool")            // [J, J]
    .Input("fitted: bool")            // [J, J]
    .Input("coef: double")            // [J, J, 8]
    .Input("bias: double")            // [J, J]
    .Input("same_coef: double")       // [J]
    .Input("same_bias: double")       // [J]
    .Input("max_dist2: double")       // [J, J]
    .Input("geometry: double")        // [stride, nms_radius, offset_gate_px, offset_gate_rel]
    .Attr("locref_stdev: float")
    .Attr("det_min_score: float")
    .Attr("min_person_parts: int")
    .Attr("duplicate_px: float = 0.0")
    .Output("poses: float")   // [K, J, 3] x, y, score
    .Output("scores: float")  // [K]
    .SetShapeFn([](InferenceContext* c) {
        c->set_output(0, c->MakeShape({c->UnknownDim(), c->Dim(c->input(0), 3), 3}));
        c->set_output(1, c->Vector(c->UnknownDim()));
        return absl::OkStatus();
    })
    .Doc("People of one image's network outputs: NMS, pairwise graph, multicut, assembly.");

// Checks that `t` has the shape `dims`; names the input in the error.
absl::Status expect_shape(const Tensor& t, const char* name, std::initializer_list<int64_t> dims) {
    TensorShape want;
    for (int64_t d : dims) want.AddDim(d);
    if (t.shape() == want) return absl::OkStatus();
    return absl::InvalidArgumentError(std::string("PosecutPeople: ") + name + ": expected shape " +
                                      want.DebugString() + ", got " + t.shape().DebugString());
}

class PeopleOp : public OpKernel {
  public:
    explicit PeopleOp(OpKernelConstruction* c) : OpKernel(c) {
        OP_REQUIRES_OK(c, c->GetAttr("locref_stdev", &settings_.locref_stdev));
        OP_REQUIRES_OK(c, c->GetAttr("det_min_score", &settings_.det_min_score));
        int64_t min_parts = 1;
        OP_REQUIRES_OK(c, c->GetAttr("min_person_parts", &min_parts));
        settings_.min_person_parts = static_cast<int>(min_parts);
        float duplicate_px = 0.0f;
        OP_REQUIRES_OK(c, c->GetAttr("duplicate_px", &duplicate_px));
        settings_.duplicate_px = duplicate_px;
    }

    void Compute(OpKernelContext* c) override {
        const Tensor& prob = c->input(0);
        OP_REQUIRES(c, prob.dims() == 4 && prob.dim_size(0) == 1,
                    absl::InvalidArgumentError("PosecutPeople: part_prob: expected shape "
                                               "[1, height, width, joints], got " +
                                               prob.shape().DebugString()));
        const int64_t h = prob.dim_size(1), w = prob.dim_size(2), j = prob.dim_size(3);
        const int64_t rows = j * (j - 1);
        const Tensor& raw_pairwise = c->input(2);
        const int64_t slots = raw_pairwise.dims() == 4 ? raw_pairwise.dim_size(3) / 2 : 0;
        OP_REQUIRES_OK(c, expect_shape(c->input(1), "locref", {1, h, w, 2 * j}));
        OP_REQUIRES_OK(c, expect_shape(raw_pairwise, "pairwise", {1, h, w, 2 * slots}));
        OP_REQUIRES_OK(c, expect_shape(c->input(3), "pairwise_means", {rows, 2}));
        OP_REQUIRES_OK(c, expect_shape(c->input(4), "pairwise_stds", {rows, 2}));
        OP_REQUIRES_OK(c, expect_shape(c->input(5), "pair_slots", {j, j}));
        OP_REQUIRES_OK(c, expect_shape(c->input(6), "linked", {j, j}));
        OP_REQUIRES_OK(c, expect_shape(c->input(7), "fitted", {j, j}));
        OP_REQUIRES_OK(c, expect_shape(c->input(8), "coef", {j, j, 8}));
        OP_REQUIRES_OK(c, expect_shape(c->input(9), "bias", {j, j}));
        OP_REQUIRES_OK(c, expect_shape(c->input(10), "same_coef", {j}));
        OP_REQUIRES_OK(c, expect_shape(c->input(11), "same_bias", {j}));
        OP_REQUIRES_OK(c, expect_shape(c->input(12), "max_dist2", {j, j}));
        OP_REQUIRES_OK(c, expect_shape(c->input(13), "geometry", {4}));

        people::Settings s = settings_;
        const double* geometry = c->input(13).flat<double>().data();
        s.stride = geometry[0];
        s.nms_radius = geometry[1];

        people::Outputs o;
        o.height = h;
        o.width = w;
        o.joints = static_cast<int>(j);
        o.part_prob = prob.flat<float>().data();
        o.locref = c->input(1).flat<float>().data();
        o.pairwise = raw_pairwise.flat<float>().data();
        o.pairs = slots;
        o.pair_slots = c->input(5).flat<int32_t>().data();
        o.means = c->input(3).flat<double>().data();
        o.stds = c->input(4).flat<double>().data();

        static_assert(sizeof(bool) == sizeof(uint8_t), "bool tensors are read as bytes");
        pairwise::Model m;
        m.linked = reinterpret_cast<const uint8_t*>(c->input(6).flat<bool>().data());
        m.fitted = reinterpret_cast<const uint8_t*>(c->input(7).flat<bool>().data());
        m.coef = c->input(8).flat<double>().data();
        m.bias = c->input(9).flat<double>().data();
        m.same_coef = c->input(10).flat<double>().data();
        m.same_bias = c->input(11).flat<double>().data();
        m.max_dist2 = c->input(12).flat<double>().data();
        m.gate_px = geometry[2];
        m.gate_rel = geometry[3];

        people::People result;
        const people::Problem problem = people::people_from_outputs(o, s, m, result);
        OP_REQUIRES(c, problem.message.empty(),
                    absl::InvalidArgumentError("PosecutPeople: " + problem.message));

        const int64_t k = static_cast<int64_t>(result.scores.size());
        Tensor* poses = nullptr;
        Tensor* scores = nullptr;
        OP_REQUIRES_OK(c, c->allocate_output(0, TensorShape({k, j, 3}), &poses));
        OP_REQUIRES_OK(c, c->allocate_output(1, TensorShape({k}), &scores));
        float* pose_out = poses->flat<float>().data();
        for (size_t i = 0; i < result.poses.size(); ++i) {
            pose_out[i] = static_cast<float>(result.poses[i]);
        }
        float* score_out = scores->flat<float>().data();
        for (int64_t i = 0; i < k; ++i) score_out[i] = static_cast<float>(result.scores[i]);
    }

  private:
    people::Settings settings_;
};

REGISTER_KERNEL_BUILDER(Name("PosecutPeople").Device(DEVICE_CPU), PeopleOp);

}  // namespace
}  // namespace posecut
