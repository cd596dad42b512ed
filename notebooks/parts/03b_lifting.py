# %% [markdown]
# ## A learned lifting denoiser, and plug-and-play with it
#
# Part 1 built wavelets from lifting steps with fixed predictors and updaters (the CDF 9/7) and
# denoised by shrinking the detail bands. Here the predictors P and updaters U become learned
# convolutions and the shrinkage a small network, in the spirit of LINN (J.-J. Huang and
# P. L. Dragotti, "LINN: Lifting inspired invertible neural network for image denoising", EUSIPCO
# 2021) and WINNet (J.-J. Huang and P. L. Dragotti, "WINNet: Wavelet-inspired invertible network
# for image denoising", arXiv 2109.06381, 2021):
#
# - **lifting levels** (`lift_levels`): split even/odd rows, then columns; per axis four lifting steps
#   `d ← d − P_k(s)`, `s ← s + U_k(d)` whose kernels (4 taps along the split axis, 3 across) start at
#   the CDF 9/7 and are trained (at the full parameters P and U are learned *linear* convolutions;
#   `lift_pu_hidden > 0` adds a small nonlinear residual network to each); the inverse runs the same
#   steps backwards, so the transform is **invertible whatever the weights**
#   (`tests/test_learned_lifting.py` checks `inverse(forward(x)) == x` to 1e-10 with random weights,
#   and that the untrained transform is part 1's 9/7);
# - **detail denoising**: per level, a three-layer CNN reads the three detail bands divided by σ,
#   their magnitudes, the same bands of a *pilot* estimate, and `log σ`, and corrects on the logit
#   scale the empirical Wiener gain of the pilot: `d̂ = d · sigmoid(log(p²/σ²) + CNN)`. The CNN starts
#   at zero, so the untrained model is empirical Wiener filtering in the 9/7 domain (S. P. Ghael,
#   A. M. Sayeed and R. G. Baraniuk, "Improved wavelet denoising via empirical Wiener filtering",
#   1997), and training learns a σ-dependent, context-aware correction of it. The pilot is part 1's
#   translation-invariant BayesShrink with `lift_pilot_shifts²` cycle spins: a strong non-learned
#   structure with a learned residual, as BM3D's second stage uses its first. The coarse band is kept;
# - **test time**: the image is reflect-padded, and the periodic network is averaged over
#   `lift_shifts × lift_shifts` one-pixel translations (cycle spinning).
#
# One **blind** model covers σ ∈ [`lift_sigma_min`, `lift_sigma_max`]; when σ is not given it is
# estimated by the (non-learned) weak-texture patch estimator of `sparseimg.noise`. The convolutions are an autograd primitive with
# its own vector-Jacobian product (`sparseimg.nn.conv2d`, checked against finite differences), and the
# training is seeded Adam (`sparseimg.training.fit`) on patches of scikit-image images that are
# **never reported**: the list is `lift_train_images` (the reported images are camera, astronaut,
# moon and coins; `coffee` is kept out too, since the plug-and-play weights are tuned on it).

# %%
import time

from sparseimg import learned_lifting
from sparseimg.experiments import unfolding_lifting as ul
from sparseimg.metrics import psnr as _psnr
from sparseimg.training import model_path
from sparseimg.workspace.reporting import markdown_table

block = {k: globals()[k] for k in ul.SCHEMA}
ul.check_block(block)
lift_weights, lift_info, lift_trained_here = load_or_train(
    model_path("lifting"), {k: block[k] for k in ul.TRAIN_KEYS}, lambda: ul.train(block, progress=progress))
lift_log = lift_info["log"]
print(f"{learned_lifting.n_parameters(lift_weights):,} parameters; trained on {', '.join(lift_log['images'])}; "
      f"{lift_log['steps']} Adam steps in {lift_log['seconds']:.0f} s wall, {lift_log['cpu_seconds']:.0f} s CPU "
      f"(pilots of the training pool: {lift_log['pool_seconds']:.0f} s)")

# %% [markdown]
# The learned P/U kernels beside their 9/7 starting point (finest level, row split and column split),
# and the training loss (mean squared error over σ², so 1 is "no denoising" and lower is better).

# %%
cfg = learned_lifting.architecture(lift_weights)
start = learned_lifting.init_params({**learned_lifting.DEFAULT_CONFIG, **cfg,
                                     "band_hidden": block["lift_band_hidden"]}, seed=0)
fig, axes = plt.subplots(2, cfg["n_steps"] + 1, figsize=(12, 4.8))
for row, axis in enumerate((0, 1)):
    for k in range(cfg["n_steps"]):
        key = f"L0a{axis}s{k}lin"
        w, w0 = lift_weights[key][0, 0], start[key][0, 0]
        ax = axes[row, k]
        change = w - w0
        lim = max(np.abs(change).max(), 1e-3)
        ax.imshow(change, cmap="RdBu_r", vmin=-lim, vmax=lim)
        for (i, j), v in np.ndenumerate(w):
            ax.text(j, i, f"{v:.2f}\n({w0[i, j]:.2f})", ha="center", va="center", fontsize=6)
        ax.set_title(f"{'rows' if axis == 0 else 'columns'}: {'P' if k % 2 == 0 else 'U'}{k // 2 + 1}", fontsize=8)
        ax.set_xticks([]), ax.set_yticks([])
    axes[row, -1].axis("off")
loss_ax = fig.add_axes([0.80, 0.15, 0.18, 0.7])
losses = np.asarray(lift_log["losses"])
steps_axis = np.linspace(0, lift_log["steps"], len(losses))
loss_ax.plot(steps_axis, losses, lw=0.5, alpha=0.4)
smooth = max(1, len(losses) // 20)
loss_ax.plot(steps_axis[smooth - 1:], np.convolve(losses, np.ones(smooth) / smooth, mode="valid"), lw=1.2)
loss_ax.set(xlabel="Adam step", ylabel="MSE / σ²", title="training loss", yscale="log")
reporter.save_figure(fig, "lifting_filters", "Learned lifting kernels of the finest level, rows and columns: the "
                     "learned value (the CDF 9/7 start in brackets), coloured by the change from the start; the "
                     "training loss (light: every 1/200 of the run; dark: running mean).")
plt.show()

# %% [markdown]
# ### Denoising: the table of part 1, with the learned denoiser
#
# Same central crops, same noise draws as part 1's table (its seeds), so the peers' numbers repeat
# part 1's. "σ estimated" runs the same model blind.

# %%
lift_table, rows, lift_seconds = ul.denoising_table(lift_weights, block, progress=progress)
reporter.write_table("lifting_denoising", rows, formats={"psnr_db": ".2f"})
methods = [m for m in ["noisy", "learned", "learned_blind", "bayesshrink_ti", "skimage_wavelet", "bm3d"]
           if m in next(iter(next(iter(lift_table.values())).values()))]
names = [ul._name(s) for s in lift_images]
display = []
for skey, cells in lift_table.items():
    for m in methods:
        vals = [cells[n][m] for n in names]
        display.append({"σ": skey.split("_")[1], "method": ul.LABELS.get(m, m), **{n: f"{v:.2f}" for n, v in zip(names, vals)},
                        "mean": f"{np.mean(vals):.2f}",
                        "time per image": "" if m == "noisy" else f"{lift_seconds[m]:.2f} s"})
print(f"PSNR (dB), central {lift_crop}x{lift_crop} crops")
print(markdown_table(display))
gain = {skey: float(np.mean([cells[n]["learned"] - cells[n]["bayesshrink_ti"] for n in names]))
        for skey, cells in lift_table.items()}
print("mean gain over part 1's TI wavelet denoiser: " + ", ".join(f"{k}: {v:+.2f} dB" for k, v in gain.items()))

# %% [markdown]
# At the full parameters (23,695 weights, 1,500 Adam steps) the learned denoiser beats part 1's
# cycle-spun BayesShrink on camera, astronaut and coins at every σ, by about 0.5–0.8 dB at σ = 15
# and 25 but only 0.2–0.4 dB at σ = 50, and it loses on `moon` (smooth, low-contrast: the TI wavelet
# denoiser with 64 spins is already near BM3D there). Averaged over the four images the gain is
# +0.54, +0.43 and +0.16 dB at σ = 15, 25, 50: **the issue's ≥ 1.0 dB over the TI wavelet denoiser is
# missed** (at σ = 50 by 0.84 dB). BM3D stays 1.1–1.6 dB ahead on average. The blind run (σ
# estimated) matches the σ-known run to a few hundredths of a dB.

# %% [markdown]
# ### The headline: whole image at σ = 50
#
# Targets: ≥ 26.75 dB on camera (the talk's number for its learned lifting network), ≥ 1 dB above
# part 1's TI wavelet denoiser on average over the reported images (table above), ≤ 2 s per 512²
# image; BM3D is the peer to approach.

# %%
head = ul.headline(lift_weights, block)
hrows = [{"method": ul.LABELS.get(m, m), "PSNR (dB)": f"{r['psnr']:.2f}", "wall": f"{r['seconds']:.2f} s",
          "CPU": f"{r['cpu_seconds']:.2f} s"} for m, r in head["results"].items()]
print(f"{lift_headline_image} {head['clean'].shape[0]}x{head['clean'].shape[1]}, σ = {lift_headline_sigma:g}: "
      f"noisy {_psnr(head['clean'], head['noisy'], data_range=1.0):.2f} dB")
print(markdown_table(hrows))
n0, n1 = head["clean"].shape
zoom = (slice(n0 // 4, n0 - n0 // 4), slice(n1 // 4, n1 - n1 // 4))
shown = [(head["noisy"], f"noisy, σ = {lift_headline_sigma:g}")]
shown += [(r["estimate"], f"{ul.LABELS.get(m, m)}\n{r['psnr']:.2f} dB") for m, r in head["results"].items()]
fig, axes = plt.subplots(1, len(shown), figsize=(2.4 * len(shown), 2.9))
for ax, (img, title) in zip(axes, shown):
    ax.imshow(img[zoom], cmap="gray", vmin=0, vmax=1)
    ax.set_title(title, fontsize=7)
    ax.axis("off")
reporter.save_figure(fig, "lifting_denoising_main", f"{lift_headline_image} at σ = {lift_headline_sigma:g}: the "
                     "learned lifting denoiser beside part 1's TI wavelet shrinkage, scikit-image and BM3D "
                     "(central quarter; PSNR of the whole image).")
plt.show()

# %% [markdown]
# On the whole camera at σ = 50 the learned denoiser reaches 26.47 dB against 26.01 for part 1's TI
# wavelet denoiser and 27.79 for BM3D: **below the talk's 26.75 dB by 0.28 dB** (a miss). Most of
# the gain over the pilot comes from the empirical Wiener structure itself (26.21 dB untrained, at
# 4 levels); training adds 0.2–0.3 dB in the ten-minute budget. The time per 512² image is about 2 s
# of CPU (pilot with 16 spins, then 4 translations of the network), at the limit of the ≤ 2 s target.

# %% [markdown]
# ### The noise estimator of blind mode
#
# The blind model takes σ from the weak-texture patch estimator of `sparseimg.noise`
# (`estimate_sigma_patches`, stride 2; not learned). Its error on the whole reported images, beside
# part 1's MAD estimator and scikit-image's `estimate_sigma` (target: within 1.0 on the 0–255 scale).

# %%
est_err = ul.noise_estimate_table(block)
erows = [{"estimator": ul.ESTIMATORS[k], "image": n,
          **{f"σ={s:g}": f"{e:+.2f}" for s, e in zip(lift_estimate_sigmas, errs)}, "max |error|": f"{max(map(abs, errs)):.2f}"}
         for k, d in est_err.items() for n, errs in d.items()]
print("estimate − σ (0–255)")
print(markdown_table(erows))
worst = {k: float(max(abs(e) for v in d.values() for e in v)) for k, d in est_err.items()}
print("largest |error|: " + ", ".join(f"{ul.ESTIMATORS[k]} {v:.2f}" for k, v in worst.items()))

# %% [markdown]
# The patch estimator stays within 0.65 of the true σ on the four whole images from σ = 5 to 55
# (target ≤ 1.0: met), where part 1's MAD estimator errs by up to 1.07 and scikit-image's by up to 1.63.

# %% [markdown]
# ### Plug-and-play with the learned denoiser
#
# Part 1's Algorithm 1 (noise estimator β(·) = `lift_pnp_estimator`, β₁ = 10 β₀, denoiser at 2β) and PnP-HQS, on part 1's two problems, with the learned denoiser and with part 1's wavelet
# denoiser; λ chosen on the tuning image's problems. Target: the learned denoiser ≥ the wavelet
# denoiser + 0.5 dB on both problems.

# %%
pnp_lams, pnp_scores = ul.tune_pnp(lift_weights, block)
problems = ul.deblur_problems(block)
pnp = {}
for pname, prob in problems.items():
    for m in ul.PNP_METHODS:
        z, run = ul.run_pnp(m, prob, pnp_lams[pname][m], lift_weights, block, reference=prob.truth)
        pnp.setdefault(pname, {})[m] = {"psnr": _psnr(prob.truth, z, data_range=1.0), "curve": list(run.history.psnr),
                                        "iterations": run.n_iter, "lam": pnp_lams[pname][m],
                                        "seconds": run.history.time[-1]}
prow = [{"problem": p, "method": ul.PNP_METHODS[m], "λ": f"{r['lam']:g}", "iterations": r["iterations"],
         "PSNR (dB)": f"{r['psnr']:.2f}", "time": f"{r['seconds']:.1f} s"} for p, d in pnp.items() for m, r in d.items()]
print(markdown_table(prow))
reporter.write_table("lifting_pnp", [{"problem": p, "method": m, "psnr_db": r["psnr"], "lam": r["lam"]}
                                     for p, d in pnp.items() for m, r in d.items()], formats={"psnr_db": ".2f"})
fig, axes = plt.subplots(1, len(pnp), figsize=(11, 3.4))
for ax, (pname, d) in zip(np.atleast_1d(axes), pnp.items()):
    for m, r in d.items():
        ax.plot(range(len(r["curve"])), r["curve"], "o-" if m.startswith("pnp") else "s--", ms=3,
                label=ul.PNP_METHODS[m])
    ax.set(xlabel="iteration", ylabel="PSNR (dB)", title=pname)
    ax.legend(fontsize=7)
fig.tight_layout()
reporter.save_figure(fig, "lifting_pnp", "Plug-and-play: PSNR per iteration with the learned lifting denoiser and "
                     "with part 1's wavelet denoiser.")
plt.show()

# %% [markdown]
# With half-quadratic splitting the learned denoiser gains 0.66 dB on the Gaussian-blur problem
# (28.26 against 27.60) and 0.51 dB on section 2's astronaut problem (24.16 against 23.65): the
# +0.5 dB target is met with PnP-HQS. With Algorithm 1 it is **not** (27.19 against 27.20, 23.31
# against 23.25): on both problems the loop stops after two iterations, once the estimated noise of
# the deconvolved image reaches the data's level, and the result is fixed mostly by the first
# x-step, whose noise is coloured (amplified at high frequencies by the deconvolution), a noise that
# neither denoiser was built for; the patch noise estimator in place of the MAD changes nothing
# (27.17 against 27.18 and 23.31 against 23.25, measured outside the notebook).

# %%
metrics["lifting"] = {
    "n_parameters": learned_lifting.n_parameters(lift_weights),
    "train_seconds": lift_log["seconds"], "train_cpu_seconds": lift_log["cpu_seconds"],
    "denoising": lift_table,
    "mean_gain_over_ti_wavelet_db": gain,
    "headline": {"image": ul._name(lift_headline_image), "sigma": lift_headline_sigma,
                 **{m: {"psnr": r["psnr"], "seconds": r["seconds"]} for m, r in head["results"].items()}},
    "noise_estimate_max_abs_error": worst,
    "pnp": {p: {m: {"psnr": r["psnr"], "lam": r["lam"], "iterations": r["iterations"]} for m, r in d.items()}
            for p, d in pnp.items()},
}
