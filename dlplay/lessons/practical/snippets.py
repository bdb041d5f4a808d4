"""The code a section runs, written out for its current settings."""

from __future__ import annotations

from dlplay.lessons.practical.precision import PrecisionConfig
from dlplay.lessons.practical.transfer import TransferConfig


def transfer_code(config: TransferConfig, backbone: str, num_classes: int) -> str:
    """The curriculum's freeze-and-replace, in today's torchvision API, and the three ways' optimizers."""
    if backbone == "resnet18":
        load = ("from torchvision import models\n\n"
                "# Load pretrained model (the curriculum's `pretrained=True` is deprecated: weights= replaces it)\n"
                "model = models.resnet18(weights=models.ResNet18_Weights.DEFAULT)")
    else:
        load = ("# Load the backbone dlplay pretrained on the source classes (weights only: no code runs on load)\n"
                "model = ColourNet(num_classes=5, width=16)\n"
                "model.load_state_dict(torch.load(path, weights_only=True)[\"state_dict\"])")
    return f'''import torch
from torch import nn

{load}

# 1 · Frozen backbone + new head
for param in model.parameters():
    param.requires_grad = False                                  # freeze base layers
model.fc = nn.Linear(model.fc.in_features, {num_classes})                 # replace the final layer (trainable)
model.eval()                  # frozen includes batch norm's running statistics: keep them out of train mode
optimizer = torch.optim.Adam(model.fc.parameters(), lr={config.lr:g})

# 2 · Fine-tuned end to end: everything trains, the backbone {1 / config.backbone_lr_scale:g}× slower
backbone = [p for name, p in model.named_parameters() if not name.startswith("fc.")]
optimizer = torch.optim.Adam([
    {{"params": backbone, "lr": {config.lr * config.backbone_lr_scale:g}}},
    {{"params": model.fc.parameters(), "lr": {config.lr:g}}},
])

# 3 · From scratch: the same architecture with fresh weights, all trainable
optimizer = torch.optim.Adam(scratch_model.parameters(), lr={config.lr:g})

# Each trains on {config.labels_per_class} labelled images per class, batches of ≤ {config.batch_size}, {config.max_steps} steps.
'''


def precision_code(config: PrecisionConfig, device_type: str) -> str:
    """A mixed-precision training step in the current torch.amp API, for this device and format."""
    scaler = config.amp == "float16" and device_type == "cuda"
    if scaler:
        step = '''scaler = torch.amp.GradScaler("cuda")    # float16 on CUDA: scale the loss so small gradients survive

for X, y in train_loader:
    optimizer.zero_grad()
    with torch.autocast("cuda", dtype=torch.float16):
        loss = criterion(model(X), y)
    scaler.scale(loss).backward()            # gradients × scale (2^16 to start)
    scaler.step(optimizer)                   # unscales; skips the step if a gradient is inf/NaN
    scaler.update()                          # halves the scale after an overflow, grows it after 2000 clean steps'''
    else:
        step = f'''# {config.amp}: float32's exponent range, so no loss scaling is needed (no GradScaler)
for X, y in train_loader:
    optimizer.zero_grad()
    with torch.autocast("{device_type}", dtype=torch.{config.amp}):
        loss = criterion(model(X), y)        # matmuls and convolutions in {config.amp}, reductions in float32
    loss.backward()
    optimizer.step()'''
    return f'''import torch

# The curriculum's `from torch.cuda.amp import autocast, GradScaler` is deprecated:
# torch.autocast(device_type, dtype) and torch.amp.GradScaler(device_type) replace it, for every device.
optimizer = torch.optim.Adam(model.parameters(), lr={config.lr:g})
criterion = torch.nn.CrossEntropyLoss()

{step}
'''


def deployment_code(architecture: str, input_shape: tuple[int, ...]) -> str:
    """Save, export to ONNX and verify, torch.export, TorchScript: the deployment path for this model."""
    shape = ", ".join(map(str, (8, *input_shape)))
    return f'''import numpy as np
import onnxruntime as ort
import torch

model = {architecture}
model.load_state_dict(torch.load("model.pt", weights_only=True))
model.eval()

# Save model: the weights only
torch.save(model.state_dict(), "model.pt")

# Export to ONNX with the current exporter (torch.export underneath; needs onnx and onnxscript)
example = torch.rand({shape})
batch = torch.export.Dim("batch", min=1, max=4096)
onnx_program = torch.onnx.export(model, (example,), dynamo=True, dynamic_shapes=({{0: batch}},))
onnx_program.save("model.onnx")

# Verify it in ONNX Runtime on the same inputs
session = ort.InferenceSession("model.onnx", providers=["CPUExecutionProvider"])
onnx_out = session.run(None, {{session.get_inputs()[0].name: example.numpy()}})[0]
print(np.abs(onnx_out - model(example).detach().numpy()).max())

# torch.export: an ExportedProgram (a graph of ATen operators), saved as .pt2
program = torch.export.export(model, (example,), dynamic_shapes=({{0: batch}},))
print(program.graph_module.code)
torch.export.save(program, "model.pt2")
reloaded = torch.export.load("model.pt2").module()

# TorchScript, as the curriculum writes it — deprecated: torch.export is its living successor
scripted_model = torch.jit.script(model)
scripted_model.save("model_scripted.pt")
'''
