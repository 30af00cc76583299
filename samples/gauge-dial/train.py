#!/usr/bin/env python3
"""Train a small CNN to read synthetic gauge dials, with torch.distributed DDP (gloo).

ActorGrid runs this as a `training` task: every rank gets the torchrun-style environment
(RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) plus ACTORGRID_CHECKPOINT_DIR and
ACTORGRID_OUTPUT_DIR. Rank 0 prints progress lines on stdout, checkpoints every epoch and
exports the model to ONNX at the end. See README.md for the contract in full.

Needs only PyTorch and numpy (Debian: python3-torch python3-numpy).
"""

import argparse
import datetime
import json
import math
import os
import sys
import tempfile
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dial  # noqa: E402

CHECKPOINT_NAME = "checkpoint.pt"


def target(reading_deg):
    """What the network regresses: the needle as a unit vector (cos, sin) of psi = 135 - reading.

    In that frame the middle of the sweep (reading 135, needle straight up) is psi = 0 and the
    unused bottom of the dial (psi = +-180) sits on the branch cut of atan2, so the reading is
    135 - atan2(sin, cos), continuous over the whole 0..270 sweep.
    """
    psi = torch.deg2rad(135.0 - torch.as_tensor(reading_deg, dtype=torch.float32))
    return torch.stack([torch.cos(psi), torch.sin(psi)], dim=-1)


def atan2(y, x):
    """atan2 from ops ONNX opset 13 has (torch 1.13 exports no aten::atan2)."""
    base = torch.atan(y / x)  # x == 0 gives +-inf, whose atan is the right +-pi/2
    turn = torch.where(y >= 0, torch.full_like(base, math.pi), torch.full_like(base, -math.pi))
    return torch.where(x < 0, base + turn, base)


def reading_deg(vector):
    """[N,2] (cos, sin) of psi -> [N] reading in degrees, clamped to the 0..270 sweep."""
    psi = atan2(vector[:, 1], vector[:, 0]) * (180.0 / math.pi)  # no aten::rad2deg in ONNX either
    return torch.clamp(135.0 - psi, 0.0, dial.SWEEP_DEG)


class DialNet(nn.Module):
    """Reads a dial: [N,1,64,64] pixels in [0,1] -> [N,2] (cos, sin) of psi, see target()."""

    def __init__(self):
        super().__init__()
        # Batch norm gets the net off the first plateau (predicting the zero vector) in a few dozen
        # steps instead of a hundred; DDP keeps the ranks' running statistics in step with rank 0's.
        def block(c_in, c_out, k):
            return [nn.Conv2d(c_in, c_out, k, stride=2, padding=k // 2, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
        self.features = nn.Sequential(
            *block(1, 16, 5),   # 32x32
            *block(16, 32, 3),  # 16x16
            *block(32, 32, 3),  # 8x8
            *block(32, 32, 3),  # 4x4
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 2))

    def forward(self, image):
        # Centre the pixels here, not in the caller, so the ONNX model takes plain [0,1] pixels.
        return self.head(self.features((image - 0.5) * 4.0))


class ExportedReader(nn.Module):
    """What goes into model.onnx: pixels in, the reading in degrees (0..270) out."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, image):
        return reading_deg(self.net(image)).unsqueeze(1)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=5, help="total epochs (a resumed run trains only the rest)")
    p.add_argument("--samples", type=int, default=3000, help="training dials, shared out over the ranks")
    p.add_argument("--val-samples", type=int, default=500, help="held-out dials (another seed)")
    p.add_argument("--batch-size", type=int, default=32, help="per rank")
    p.add_argument("--lr", type=float, default=2e-3, help="peak Adam learning rate (cosine decay to 5%%)")
    p.add_argument("--seed", type=int, default=1, help="seed of the data and of the weights")
    p.add_argument("--sleep-per-step", type=float, default=0.0, help="seconds to sleep after each step (tests)")
    p.add_argument("--log-every", type=int, default=0, help="steps between progress lines (0: 4 per epoch)")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: OMP_NUM_THREADS, else 1)")
    p.add_argument("--checkpoint-dir", default=os.environ.get("ACTORGRID_CHECKPOINT_DIR", "checkpoints"))
    p.add_argument("--output-file", default="model.onnx",
                   help="ONNX file; a relative path is under $ACTORGRID_OUTPUT_DIR (or the working directory)")
    return p.parse_args()


def emit(obj):
    """One JSON line on stdout, flushed at once; floats kept to 6 significant digits."""
    def short(v):
        if isinstance(v, dict):
            return {k: short(x) for k, x in v.items()}
        return float(f"{v:.6g}") if isinstance(v, float) else v
    print(json.dumps(short(obj), separators=(",", ":")), flush=True)


def log(message):
    print(f"[gauge-dial] {message}", file=sys.stderr, flush=True)


def setup_distributed():
    rank = int(os.environ.get("RANK", "0"))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    # A single rank with no rendezvous address needs no process group at all.
    if world > 1 or "MASTER_ADDR" in os.environ:
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", "29500")
        dist.init_process_group("gloo", init_method="env://", rank=rank, world_size=world,
                                timeout=datetime.timedelta(minutes=5))
    return rank, world, local_rank


def choose_device(local_rank):
    # CUDA_VISIBLE_DEVICES is honoured by torch itself: the chips ActorGrid granted are 0..n-1 here.
    if torch.cuda.is_available():
        index = local_rank % torch.cuda.device_count()
        torch.cuda.set_device(index)
        return torch.device("cuda", index)
    return torch.device("cpu")


def all_sum(values, device):
    t = torch.tensor(values, dtype=torch.float64, device=device)
    if dist.is_initialized():
        dist.all_reduce(t)
    return t.tolist()


def evaluate(model, loader, device):
    """Mean squared error (of the vector) and mean absolute error in degrees over every rank's shard."""
    model.eval()
    sq, ab, n = 0.0, 0.0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            pred = model(x)
            sq += F.mse_loss(pred, target(y), reduction="sum").item() / 2.0
            ab += (reading_deg(pred) - y).abs().sum().item()
            n += y.numel()
    model.train()
    sq, ab, n = all_sum([sq, ab, float(n)], device)
    return sq / max(n, 1.0), ab / max(n, 1.0)


def save_checkpoint(directory, state):
    """Write the checkpoint so that a reader sees the old one or the new one, never half of one."""
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".checkpoint-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; the host archives and ships checkpoints
        os.replace(tmp, os.path.join(directory, CHECKPOINT_NAME))
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def output_path(name):
    if os.path.isabs(name):
        return name
    return os.path.join(os.environ.get("ACTORGRID_OUTPUT_DIR", os.getcwd()), name)


def main():
    args = parse_args()
    started = time.time()
    rank, world, local_rank = setup_distributed()
    # One thread unless told otherwise: a task asks for "cpu": 1 a rank, and on a shared machine
    # extra intra-op threads spin against each other (2 threads took 6x the CPU of 1 here).
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    elif "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(1)
    device = choose_device(local_rank)
    torch.manual_seed(args.seed)

    # Every rank draws the same data from the seed; the sampler gives each its shard.
    train_x, train_y = dial.make_dataset(args.samples, seed=args.seed * 1000 + 1)
    val_x, val_y = dial.make_dataset(args.val_samples, seed=args.seed * 1000 + 2)
    train_set = TensorDataset(torch.from_numpy(train_x), torch.from_numpy(train_y))
    val_set = TensorDataset(torch.from_numpy(val_x), torch.from_numpy(val_y))
    sampler = DistributedSampler(train_set, num_replicas=world, rank=rank, shuffle=True, seed=args.seed, drop_last=True)
    val_sampler = DistributedSampler(val_set, num_replicas=world, rank=rank, shuffle=False)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=256, sampler=val_sampler)
    steps_per_epoch = len(train_loader)
    total_steps = max(1, steps_per_epoch * args.epochs)
    log_every = args.log_every if args.log_every > 0 else max(1, steps_per_epoch // 4)

    net = DialNet().to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)
    start_epoch, step = 0, 0
    checkpoint = os.path.join(args.checkpoint_dir, CHECKPOINT_NAME)
    if os.path.exists(checkpoint):
        state = torch.load(checkpoint, map_location=device)
        net.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start_epoch, step = int(state["epoch"]), int(state["global_step"])
        if rank == 0:
            emit({"resumed": True, "step": step, "epoch": start_epoch, "checkpoint": checkpoint})
    model = DistributedDataParallel(net) if dist.is_initialized() else net
    if rank == 0:
        log(f"world {world}, device {device}, threads {torch.get_num_threads()}, "
            f"{steps_per_epoch} steps/epoch, epochs {start_epoch}..{args.epochs}")

    val_loss, val_mae = float("nan"), float("nan")
    for epoch in range(start_epoch, args.epochs):
        sampler.set_epoch(epoch)
        running, seen, in_epoch = 0.0, 0, 0
        epoch_sum, epoch_n = 0.0, 0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            lr = args.lr * (0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * min(step, total_steps) / total_steps)))
            for group in optimizer.param_groups:
                group["lr"] = lr
            loss = F.mse_loss(model(x), target(y))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            in_epoch += 1
            running += loss.item()
            seen += 1
            epoch_sum += loss.item() * y.numel()
            epoch_n += y.numel()
            if rank == 0 and step % log_every == 0 and step % steps_per_epoch != 0:
                metrics = {"loss": running / seen, "step": step, "epoch": round(epoch + in_epoch / steps_per_epoch, 3)}
                if not math.isnan(val_loss):
                    metrics["val_loss"] = val_loss
                emit({"progress": round(step / total_steps, 4), "metrics": metrics})
                running, seen = 0.0, 0
            if args.sleep_per_step > 0:
                time.sleep(args.sleep_per_step)

        loss_sum, loss_n = all_sum([epoch_sum, float(epoch_n)], device)
        val_loss, val_mae = evaluate(model, val_loader, device)
        if rank == 0:
            save_checkpoint(args.checkpoint_dir, {
                "model": net.state_dict(), "optimizer": optimizer.state_dict(),
                "epoch": epoch + 1, "global_step": step, "args": vars(args),
            })
            emit({"progress": round(step / total_steps, 4), "metrics": {
                "loss": loss_sum / max(loss_n, 1.0), "val_loss": val_loss, "val_mae_deg": val_mae,
                "step": step, "epoch": epoch + 1}})

    if math.isnan(val_loss):  # resumed with nothing left to train: still report and export
        val_loss, val_mae = evaluate(model, val_loader, device)
    if rank == 0:
        path = output_path(args.output_file)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        reader = ExportedReader(net).to("cpu").eval()
        tmp = path + ".tmp"
        torch.onnx.export(reader, torch.zeros(1, 1, dial.SIZE, dial.SIZE), tmp, opset_version=13,
                          input_names=["image"], output_names=["angle"],
                          dynamic_axes={"image": {0: "batch"}, "angle": {0: "batch"}})
        os.replace(tmp, path)
        log(f"exported {path} after {time.time() - started:.1f}s")
        emit({"progress": 1.0, "metrics": {"val_loss": val_loss, "val_mae_deg": val_mae, "step": step,
                                           "seconds": round(time.time() - started, 2)}})
    if dist.is_initialized():
        dist.barrier()
    # Leave without running destructors. In torch 1.13, destroying DDP's reducer at exit drops the
    # last reference to the gloo process group, whose destructor joins gloo's worker threads while
    # holding the GIL; a worker still releasing a finished collective's tensors waits for the GIL,
    # and the rank never exits (rank 1 hung in 1 of ~60 runs on a loaded machine; gdb showed
    # ~ProcessGroupGloo in std::thread::join and the worker in TensorImpl::destroy_pyobj_if_needed).
    # Everything this run writes is written and flushed by now.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
