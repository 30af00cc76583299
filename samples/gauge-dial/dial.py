"""Synthetic gauge dials, drawn with numpy only.

A dial is a 64x64 grayscale image: a light face, a dark ring, 11 tick marks spread over a
270 degree sweep and a dark needle pointing at the reading. The sweep starts at the lower
left (the 7:30 position, reading 0 degrees) and runs clockwise over the top to the lower
right (the 4:30 position, reading 270 degrees). The label of an image is that reading in
degrees, 0..270; the network is trained on reading / 270 (0..1).

Pixels are float32 in [0, 1], 1 = white, row-major, row 0 at the top: exactly what the
exported ONNX model takes as input "image" of shape [N, 1, 64, 64]. No other scaling.

Every image is a pure function of (reading, seed of its jitter), so a training run, a
resumed run and a test that draws a dial all see the same pixels for the same seed.
"""

import numpy as np

SIZE = 64
SWEEP_DEG = 270.0
# The screen direction (degrees, counter-clockwise from +x with y up) of reading 0.
START_DEG = 225.0
TICKS = 11

_YS, _XS = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
_XS += 0.5
_YS += 0.5


def _direction(reading_deg):
    """Unit vector (dx, dy) on screen, y down, of a needle at this reading."""
    theta = np.deg2rad(START_DEG - np.asarray(reading_deg, dtype=np.float64))
    return np.cos(theta).astype(np.float32), (-np.sin(theta)).astype(np.float32)


def _segment_distance(x0, y0, x1, y1):
    """Distance of every pixel centre to the segment (x0,y0)-(x1,y1); arguments are [N] arrays."""
    x0, y0, x1, y1 = (np.asarray(a, dtype=np.float32)[:, None, None] for a in (x0, y0, x1, y1))
    dx, dy = x1 - x0, y1 - y0
    length2 = np.maximum(dx * dx + dy * dy, 1e-6)
    t = _unit(((_XS - x0) * dx + (_YS - y0) * dy) / length2)
    px, py = x0 + t * dx - _XS, y0 + t * dy - _YS
    return np.sqrt(px * px + py * py)


def _unit(x):
    """Clamp to [0, 1] (np.clip is several times slower for this)."""
    return np.minimum(np.maximum(x, 0.0), 1.0)


def _ink(distance, half_width):
    """Antialiased coverage of a stroke of this half width: 1 inside, 0 more than a pixel out."""
    return _unit(half_width + 0.5 - distance)


def draw_batch(readings_deg, rng):
    """Draw one dial per reading (degrees, 0..270) with jitter from rng; returns float32 [N, 64, 64]."""
    readings = np.asarray(readings_deg, dtype=np.float32).reshape(-1)
    n = readings.shape[0]
    u = lambda lo, hi: rng.uniform(lo, hi, n).astype(np.float32)  # noqa: E731

    cx, cy = u(29.5, 34.5), u(29.5, 34.5)
    radius = u(23.0, 28.0)
    face, ink_level = u(0.75, 0.95), u(0.05, 0.30)

    r = np.sqrt((_XS - cx[:, None, None]) ** 2 + (_YS - cy[:, None, None]) ** 2)
    cover = _ink(np.abs(r - radius[:, None, None]), u(0.6, 1.4)[:, None, None])

    # Tick marks at fixed readings, from 0.78 to 0.95 of the radius; drawn in polar form
    # (distance across the nearest tick, window along it) so a batch costs one pass, not eleven.
    ox, oy = _XS - cx[:, None, None], _YS - cy[:, None, None]
    along = np.mod(START_DEG - np.rad2deg(np.arctan2(-oy, ox)), 360.0)
    step = SWEEP_DEG / (TICKS - 1)
    nearest = np.clip(np.round(along / step), 0, TICKS - 1) * step
    gap = np.deg2rad(np.abs(along - nearest))
    gap = np.minimum(gap, 2 * np.pi - gap)
    rr = radius[:, None, None]
    window = _unit(np.minimum(r - rr * 0.78, rr * 0.95 - r) + 0.5)
    ticks = _ink(r * np.sin(np.minimum(gap, np.pi / 2)), u(0.4, 0.8)[:, None, None]) * window
    cover = np.maximum(cover, ticks)

    # The needle, with a little error of its own, a short tail and a hub.
    dx, dy = _direction(readings + rng.normal(0.0, 0.5, n).astype(np.float32))
    length = radius * u(0.70, 0.85)
    d = _segment_distance(cx - dx * radius * 0.15, cy - dy * radius * 0.15, cx + dx * length, cy + dy * length)
    cover = np.maximum(cover, _ink(d, u(0.8, 1.5)[:, None, None]))
    cover = np.maximum(cover, _ink(r, u(1.5, 3.0)[:, None, None]))

    image = face[:, None, None] + (ink_level - face)[:, None, None] * cover
    # A soft lighting gradient and sensor noise.
    gx, gy = rng.normal(0.0, 0.002, n).astype(np.float32), rng.normal(0.0, 0.002, n).astype(np.float32)
    image += gx[:, None, None] * (_XS - 32.0) + gy[:, None, None] * (_YS - 32.0)
    image += rng.normal(0.0, 1.0, image.shape).astype(np.float32) * u(0.01, 0.06)[:, None, None]
    return _unit(image).astype(np.float32)


def make_dataset(count, seed, chunk=512):
    """count dials with readings uniform over the sweep; returns (images [N,1,64,64], readings_deg [N])."""
    rng = np.random.default_rng(seed)
    readings = rng.uniform(0.0, SWEEP_DEG, count).astype(np.float32)
    images = np.empty((count, 1, SIZE, SIZE), dtype=np.float32)
    for start in range(0, count, chunk):
        images[start:start + chunk, 0] = draw_batch(readings[start:start + chunk], rng)
    return images, readings


def draw_one(reading_deg, seed=0):
    """One dial at this reading (degrees, 0..270): float32 [64, 64]."""
    return draw_batch([reading_deg], np.random.default_rng(seed))[0]
