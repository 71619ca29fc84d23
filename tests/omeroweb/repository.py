"""Real files for a test OMERO repository: OME companion XML, the NGFF label and fileset planes
the hosted fixture (``fixture.json``) refers to, shared by the writer and the hosted tests."""

from __future__ import annotations

import numpy as np

OME_NS = "http://www.openmicroscopy.org/Schemas/OME/2016-06"

#: Mask 302's NGFF label image (64x48): a 20x10 block of 7s.
LABELS = np.zeros((48, 64), dtype=np.uint8)
LABELS[5:15, 10:30] = 7


def fileset_plane(index: int) -> np.ndarray:
    """The 64x48 uint8 plane of file ``set_<index>.ome.tiff`` in image 8's fileset (distinct per file)."""
    return ((np.arange(48 * 64) * (index + 2)) % 256).astype(np.uint8).reshape(48, 64)


def companion_xml(images: list[list[str | None]], size_x: int = 64, size_y: int = 48) -> str:
    """An OME companion: one uint8 Image per entry, one TiffData per file name (None: no UUID)."""
    body = []
    for i, names in enumerate(images):
        tiff_data = "".join(
            f'<TiffData IFD="0" PlaneCount="1"><UUID FileName="{name}">urn:uuid:{i}</UUID></TiffData>'
            if name else '<TiffData IFD="0"/>'
            for name in names
        )
        body.append(f'<Image ID="Image:{i}"><Pixels ID="Pixels:{i}" DimensionOrder="XYZCT" Type="uint8" '
                    f'SizeX="{size_x}" SizeY="{size_y}" SizeZ="1" SizeC="1" SizeT="1">{tiff_data}</Pixels></Image>')
    return f'<?xml version="1.0"?><OME xmlns="{OME_NS}">{"".join(body)}</OME>'
