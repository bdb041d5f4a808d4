"""The Practical Deep Learning page's sections (chapter 12): transfer learning, mixed precision, deployment.

Each section is a fragment, so its widgets re-run it alone; the deployment section reads the transfer race's models
from session state when it runs."""

from __future__ import annotations

import copy
import hashlib
import math
from dataclasses import dataclass

import pandas as pd
import streamlit as st
import torch
from torch import nn

from dlplay.data.colour_images import make_colour_images
from dlplay.lessons.practical import deployment as dep
from dlplay.lessons.practical import figures as fig
from dlplay.lessons.practical import number_formats as nf
from dlplay.lessons.practical.backbone import SOURCE_CLASSES, TARGET_CLASSES, ColourNet, class_names, task_images
from dlplay.lessons.practical.model_files import ACCEPTED_FORMATS, ModelFileError, load_model_file, read_state_dicts
from dlplay.lessons.practical.onnx_graph import parse_onnx
from dlplay.lessons.practical.precision import PrecisionConfig, build_precision_race, cpu_bfloat16_note, measurements
from dlplay.lessons.practical.pretraining import PretrainConfig, cache_path, current_job, load_cached, start_pretraining
from dlplay.lessons.practical.snippets import deployment_code, precision_code, transfer_code
from dlplay.lessons.practical.sweep import LabelSweep, SweepConfig
from dlplay.lessons.practical.torchvision_backbone import imagenet_normalize, pretrained_resnet18, scratch_resnet18
from dlplay.lessons.practical.transfer import (
    WAY_LABELS,
    WAYS,
    TargetData,
    TransferConfig,
    build_race,
    feature_projection,
    make_target_data,
    results,
)
from dlplay.models.init import seeded_init_
from dlplay.ui.charts import plot
from dlplay.ui.code_panel import show_code
from dlplay.ui.training_panel import training_panel
from dlplay.ui.widgets import number_format
from dlplay.viz.images import image_grid_figure

PRETRAIN = PretrainConfig()  # the embedded backbone's pretraining (tests swap in a shorter one)
BACKBONES = {"ColourNet": "dlplay's ColourNet, pretrained here (offline)", "resnet18": "torchvision resnet18 (ImageNet)"}
LABELS, LRS, SCALES = [1, 2, 5, 10, 20, 50], [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2], [0.01, 0.03, 0.1, 0.3, 1.0]
RACE_KEY, AMP_KEY, EXPORT_KEY = "prac_transfer__run", "prac_amp__run", "prac_export_result"
DEPLOY_SOURCES = ("A model of the transfer race", "A fresh ColourNet", "A file saved by a dlplay page")


@dataclass
class Backbone:
    """A pretrained backbone and how the race uses it."""

    name: str  # a key of BACKBONES
    model: nn.Module  # pretrained, its head `fc`
    make_scratch: object  # num_classes → a fresh network of the same architecture
    normalize: object  # images in [0, 1] → what the backbone expects
    description: str


def _fmt(v: float, pattern: str = "{:.1%}") -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else pattern.format(v)


def _label(labels: dict):
    """format_func of a keyed option: its label; a label maps to itself."""
    return lambda option: labels.get(option, option)


def _cached(key: str, tag: object, make):
    """make(), kept in session state under key until `tag` changes."""
    held = st.session_state.get(key)
    if held is None or held[0] != tag:
        held = st.session_state[key] = (tag, make())
    return held[1]


# ----- 1 · transfer learning ------------------------------------------------------------------------------------------
@st.fragment(run_every=0.5)
def _pretraining_progress() -> None:
    job = current_job(PRETRAIN)
    if job is None or job.done:
        st.rerun()  # the whole page: the race appears (or the error is shown)
    st.progress(job.fraction, text=f"Pretraining ColourNet on the source classes · {job.status} · {job.elapsed():.0f} s")


def _embedded_backbone() -> Backbone | None:
    """The cached ColourNet, or the pretraining button / progress when there is none yet."""
    path = cache_path(PRETRAIN)
    tag = (str(path), path.stat().st_mtime) if path.is_file() else None
    pretrained = _cached("prac_backbone_model", tag, lambda: load_cached(PRETRAIN)) if tag else None
    if pretrained is not None:
        width = PRETRAIN.width
        return Backbone("ColourNet", pretrained.model, lambda n: ColourNet(num_classes=n, width=width), lambda X: X,
                        f"ColourNet pretrained on {', '.join(class_names(SOURCE_CLASSES))}: "
                        f"{pretrained.source_accuracy:.1%} on held-out source images (cached in `{pretrained.path}`).")
    job = current_job(PRETRAIN)
    if job is not None and not job.done:
        _pretraining_progress()
        return None
    if job is not None and job.error:
        st.error(f"Pretraining failed: {job.error}. Press the button to try again.")
    st.info("The embedded backbone is not pretrained on this machine yet: dlplay trains it once on the source task "
            f"({PRETRAIN.steps} steps on {PRETRAIN.n_per_class * len(SOURCE_CLASSES):,} images, under a minute on two "
            "CPU cores) and caches it in the data folder. The rest of the page works meanwhile.", icon="🏋️")
    st.button("🏋️ Pretrain the backbone", key="prac_pretrain", type="primary", on_click=lambda: start_pretraining(PRETRAIN))
    return None


def _resnet_backbone() -> Backbone | None:
    """torchvision's resnet18 with ImageNet weights, if cached or downloadable; else a message (and None)."""
    model = st.session_state.get("prac_resnet18")
    if model is None:
        model, message = pretrained_resnet18(download=False)
        if model is None:
            st.info(message, icon="📦")
            if st.button("⬇️ Try downloading resnet18's weights", key="prac_resnet_download"):
                with st.spinner("Downloading resnet18's ImageNet weights…"):
                    model, message = pretrained_resnet18(download=True)
                if model is None:
                    st.warning(message)
        if model is not None:
            st.session_state["prac_resnet18"] = model
    if model is None:
        return None
    return Backbone("resnet18", model, scratch_resnet18, imagenet_normalize,
                    "torchvision resnet18 with ImageNet weights (11.7 M parameters: on a CPU each step takes a while).")


def _tasks_figure(seed: int):
    def make():
        X_s, y_s = task_images(SOURCE_CLASSES, 1, seed=seed)  # one image per class
        X_t, y_t = task_images(TARGET_CLASSES, 1, seed=seed + 1)
        X = torch.cat([X_s[y_s.argsort()], X_t[y_t.argsort()]])  # (10, 3, 32, 32): source row, then target row
        names = list(class_names(SOURCE_CLASSES)) + list(class_names(TARGET_CLASSES))
        return image_grid_figure(X, names, ncols=5, title="Top: the source task (pretraining) · bottom: the target task")
    return _cached("prac_tasks_figure", seed, make)


def _render_race(race) -> None:
    histories = {way: run.history for way, run in race.runs.items()}
    left, right = st.columns(2)
    plot(fig.race_accuracy_figure(histories, WAY_LABELS), key="prac_fig_race_acc", container=left)
    plot(fig.race_loss_figure(histories, WAY_LABELS), key="prac_fig_race_loss", container=right)
    rows = [{**r, "trainable parameters": f"{r['trainable parameters']:,} of {r['of all parameters']:,}",
             "train acc": _fmt(r["train acc"]), "val acc": _fmt(r["val acc"]), "best val acc": _fmt(r["best val acc"])}
            for r in results(race)]
    st.dataframe(pd.DataFrame(rows).drop(columns="of all parameters"), hide_index=True)


def _render_sweep(sweep: LabelSweep) -> None:
    plot(fig.sweep_figure(sweep.config.labels, sweep.accuracy, WAY_LABELS, sweep.config.steps), key="prac_fig_sweep")
    current = sweep.current()
    where = (f"training {WAY_LABELS[current[1]].lower()} on {current[0]} label{'s' if current[0] > 1 else ''} per class"
             if current else "done")
    st.caption(f"Run {min(sweep.job + 1, len(sweep.jobs))} of {len(sweep.jobs)} · {where}.")


@st.fragment
def transfer_section(seed: int, device: torch.device) -> None:
    """Backbone, the three-way race live, accuracy against labels per class, the features a head sees, the code."""
    choice = st.radio("Backbone", list(BACKBONES), format_func=_label(BACKBONES), key="prac_backbone", horizontal=True,
                      bind="query-params")
    backbone = _resnet_backbone() if choice == "resnet18" else None
    if choice == "resnet18" and backbone is None:
        st.caption("Meanwhile the race uses the embedded backbone.")
    backbone = backbone or _embedded_backbone()
    with st.expander("🖼️ The two tasks", expanded=backbone is None):
        plot(_tasks_figure(seed), key="prac_fig_tasks")
    if backbone is None:
        return
    st.caption(backbone.description)
    c = st.columns(4)
    labels = c[0].select_slider("Labels per class", LABELS, 5, key="prac_labels", bind="query-params",
                                help="Labelled target images per class: the whole training set of the target task.")
    lr = c[1].select_slider("Learning rate (live)", LRS, 3e-3, key="prac_lr", bind="query-params", format_func=number_format("{:g}"))
    scale = c[2].select_slider("Fine-tuning: backbone lr ×", SCALES, 0.1, key="prac_scale", bind="query-params",
                               help="The fine-tuned backbone learns this much slower than its new head.")
    steps = c[3].select_slider("Steps", [100, 200, 300, 500, 1000], 300, key="prac_steps", bind="query-params")
    config = TransferConfig(labels_per_class=labels, lr=lr, backbone_lr_scale=scale, max_steps=steps, seed=seed)
    data = _cached("prac_target_data", (seed, backbone.name), lambda: _normalized(make_target_data(seed=seed), backbone.normalize))
    signature = (backbone.name, labels, scale, seed, str(device))
    race = training_panel("prac_transfer", signature, lambda: build_race(config, backbone.model, backbone.make_scratch,
                          data, device), _render_race, device=device, step_size=20, chunk_seconds=0.3)
    race.set_lr(lr)
    for run in race.runs.values():
        run.set_max_steps(steps)
    show_code(transfer_code(config, backbone.name, data.num_classes))

    st.subheader("Accuracy against labels per class")
    st.markdown("The race above is one label count. This sweep trains each way from fresh weights at 1, 2, 5, 10, 20 "
                "and 50 labels per class, a fixed number of steps each, with the settings above: press **Play** and "
                "watch the points fill in. Where the lines cross, pretraining stops paying for itself.")
    sweep_steps = st.select_slider("Steps per point", [50, 100, 150, 300], 150, key="prac_sweep_steps", bind="query-params")
    sweep_config = SweepConfig(steps=sweep_steps, transfer=config)
    training_panel("prac_sweep", (signature, lr, sweep_steps), lambda: LabelSweep(
        sweep_config, backbone.model, backbone.make_scratch, data, device), _render_sweep, device=device, step_size=50)

    st.subheader("Why it works: the features a new head sees")
    panels = _cached("prac_projection", (backbone.name, seed), lambda: {
        "pretrained backbone": feature_projection(backbone.model, data.X_val).numpy(),
        "same network, random weights": feature_projection(
            seeded_init_(backbone.make_scratch(data.num_classes), seed), data.X_val).numpy()})
    plot(fig.projection_figure(panels, data.y_val.numpy(), class_names(TARGET_CLASSES)), key="prac_fig_projection")


def _normalized(data: TargetData, normalize) -> TargetData:
    return TargetData(normalize(data.X_pool), data.y_pool, normalize(data.X_val), data.y_val)


# ----- 2 · mixed precision --------------------------------------------------------------------------------------------
def _render_precision(race) -> None:
    rows = measurements(race)
    cuda = race.device.type == "cuda"
    left, right = st.columns(2)
    plot(fig.cost_figure(rows, "CUDA peak (MB)" if cuda else "saved for backward (MB)"), key="prac_fig_cost", container=left)
    plot(fig.precision_loss_figure({name: run.history for name, run in race.runs.items()}), key="prac_fig_amp_loss",
         container=right)
    fp32, amp = rows
    if not math.isnan(amp["speed vs float32"]):
        faster = amp["speed vs float32"]
        memory = "CUDA peak (MB)" if cuda else "saved for backward (MB)"
        saved = 1 - amp[memory] / fp32[memory] if fp32[memory] else math.nan
        st.markdown(f"Here **{amp['run']}** runs at **{faster:.2f}×** the speed of float32 "
                    f"({'faster' if faster > 1.05 else 'slower' if faster < 0.95 else 'about the same'}), and keeps "
                    f"**{_fmt(saved, '{:.0%}')}** less memory for the backward pass. Same weights, same batches: the "
                    "loss curves overlap because bfloat16/float16 rounding is small next to the minibatch noise.")


@st.fragment
def precision_section(seed: int, device: torch.device) -> None:
    """float32 against autocast, live, with time per step, memory and loss; the code in the current API."""
    if device.type == "cpu":
        st.info(cpu_bfloat16_note(), icon="🧮")
    c = st.columns(5)
    model = c[0].selectbox("Model", ["CNN", "MLP"], key="prac_amp_model", bind="query-params",
                           help="CNN: ColourNet (convolutions). MLP: MLP(3072, width, 10) (matrix products).")
    if model == "CNN":
        width = c[1].select_slider("Width", [8, 16, 32, 64], 16, key="prac_amp_cnn_width", bind="query-params")
    else:
        width = c[1].select_slider("Hidden size", [256, 512, 1024, 2048], 1024, key="prac_amp_mlp_width", bind="query-params")
    batch = c[2].select_slider("Batch size", [32, 64, 128, 256], 64, key="prac_amp_batch", bind="query-params")
    choices = ("float16", "bfloat16") if device.type == "cuda" else ("bfloat16",)
    amp = c[3].selectbox("Low-precision format", choices, key="prac_amp_format", bind="query-params")
    lr = c[4].select_slider("Learning rate (live)", [1e-4, 3e-4, 1e-3, 3e-3], 1e-3, key="prac_amp_lr",
                            bind="query-params", format_func=number_format("{:g}"))
    config = PrecisionConfig(model=model, width=width, batch_size=batch, lr=lr, amp=amp, seed=seed)
    signature = (model, width, batch, amp, seed, str(device))
    race = training_panel("prac_amp", signature, lambda: build_precision_race(config, device), _render_precision,
                          device=device, step_size=10, chunk_seconds=0.4)
    race.set_lr(lr)
    show_code(precision_code(config, device.type))


@st.fragment
def formats_section() -> None:
    """The three formats' ranges, and what a typed value becomes in each."""
    rows = nf.format_rows()
    table = pd.DataFrame([{**r, **{k: f"{r[k]:.3g}" for k in ("largest", "smallest normal", "smallest subnormal", "eps")}}
                          for r in rows])
    st.dataframe(table, hide_index=True)
    left, right = st.columns([2, 3])
    value = left.number_input("A value to store", value=70000.0, format="%g", key="prac_value", bind="query-params",
                              help="Try 70000 (beyond float16), 1e-8 (below it), 0.1 (not exact in any binary format).")
    left.dataframe(pd.DataFrame([{**r, "stored": f"{r['stored']:.8g}"} for r in nf.cast_rows(value)]), hide_index=True)
    plot(fig.format_range_figure(value), key="prac_fig_formats", container=right)


@st.fragment
def scaling_section() -> None:
    """A gradient that vanishes in float16 and survives with the loss scale; then the census of a real model's gradients."""
    powers = list(range(-1, -9, -1))
    c = st.columns(3)
    a = c[0].select_slider("Activation a", powers, -3, format_func=number_format("1e{}"), key="prac_act", bind="query-params")
    u = c[1].select_slider("Upstream gradient ∂L/∂y", powers, -5, format_func=number_format("1e{}"), key="prac_up",
                           bind="query-params")
    s = c[2].select_slider("Loss scale", list(range(0, 33, 2)), 16, format_func=number_format("2^{}"), key="prac_loss_scale",
                           bind="query-params", help="GradScaler starts at 2^16 = 65,536.")
    rows = nf.scaling_rows(10.0**a, 10.0**u, 2.0**s)
    st.dataframe(pd.DataFrame([{"run": r.label, "exact ∂L/∂w": f"{r.exact:.3g}", "w.grad after backward": f"{r.raw_grad:.4g}",
                                "after unscaling": f"{r.grad:.4g}", "verdict": r.verdict} for r in rows]), hide_index=True)
    race = st.session_state.get(AMP_KEY)
    if race is None:
        return
    scale = 2.0**s
    run = next(iter(race.runs.values()))

    def census_and_figure():
        with race.locked():
            magnitudes = nf.gradient_magnitudes(run.model, run.X_val[:128], run.y_val[:128])
        found = nf.gradient_census(magnitudes, scale)
        return found, fig.gradient_histogram_figure(found)

    census, figure = _cached("prac_census", (id(race), run.steps, scale), census_and_figure)
    plot(figure, key="prac_fig_census")
    st.caption(f"The float32 model of the race above at step {run.steps}, on 128 validation images ({len(census.log10_abs):,} "
               f"nonzero gradient entries; at most 20,000, evenly sampled): in float16, **{census.zero_unscaled:.2%}** "
               f"of its gradient entries would be 0 and **{census.subnormal_unscaled:.1%}** subnormal; after × {scale:g}, "
               f"{census.zero_scaled:.2%} and {census.subnormal_scaled:.1%}, and {census.overflow_scaled:.2%} would overflow.")


# ----- 3 · deployment -------------------------------------------------------------------------------------------------
def _model_to_deploy(seed: int):
    """(model, architecture, example inputs, name, fingerprint) of the chosen source, or None with a message shown."""
    source = st.radio("Model to deploy", DEPLOY_SOURCES, key="prac_dep_source", horizontal=True, bind="query-params")
    race = st.session_state.get(RACE_KEY)
    if source == DEPLOY_SOURCES[0] and race is not None:
        way = st.selectbox("Which way", WAYS, index=1, format_func=_label(WAY_LABELS), key="prac_dep_way", bind="query-params")
        with race.locked():
            run = race.runs[way]
            model, steps = copy.deepcopy(run.model).cpu().eval(), run.steps
        architecture = (f"ColourNet(num_classes={model.fc.out_features}, width={model.width})" if isinstance(model, ColourNet)
                        else f"torchvision.models.resnet18(num_classes={model.fc.out_features})")
        return model, architecture, race.data.X_val[: dep.EXAMPLE_BATCH].cpu(), f"transfer_{way.replace(' ', '_')}", \
            ("race", id(race), way, steps)
    if source == DEPLOY_SOURCES[0]:
        st.info("The transfer race has no model yet (pretrain the backbone in section 1): here is a fresh ColourNet.")
    if source != DEPLOY_SOURCES[2]:
        model = seeded_init_(ColourNet(num_classes=len(TARGET_CLASSES)), seed).eval()
        X = make_colour_images(1, seed=seed)[0][: dep.EXAMPLE_BATCH]
        return model, "ColourNet(num_classes=5, width=16)", X, "colournet", ("fresh", seed)
    upload = st.file_uploader("A model file (.pt / .pth)", key="prac_upload",
                              help="Read with torch.load(..., weights_only=True): no code in the file runs.")
    if upload is None:
        st.info("Accepted: " + "; ".join(ACCEPTED_FORMATS) + ".")
        return None
    data = upload.getvalue()
    try:
        models, _ = read_state_dicts(data)
        member = None if len(models) == 1 else st.selectbox(
            "Which model of the file", list(models), key="prac_upload_member", help="The file holds several models.")
        loaded = load_model_file(data, member)
    except ModelFileError as error:
        st.error(str(error), icon="🚫")
        return None
    generator = torch.Generator().manual_seed(seed)
    X = torch.rand((dep.EXAMPLE_BATCH, *loaded.input_shape), generator=generator)
    return loaded.model, loaded.architecture, X, upload.name.rsplit(".", 1)[0] or "model", \
        ("file", hashlib.sha1(data).hexdigest())


@st.fragment
def deployment_section(seed: int) -> None:
    """Export the chosen model four ways, verify each against eager PyTorch, download them, time them, draw the graph."""
    found = _model_to_deploy(seed)
    if found is None:
        return
    model, architecture, X, name, fingerprint = found
    st.caption(f"**{architecture}** · {sum(p.numel() for p in model.parameters()):,} parameters · input "
               f"{'×'.join(map(str, X.shape[1:]))} per example")
    left, right = st.columns([1, 3], vertical_alignment="bottom")
    batch = left.select_slider("Latency batch", [1, 8, 64], 1, key="prac_latency_batch", bind="query-params")
    if right.button("📦 Export, verify and time", key="prac_export", type="primary"):
        with st.spinner("Exporting to ONNX, torch.export and TorchScript, and checking each against PyTorch…"):
            report = dep.export_all(model, X, name=name)
            timing_input = X[:1].expand(batch, *X.shape[1:]).contiguous()
            st.session_state[EXPORT_KEY] = {"fingerprint": fingerprint, "report": report, "batch": batch,
                                            "latency": dep.latencies(model, report, timing_input),
                                            "graph": parse_onnx(report.artifacts["onnx"].data) if "onnx" in report.artifacts else None}
    result = st.session_state.get(EXPORT_KEY)
    if result is None:
        return
    if result["fingerprint"] != fingerprint:
        st.caption("⚠️ These results are for the model as it was when exported: press the button again for this one.")
    report = result["report"]
    rows = [{"format": a.kind, "file": a.filename, "size": f"{a.size / 1024:,.0f} KB", "took": f"{a.seconds:.2f} s",
             "max |Δ| vs PyTorch": _fmt(a.max_abs_diff, "{:.2e}"),
             "same outputs": "✅" if a.max_abs_diff is not None and a.max_abs_diff <= dep.ONNX_TOLERANCE else "❌"}
            for a in report.artifacts.values()]
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    for kind, message in report.errors.items():
        st.warning(f"**{kind}** export failed — {message}. The other formats are unaffected.", icon="⚠️")
    script = report.artifacts.get("torchscript")
    if script is not None and script.note:
        st.caption(f"TorchScript, deprecated — PyTorch says: “{script.note}”")
    for column, artifact in zip(st.columns(4), report.artifacts.values()):
        column.download_button(f"⬇️ {artifact.kind} · {artifact.size / 1024:,.0f} KB", data=lambda a=artifact: a.data,
                               file_name=artifact.filename, key=f"prac_download_{artifact.kind}", on_click="ignore",
                               width="stretch")
    st.caption(f"Exported and verified in {report.seconds:.1f} s.")
    if result["graph"] is not None:
        plot(fig.onnx_graph_figure(result["graph"]), key="prac_fig_onnx")
        has_bn = any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
        if has_bn and "BatchNormalization" not in result["graph"].op_counts():
            st.caption("No BatchNormalization node: in eval mode batch norm is a fixed affine map, and the exporter "
                       "folded each one into the convolution before it.")
    left, right = st.columns([2, 3])
    plot(fig.latency_figure(result["latency"], result["batch"]), key="prac_fig_latency", container=left)
    if report.program_code:
        with right.expander("🧾 The ExportedProgram's graph (`program.graph_module.code`)", expanded=True):
            st.code(report.program_code, language="python", height=300)
    show_code(deployment_code(architecture, tuple(X.shape[1:])))
