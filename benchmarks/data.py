"""The benchmark image set, generated once into a cache folder outside the repository.

One large image (synthetic cells, 4 channels uint16, 512² chunks/tiles) stored three ways —
OME-NGFF 0.4, OMERO ``<id>_pyramid`` and a pyramidal OME-TIFF — plus many small multi-channel
raw ``Pixels/<id>`` images for thumbnail grids, and the local catalog (DESIGN.md §5) that
describes them. A marker file records a complete write, so an interrupted run starts again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from omero_fast_region.sample.cells import make_cells
from omero_fast_region.sample.demo import _channels, _nice_rendering

CACHE = Path(os.environ.get("OMERO_FAST_REGION_BENCH_DATA", Path.home() / ".cache" / "omero-fast-region" / "bench-data"))

#: image ids of the large image in each format
BIG_IDS = {"ngff": 1, "pyramid": 2, "tiff": 3}
SMALL_FIRST_ID = 1001


@dataclass(frozen=True)
class DataProfile:
    """Sizes of one image set; ``name`` is its folder under the cache."""

    name: str
    size: int  # the large image is size × size
    levels: int
    small_count: int
    small_shape: tuple[int, int] = (512, 384)  # x, y
    tile: int = 512
    channels: int = 4
    version: int = 1  # bump when _write changes what it writes

    @property
    def key(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


FULL = DataProfile("full", size=8192, levels=5, small_count=200)
QUICK = DataProfile("quick", size=2048, levels=3, small_count=12)


@dataclass(frozen=True)
class BenchData:
    """A written image set: the catalog path and what it holds."""

    profile: DataProfile
    folder: Path

    @property
    def catalog(self) -> Path:
        return self.folder / "catalog.json"

    @property
    def small_ids(self) -> list[int]:
        return list(range(SMALL_FIRST_ID, SMALL_FIRST_ID + self.profile.small_count))

    def files(self, image_id: int) -> list[Path]:
        """Every data file of one image (for dropping them from the page cache)."""
        doc = json.loads(self.catalog.read_text())
        entry = next(e for e in doc["images"] if e["id"] == image_id)
        root = self.folder / entry["source"]["path"]
        return [p for p in root.rglob("*") if p.is_file()] if root.is_dir() else [root]


def ensure_data(profile: DataProfile, cache: Path = CACHE) -> BenchData:
    """The image set of ``profile``, written first when missing or incomplete."""
    data = BenchData(profile, cache / profile.name)
    marker = data.folder / ".complete"
    if marker.exists() and marker.read_text() == profile.key and data.catalog.exists():
        return data
    shutil.rmtree(data.folder, ignore_errors=True)
    data.folder.mkdir(parents=True)
    print(f"benchmarks: writing the {profile.name} image set into {data.folder} (once) ...", flush=True)
    _write(profile, data.folder)
    marker.write_text(profile.key)
    return data


def _write(profile: DataProfile, folder: Path) -> None:
    from omero_fast_region.sample.writers import write_ngff, write_ome_tiff, write_omero_pyramid, write_romio

    big = make_cells(profile.size, profile.size, size_z=1, size_c=profile.channels, seed=101)
    tile = (profile.tile, profile.tile)
    paths = {"ngff": "ngff/big.zarr", "pyramid": f"Pixels/{BIG_IDS['pyramid']}_pyramid", "tiff": "tiff/big.ome.tif"}
    for p in paths.values():
        (folder / p).parent.mkdir(parents=True, exist_ok=True)
    write_ngff(str(folder / paths["ngff"]), big, version="0.4", chunks=tile, levels=profile.levels)
    write_omero_pyramid(str(folder / paths["pyramid"]), big, tile=tile)
    write_ome_tiff(str(folder / paths["tiff"]), big, tile=tile, levels=profile.levels)
    channels, rendering = _channels(big), _nice_rendering(big)
    del big
    big_pixels = {"type": "uint16", "size_x": profile.size, "size_y": profile.size, "size_z": 1,
                  "size_c": profile.channels, "size_t": 1, "significant_bits": None}
    images = [{"id": image_id, "name": f"big-{fmt}", "source": {"format": fmt, "path": paths[fmt]},
               "pixels": big_pixels, "channels": channels, "rendering": rendering}
              for fmt, image_id in BIG_IDS.items()]
    x, y = profile.small_shape
    for i in range(profile.small_count):
        image_id = SMALL_FIRST_ID + i
        small = make_cells(x, y, size_z=1, size_c=3, seed=1000 + i)
        write_romio(str(folder / "Pixels" / str(image_id)), small)
        images.append({
            "id": image_id, "name": f"small-{i}", "source": {"format": "romio", "path": f"Pixels/{image_id}"},
            "pixels": {"type": "uint16", "size_x": x, "size_y": y, "size_z": 1, "size_c": 3, "size_t": 1,
                       "significant_bits": None},
            "channels": _channels(small), "rendering": _nice_rendering(small),
        })
    (folder / "catalog.json").write_text(json.dumps({"luts": [], "images": images}, indent=1))


def resident_bytes(paths: list[Path]) -> int | None:
    """Bytes of the files held in the page cache (util-linux ``fincore``), None if unknown."""
    exe = shutil.which("fincore")
    if exe is None or not paths:
        return None
    out = subprocess.run([exe, "--bytes", "--noheadings", "--output", "RES", *map(str, paths)],
                         capture_output=True, text=True, check=False)
    try:
        return sum(int(v) for v in out.stdout.split())
    except ValueError:
        return None
