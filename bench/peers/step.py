"""The toy profile's network (deeplab-lite-os4) and training step in TensorFlow or PyTorch, as the
reference bench/model-step.ts measures this project against. Same layers, shapes, dilations, input
scale, FCAN head with the gradient stopped before it (the code's routing), l_s + l_c, weight decay
added to the head's gradient, Adam. The batch is fixed (no sampling or augmentation): the peer is
the framework's best case.

    python bench/peers/step.py tf|torch --batch 8 --crop 80 --reps 5

Protocol (driven by model-step.ts): one JSON line {"ready": {...}} after a warm-up, then for each
line "round" on stdin one JSON line {"forward": [ms...], "step": [ms...]}; EOF ends it.
"""

import argparse
import json
import math
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

NUM_CLASSES = 21
NUM_FOREGROUND = 20
INPUT_SCALE = 1 / 64
WIDTH = 48  # trunk width of the stride-4 variant
DIL = 2  # its base dilation: res2 2, res3 4, res4 8; ASPP rates 2, 4, 8
ASPP_RATES = (1, 2, 4)


def conv_specs():
    """(name, k, cin, cout, stride, dilation) of every conv, in the order model-step.ts's model has."""
    c, k = WIDTH, DIL
    specs = [("stem", 3, 3, 24, 2, 1), ("down1", 3, 24, 48, 2, 1)]
    specs += [("res1_a", 3, 48, 48, 1, 1), ("res1_b", 3, 48, 48, 1, 1), ("down2", 3, 48, c, 1, 1)]
    for i, d in ((2, k), (3, 2 * k), (4, 4 * k)):
        specs += [(f"res{i}_a", 3, c, c, 1, d), (f"res{i}_b", 3, c, c, 1, d)]
    specs += [(f"aspp{i}", 3, c, NUM_CLASSES, 1, k * r) for i, r in enumerate(ASPP_RATES)]
    specs += [("head", 1, NUM_CLASSES, NUM_FOREGROUND, 1, 1)]
    return specs


def init_weights(seed):
    rng = np.random.default_rng(seed)
    out = {}
    for name, k, cin, cout, _, _ in conv_specs():
        std = np.sqrt(2.0 / (k * k * cin)) * (0.25 if name.endswith("_b") else 1.0)
        out[name] = (rng.normal(0, std, (k, k, cin, cout)).astype(np.float32), np.zeros(cout, np.float32))
    return out


def batch(b, crop, seed):
    rng = np.random.default_rng(seed)
    x = (rng.normal(0, 50, (b, crop, crop, 3))).astype(np.float32)
    out = math.ceil(math.ceil(crop / 2) / 2)  # output stride 4, TF SAME
    labels = rng.integers(0, NUM_CLASSES, (b, out, out)).astype(np.int64)
    targets = (rng.random((b, NUM_FOREGROUND)) < 0.2).astype(np.float32)
    return x, labels, targets


def tf_runner(args):
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    specs = {s[0]: s for s in conv_specs()}
    w = {n: (tf.Variable(a), tf.Variable(b)) for n, (a, b) in init_weights(1).items()}
    x_np, labels_np, targets_np = batch(args.batch, args.crop, 2)
    x, labels, targets = tf.constant(x_np), tf.constant(labels_np), tf.constant(targets_np)

    def conv(h, name):
        _, _, _, _, stride, dil = specs[name]
        # tf.nn.convolution, as Keras: dilated convs go through space-to-batch on CPU
        y = tf.nn.convolution(h, w[name][0], strides=stride, padding="SAME", dilations=dil)
        return y + w[name][1]

    def forward(xx):
        h = tf.nn.relu(conv(xx * INPUT_SCALE, "stem"))

        def res(h, i):
            a = tf.nn.relu(conv(h, f"res{i}_a"))
            return tf.nn.relu(h + conv(a, f"res{i}_b"))

        h = res(tf.nn.relu(conv(h, "down1")), 1)
        h = res(tf.nn.relu(conv(h, "down2")), 2)
        h = res(res(h, 3), 4)
        logits = tf.add_n([conv(h, f"aspp{i}") for i in range(len(ASPP_RATES))])
        att = conv(tf.stop_gradient(logits), "head")
        return logits, tf.reduce_mean(att, axis=[1, 2])

    params = [v for pair in w.values() for v in pair]
    opt = tf.keras.optimizers.Adam(learning_rate=1e-3, epsilon=1e-8)

    @tf.function
    def fwd(xx):
        return forward(xx)[1]

    @tf.function
    def step(xx, ll, tt):
        with tf.GradientTape() as tape:
            logits, scores = forward(xx)
            ls = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ll, logits=logits))
            lc = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=tt, logits=scores))
            loss = ls + lc
        grads = tape.gradient(loss, params)
        grads[-2] = grads[-2] + 5e-4 * params[-2]  # the head's weights are decayed (code routing)
        opt.apply_gradients(zip(grads, params))
        return loss

    def run_forward():
        fwd(x).numpy()

    def run_step():
        step(x, labels, targets).numpy()

    n_params = int(sum(np.prod(v.shape) for v in params))
    return run_forward, run_step, {"framework": f"TensorFlow {tf.__version__} (tf.function)", "params": n_params}


def torch_runner(args):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    specs = {s[0]: s for s in conv_specs()}
    w = {}
    for n, (a, b) in init_weights(1).items():
        # HWIO -> OIHW
        w[n] = (torch.tensor(a.transpose(3, 2, 0, 1).copy(), requires_grad=True), torch.tensor(b, requires_grad=True))
    x_np, labels_np, targets_np = batch(args.batch, args.crop, 2)
    x = torch.tensor(x_np.transpose(0, 3, 1, 2).copy())
    labels, targets = torch.tensor(labels_np), torch.tensor(targets_np)

    def conv(h, name):
        _, k, _, _, stride, dil = specs[name]
        if stride == 1:
            return F.conv2d(h, w[name][0], w[name][1], padding="same", dilation=dil)
        # TensorFlow SAME for a strided conv: the extra padding row / column goes after
        size = h.shape[-1]
        total = max((-(-size // stride) - 1) * stride + k - size, 0)
        h = F.pad(h, (total // 2, total - total // 2, total // 2, total - total // 2))
        return F.conv2d(h, w[name][0], w[name][1], stride=stride)

    def forward(xx):
        h = F.relu(conv(xx * INPUT_SCALE, "stem"))

        def res(h, i):
            a = F.relu(conv(h, f"res{i}_a"))
            return F.relu(h + conv(a, f"res{i}_b"))

        h = res(F.relu(conv(h, "down1")), 1)
        h = res(F.relu(conv(h, "down2")), 2)
        h = res(res(h, 3), 4)
        logits = sum(conv(h, f"aspp{i}") for i in range(len(ASPP_RATES)))
        att = conv(logits.detach(), "head")
        return logits, att.mean(dim=(2, 3))

    params = [v for pair in w.values() for v in pair]
    opt = torch.optim.Adam(params, lr=1e-3, eps=1e-8)
    head_w = w["head"][0]

    def run_forward():
        with torch.no_grad():
            forward(x)[1].sum().item()

    def run_step():
        opt.zero_grad(set_to_none=True)
        logits, scores = forward(x)
        loss = F.cross_entropy(logits, labels) + F.binary_cross_entropy_with_logits(scores, targets)
        loss.backward()
        head_w.grad.add_(head_w.detach(), alpha=5e-4)
        opt.step()
        loss.item()

    n_params = int(sum(p.numel() for p in params))
    return run_forward, run_step, {"framework": f"PyTorch {torch.__version__} (eager)", "params": n_params}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("framework", choices=["tf", "torch"])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--crop", type=int, default=80)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    run_forward, run_step, info = (tf_runner if args.framework == "tf" else torch_runner)(args)
    for _ in range(3):
        run_forward()
        run_step()
    print(json.dumps({"ready": info}), flush=True)
    for line in sys.stdin:
        if line.strip() != "round":
            continue
        fw, st = [], []
        for _ in range(args.reps):
            t = time.perf_counter()
            run_forward()
            fw.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            run_step()
            st.append((time.perf_counter() - t) * 1000)
        print(json.dumps({"forward": fw, "step": st}), flush=True)


if __name__ == "__main__":
    main()
