// ExplainOptions{.threads, .rows_per_task} (analyzers/tasks.hpp): a batch explained in tasks of
// rows, on threads. The properties: a task's result is exactly that of its rows explained alone
// (so stacking is checked against independent single calls); the same tasks give the same bits on
// one thread or several (the number of threads never changes a result); per-sample selections,
// baselines and noise follow their rows into the tasks; and every analyzer agrees with the
// whole-batch run up to rounding (Eigen's products sum a row's terms in an order that depends on
// where the row sits in the batch, which is why the task, not the thread, is the unit of
// reproducibility). CI also runs this file under ThreadSanitizer (scripts/test.sh --tsan).

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <innspect/innspect.hpp>

#include "fill_weights.hpp"

namespace {

using namespace innspect;

// An image autoencoder with a classifier head: a conv with a batch norm to merge, a latent code,
// logits from it, and a reconstruction of the input's shape (for the reconstruction error).
using Net = Model<double, Input<6, 6, 1>,                                  //
                  Conv2D<"conv", 3, Kernel<3, 3>, Relu>,                   // (4, 4, 3)
                  BatchNormalization<"bn">,                                //
                  Flatten<"flat">,                                         // 48
                  Dense<"code", 5, Tanh>,                                  //
                  Dense<"logits", 3>,                                      //
                  From<"code", Dense<"dec", 36, Sigmoid>>,                 //
                  Reshape<"recon", Shape<6, 6, 1>>>;

Net make_net() {
    Net net;
    fill_weights(net, 777);
    return net;
}

Batch<double> inputs(Eigen::Index rows) {
    Batch<double> x(rows, 36);
    for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = 0.5 + 0.5 * std::sin(0.37 * double(i));
    return x;
}

void check_same(const Explanation<double>& a, const Explanation<double>& b, bool with_score = true) {
    CHECK(a.relevance == b.relevance);
    CHECK(a.initial == b.initial);
    if (with_score) CHECK(a.score == b.score);
    REQUIRE(a.layers.size() == b.layers.size());
    for (std::size_t l = 0; l < a.layers.size(); ++l) {
        CHECK(a.layers[l].layer == b.layers[l].layer);
        CHECK(a.layers[l].relevance == b.layers[l].relevance);
    }
    CHECK(a.at == b.at);
    CHECK(a.shape == b.shape);
}

/// `explain(x, t, {.threads = 1, .rows_per_task = per})` built by hand: each task's rows alone,
/// stacked — what the tasks must reproduce exactly.
template <class A>
Explanation<double> by_hand(const A& a, const Batch<double>& x, const Target<double>& t, Eigen::Index per, bool keep) {
    Explanation<double> all;
    std::vector<Batch<double>> rel, ini, lay;
    Eigen::Index rows = 0;
    for (Eigen::Index b = 0; b < x.rows(); b += per) {
        const Eigen::Index n = std::min(per, x.rows() - b);
        Target<double> tt = t;
        if (t.selection.values.rows() == x.rows()) tt.selection.values = t.selection.values.middleRows(b, n);
        const auto e = a.explain(Batch<double>(x.middleRows(b, n)), tt, ExplainOptions{.keep_layers = keep});
        if (b == 0) all = e;
        else {
            all.relevance.conservativeResize(rows + n, Eigen::NoChange);
            all.relevance.bottomRows(n) = e.relevance;
            all.initial.conservativeResize(rows + n, Eigen::NoChange);
            all.initial.bottomRows(n) = e.initial;
            all.score.conservativeResize(rows + n);
            all.score.tail(n) = e.score;
            for (std::size_t l = 0; l < all.layers.size(); ++l) {
                all.layers[l].relevance.conservativeResize(rows + n, Eigen::NoChange);
                all.layers[l].relevance.bottomRows(n) = e.layers[l].relevance;
            }
        }
        rows += n;
    }
    return all;
}

/// Every field, the conservation report included, exactly.
void check_identical(const Explanation<double>& a, const Explanation<double>& b) {
    check_same(a, b);
    const ConservationReport &r = a.report, &q = b.report;
    CHECK(r.initial == q.initial);
    CHECK(r.final == q.final);
    CHECK(r.bypassed == q.bypassed);
    CHECK(r.direct == q.direct);
    CHECK(r.has_direct == q.has_direct);
    REQUIRE(r.layers.size() == q.layers.size());
    for (std::size_t l = 0; l < r.layers.size(); ++l) {
        CHECK(r.layers[l].layer == q.layers[l].layer);
        CHECK(r.layers[l].rule == q.layers[l].rule);
        CHECK(r.layers[l].relevance_out == q.layers[l].relevance_out);
        CHECK(r.layers[l].relevance_in == q.layers[l].relevance_in);
        CHECK(r.layers[l].bias_absorbed == q.layers[l].bias_absorbed);
        CHECK(r.layers[l].stabilizer_lost == q.layers[l].stabilizer_lost);
    }
}

double max_rel_diff(const Batch<double>& a, const Batch<double>& b) {
    return (a - b).cwiseAbs().maxCoeff() / std::max(1e-300, b.cwiseAbs().maxCoeff());
}

}  // namespace

TEST_SUITE("tasks") {

TEST_CASE("LRP and the gradient family in tasks: each task as its rows alone, one thread or three alike") {
    const Net net = make_net();
    const Batch<double> x = inputs(7);
    const auto t = target("logits");
    const auto check_analyzer = [&](const auto& a, const char* name) {
        INFO(name);
        for (const bool keep : {false, true}) {
            const auto one = a.explain(x, t, {.keep_layers = keep, .threads = 1, .rows_per_task = 3});
            const auto three = a.explain(x, t, {.keep_layers = keep, .threads = 3, .rows_per_task = 3});
            check_same(one, three);
            check_same(one, by_hand(a, x, t, 3, keep));
            // rows_per_task = 0 shares the batch among the threads: ⌈7 / 2⌉ = 4 rows a task.
            check_same(a.explain(x, t, {.keep_layers = keep, .threads = 2}), by_hand(a, x, t, 4, keep));
            // The same explanation as the whole batch at once, up to rounding.
            const auto whole = a.explain(x, t, {.keep_layers = keep});
            CHECK(max_rel_diff(three.relevance, whole.relevance) < 1e-12);
            // From a forward pass: the trace is cut into the same tasks, one thread or three alike.
            // Its rows are the whole batch's forward pass, which matches each task's own pass only
            // up to rounding (Eigen's kernels sum a row by where it sits in the batch; with
            // AVX-512 row 0 of this batch differs in the last bit), so against `three` the check
            // is a tolerance.
            const Trace<double> trace = net.forward(x);
            const auto from_trace = a.explain(trace, t, {.keep_layers = keep, .threads = 3, .rows_per_task = 3});
            check_same(from_trace, a.explain(trace, t, {.keep_layers = keep, .threads = 1, .rows_per_task = 3}));
            CHECK(max_rel_diff(from_trace.relevance, three.relevance) < 1e-12);
        }
    };
    check_analyzer(lrp(net, Epsilon(1e-3)), "lrp epsilon");
    check_analyzer(lrp(net, presets::epsilon_alpha2_beta1()), "lrp composite");
    check_analyzer(gradient(net), "gradient");
    check_analyzer(input_x_gradient(net), "input x gradient");
    check_analyzer(guided_backprop(net), "guided backprop");
}

TEST_CASE("into a kept Explanation with kept workers: every field as the serial run of the same tasks, call after call") {
    const Net net = make_net();
    const auto t = target("logits");
    const auto recon = target("recon", select::all());
    const auto check_analyzer = [&](const auto& a, const char* name) {
        INFO(name);
        Explanation<double> kept, kept_trace;
        // Batch sizes and splits that change between calls (uneven last tasks: 7 = 3 + 3 + 1,
        // 4 + 3 on two threads, 5 = 2 + 2 + 1), more threads than before, then fewer; with and
        // without per-layer records, a logit and a whole reconstruction.
        struct Call {
            Eigen::Index batch;
            int threads;
            Eigen::Index per;
            bool keep;
        };
        for (const Call c : {Call{7, 2, 3, true}, Call{7, 2, 0, false}, Call{7, 3, 3, true}, Call{5, 2, 2, false},
                             Call{5, 3, 2, true}, Call{7, 2, 3, true}, Call{8, 2, 0, true}}) {
            for (const auto& tt : {t, recon}) {
                CAPTURE(c.batch);
                CAPTURE(c.threads);
                CAPTURE(c.per);
                CAPTURE(c.keep);
                CAPTURE(tt.layer);
                const Batch<double> x = inputs(c.batch);
                const ExplainOptions opt{.keep_layers = c.keep, .threads = c.threads, .rows_per_task = c.per};
                const Eigen::Index per = c.per > 0 ? c.per : (c.batch + c.threads - 1) / c.threads;
                const auto serial = a.explain(x, tt, {.keep_layers = c.keep, .threads = 1, .rows_per_task = per});
                check_same(serial, by_hand(a, x, tt, per, c.keep));
                a.explain(x, tt, kept, opt);
                check_identical(kept, serial);
                // The trace overload: each worker copies its rows of the trace into one it keeps;
                // the same bits as the serial tasks of that trace (the whole batch's forward pass,
                // equal to the tasks' own passes only up to rounding: see above).
                const Trace<double> trace = net.forward(x);
                a.explain(trace, tt, kept_trace, opt);
                check_identical(kept_trace, a.explain(trace, tt, {.keep_layers = c.keep, .threads = 1, .rows_per_task = per}));
                CHECK(max_rel_diff(kept_trace.relevance, serial.relevance) < 1e-12);
            }
        }
        // A copy of the analyzer starts without workers and makes its own.
        const auto copy = a;
        const Batch<double> x = inputs(6);
        check_identical(copy.explain(x, t, {.threads = 2}), a.explain(x, t, {.threads = 2}));
    };
    check_analyzer(lrp(net, Epsilon(1e-3)), "lrp epsilon");
    check_analyzer(lrp(net, AlphaBeta(2, 1)), "lrp alpha2beta1");
    check_analyzer(lrp(net, presets::epsilon_alpha2_beta1()), "lrp composite");
    check_analyzer(gradient(net), "gradient");
    check_analyzer(input_x_gradient(net), "input x gradient");
}

TEST_CASE("a failing task: its exception, the first in row order; the kept workers serve the next call") {
    const Net net = make_net();
    const auto a = lrp(net, Epsilon(1e-3));
    const auto t = target("recon", select::all());
    Batch<double> x = inputs(9);
    const auto good = a.explain(x, t, {.threads = 1, .rows_per_task = 3});
    Explanation<double> out;
    a.explain(x, t, out, {.threads = 2, .rows_per_task = 3});
    check_identical(out, good);
    // Row 7 (task 2, the calling thread's second) and row 4 (task 1, the kept thread's) not finite:
    // the error of task 1 is rethrown, whichever thread ran it.
    x(7, 3) = std::nan("");
    CHECK_THROWS_WITH_AS(a.explain(x, t, out, {.threads = 2, .rows_per_task = 3}), doctest::Contains("row 1, column 3"), value_error);
    x(4, 5) = std::numeric_limits<double>::infinity();
    CHECK_THROWS_WITH_AS(a.explain(x, t, out, {.threads = 2, .rows_per_task = 3}), doctest::Contains("row 1, column 5"),
                         value_error);
    // Only task 0 fails: the kept thread's tasks succeed, the call still throws.
    x = inputs(9);
    x(0, 0) = std::nan("");
    CHECK_THROWS_AS(a.explain(x, t, out, {.threads = 2, .rows_per_task = 3}), value_error);
    x = inputs(9);
    a.explain(x, t, out, {.threads = 2, .rows_per_task = 3});
    check_identical(out, good);
}

TEST_CASE("the conservation report adds the tasks' sums") {
    const Net net = make_net();
    const Batch<double> x = inputs(6);
    const auto a = lrp(net, Epsilon(1e-3));
    const auto t = target("recon", select::reconstruction_error());
    const auto whole = a.explain(x, t);
    const auto tasks = a.explain(x, t, {.threads = 2, .rows_per_task = 2});
    CHECK(tasks.report.initial == doctest::Approx(whole.report.initial).epsilon(1e-12));
    CHECK(tasks.report.final == doctest::Approx(whole.report.final).epsilon(1e-12));
    CHECK(tasks.report.direct == doctest::Approx(whole.report.direct).epsilon(1e-12));
    CHECK(tasks.report.has_direct);
    REQUIRE(tasks.report.layers.size() == whole.report.layers.size());
    for (std::size_t l = 0; l < whole.report.layers.size(); ++l) {
        CHECK(tasks.report.layers[l].layer == whole.report.layers[l].layer);
        CHECK(tasks.report.layers[l].relevance_out == doctest::Approx(whole.report.layers[l].relevance_out).epsilon(1e-12));
        CHECK(tasks.report.layers[l].relevance_in == doctest::Approx(whole.report.layers[l].relevance_in).epsilon(1e-12));
    }
}

TEST_CASE("per-sample selections follow their rows into the tasks; a broadcast row is kept") {
    const Net net = make_net();
    const Batch<double> x = inputs(5);
    Batch<double> mask(5, 36);
    for (Eigen::Index i = 0; i < mask.size(); ++i) mask.data()[i] = (i * 7) % 3 == 0 ? 1.0 : 0.0;
    Batch<double> dir(1, 5);
    dir << 1, -2, 0.5, 0, 3;
    const auto a = lrp(net, Epsilon(1e-3));
    for (const auto& t : {target("recon", select::mask(mask)), target("code", select::direction(dir)),
                          target("recon", select::reconstruction_error(mask))}) {
        const auto tasks = a.explain(x, t, {.threads = 2, .rows_per_task = 2});
        check_same(tasks, by_hand(a, x, t, 2, false));
        CHECK(max_rel_diff(tasks.relevance, a.explain(x, t).relevance) < 1e-12);
    }
}

TEST_CASE("integrated gradients, SmoothGrad, occlusion and the residual map in tasks") {
    const Net net = make_net();
    const Batch<double> x = inputs(5);
    const auto t = target("logits", select::index(1));
    // A per-sample baseline: each task must take its own rows of it.
    Batch<double> base(5, 36);
    for (Eigen::Index i = 0; i < base.size(); ++i) base.data()[i] = 0.1 * std::cos(double(i));
    const IntegratedGradients ig(net, 8, base);
    const SmoothGrad sg(net, 6, 0.2, 42);
    const Occlusion occ(net, 2, 2, 2, 2);
    // Threads never change the bits of the same tasks; against the whole batch the tasks agree up
    // to rounding: a sample's path, noisy copies or occluded copies go through the model as in
    // the whole batch, but several samples share a pass here (a small model), and x's own forward
    // pass (occlusion's reference score) sums a row by where it sits in the batch — with AVX-512
    // (-march=native) these differ in the last bits.
    for (const Eigen::Index per : {1, 2, 3}) {
        INFO("rows per task " << per);
        const ExplainOptions two{.threads = 2, .rows_per_task = per}, one{.threads = 1, .rows_per_task = per};
        const auto ig_tasks = ig.explain(x, t, two);
        const auto sg_tasks = sg.explain(x, t, two);
        const auto occ_tasks = occ.explain(x, t, two);
        CHECK(ig_tasks.relevance == ig.explain(x, t, one).relevance);
        CHECK(sg_tasks.relevance == sg.explain(x, t, one).relevance);
        CHECK(occ_tasks.relevance == occ.explain(x, t, one).relevance);
        CHECK(max_rel_diff(ig_tasks.relevance, ig.explain(x, t).relevance) < 1e-12);
        CHECK(max_rel_diff(sg_tasks.relevance, sg.explain(x, t).relevance) < 1e-12);
        CHECK(max_rel_diff(occ_tasks.relevance, occ.explain(x, t).relevance) < 1e-12);
    }
    // A sample's noise is its own: sample 3 explained alone as row 3 of a batch (explain_rows)
    // draws the same noise (a different noise stream would differ by far more than rounding).
    const auto alone = sg.explain_rows(Batch<double>(x.row(3)), t, {}, 3);
    CHECK(max_rel_diff(alone.relevance, Batch<double>(sg.explain(x, t).relevance.row(3))) < 1e-12);
    const auto err = target("recon", select::reconstruction_error());
    check_same(residual_map(net).explain(x, err, {.threads = 2, .rows_per_task = 2}),
               by_hand(residual_map(net), x, err, 2, false));
}

TEST_CASE("bad options and a failing task are errors, as in one call") {
    const Net net = make_net();
    const Batch<double> x = inputs(4);
    const auto a = lrp(net, Epsilon(1e-3));
    CHECK_THROWS_AS(a.explain(x, target("logits"), {.threads = 0}), value_error);
    CHECK_THROWS_AS(a.explain(x, target("logits"), {.rows_per_task = -1}), value_error);
    CHECK_THROWS_WITH_AS(a.explain(x, target("nope"), {.threads = 2}), doctest::Contains("nope"), name_error);
    // A per-sample mask of the wrong width: every task fails; the first one's error is rethrown.
    CHECK_THROWS_WITH_AS(a.explain(x, target("recon", select::mask(Batch<double>(Batch<double>::Ones(4, 35)))), {.threads = 2}),
                         doctest::Contains("expected 36 values per row, got 35"), shape_error);
    // A mask with neither 1 nor 4 rows is not cut: the one call reports it.
    CHECK_THROWS_WITH_AS(a.explain(x, target("recon", select::mask(Batch<double>(Batch<double>::Ones(3, 36)))), {.threads = 2}),
                         doctest::Contains("expected 1 or 4 rows, got 3"), shape_error);
    // A baseline of the wrong number of rows names both.
    CHECK_THROWS_WITH_AS(IntegratedGradients(net, 4, Batch<double>::Zero(3, 36)).explain(x, target("logits")),
                         doctest::Contains("baseline has 3 rows, expected 1 or the batch's 4"), shape_error);
}

}  // TEST_SUITE
