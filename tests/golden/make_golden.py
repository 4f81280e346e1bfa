"""How the golden files were made (the version-1 files on 2026-11-22, ddcodec 1.0.0; the version-2 file on
2026-11-24, ddcodec 1.4.0; the version-4 files on 2026-12-07, ddcodec 1.35.0; torch 2.13.0 CPU).

Do not re-run to "fix" a failing golden test: the point of the golden files is that the
files made then still decode to the same pixels now. Running it writes only the files missing.
"""
import dataclasses
from pathlib import Path

import numpy as np

import ddcodec

HERE = Path(__file__).parent


def smooth(height: int, width: int, channels: int) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    planes = [128 + 90 * np.sin(xx / (3 + c) + yy / (5 - c)) for c in range(channels)]
    return np.clip(np.stack(planes, axis=2), 0, 255).astype(np.uint8)


def main() -> None:
    tapered = dataclasses.replace(ddcodec.PRESETS["default"], taper=60)
    for name, pixels, bits, depthwise, preset in [
            ("v1_rgb_23x17_8bit", smooth(17, 23, 3), 8, "off", "default"),
            ("v1_gray_19x13_12bit", smooth(13, 19, 1), 12, "off", "default"),
            ("v2_rgb_29x21_depthwise", smooth(21, 29, 3), 7, "on", "default"),
            ("v4_rgb_31x23_compact", smooth(23, 31, 3), 7, "on", "default"),
            ("v4_rgb_27x19_tapered", smooth(19, 27, 3), 6, "off", tapered)]:
        if (HERE / f"{name}.ddc").exists():
            continue
        data, result = ddcodec.encode(pixels, k=2, bits=bits, seed=5, iters=80, device="cpu", depthwise=depthwise,
                                      preset=preset)
        (HERE / f"{name}.ddc").write_bytes(data)
        ddcodec.decode(data, device="cpu").save(HERE / f"{name}.png")
        print(name, result.bytes, round(result.psnr, 2))


if __name__ == "__main__":
    main()
