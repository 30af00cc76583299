#!/usr/bin/env python3
"""Draw one gauge dial at a given reading, as the exported model expects its input.

    python3 draw.py --angle 123.5 --out dial.f32              # 64*64 float32, little-endian
    python3 draw.py --angle 123.5 --out dial.json --format json
    python3 draw.py --angle 123.5 --out dial.f32 --pgm dial.pgm  # and a picture to look at

--angle is the reading in degrees along the 270 degree sweep (0 = lower left, 135 = straight
up, 270 = lower right). The pixels are row-major, row 0 at the top, values in [0, 1] with
1 = white: feed them unchanged as tensor "image" [1, 1, 64, 64]; the model answers "angle"
[1, 1], the reading in degrees. --seed picks the jitter (centre, radius, strokes, noise).
One line of JSON on stdout says what was written.
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dial  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--angle", type=float, required=True, help="reading in degrees, 0..270")
    p.add_argument("--seed", type=int, default=0, help="seed of the jitter")
    p.add_argument("--out", required=True, help="file to write")
    p.add_argument("--format", choices=["f32", "json"], default="f32",
                   help="f32: raw float32 little-endian, 4096 values; json: a list of 64 rows of 64")
    p.add_argument("--pgm", help="also write an 8-bit PGM picture here")
    args = p.parse_args()
    if not 0.0 <= args.angle <= dial.SWEEP_DEG:
        p.error(f"--angle must be within 0..{dial.SWEEP_DEG:g}")

    image = dial.draw_one(args.angle, seed=args.seed)
    if args.format == "f32":
        with open(args.out, "wb") as f:
            f.write(image.astype("<f4").tobytes(order="C"))
    else:
        with open(args.out, "w") as f:
            json.dump([[round(float(v), 6) for v in row] for row in image], f)
    if args.pgm:
        with open(args.pgm, "wb") as f:
            f.write(b"P5 %d %d 255\n" % (dial.SIZE, dial.SIZE))
            f.write(np.round(image * 255).astype(np.uint8).tobytes())
    print(json.dumps({"angle": args.angle, "seed": args.seed, "file": args.out, "format": args.format,
                      "shape": [1, 1, dial.SIZE, dial.SIZE]}), flush=True)


if __name__ == "__main__":
    main()
