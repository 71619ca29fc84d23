"""OMERO pixel-type names and the numpy dtypes that hold them (reference/renderer.md §6.3, §7)."""

from __future__ import annotations

import numpy as np

from ..errors import Unsupported

#: OMERO pixel type -> numpy dtype character code (byte order added by the caller).
DTYPE_CODES = {
    "int8": "i1",
    "uint8": "u1",
    "int16": "i2",
    "uint16": "u2",
    "int32": "i4",
    "uint32": "u4",
    "float": "f4",
    "double": "f8",
}
_BY_CODE = {code: name for name, code in DTYPE_CODES.items()}
#: Wider integer types that only NGFF label images may use (OMERO's masks endpoint reads them as bytes).
LABEL_ONLY = {"i8": "int64", "u8": "uint64"}


def numpy_dtype(pixel_type: str, byteorder: str = "=") -> np.dtype:
    """The numpy dtype of an OMERO pixel type in ``byteorder`` ('=' native, '>' big-endian)."""
    if pixel_type == "bit":
        return np.dtype(bool)
    code = DTYPE_CODES.get(pixel_type) or {v: k for k, v in LABEL_ONLY.items()}.get(pixel_type)
    if code is None:
        raise Unsupported(f"pixel type {pixel_type!r}")
    return np.dtype(byteorder + code)


def pixel_type_of(dtype: np.dtype, *, allow_bit: bool = False, allow_wide: bool = False) -> str:
    """The OMERO pixel type of a stored dtype; anything OMERO cannot represent is Unsupported."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_ and allow_bit:
        return "bit"
    code = f"{dtype.kind}{dtype.itemsize}"
    name = _BY_CODE.get(code) or (LABEL_ONLY.get(code) if allow_wide else None)
    if name is None:
        raise Unsupported(f"dtype {dtype} has no OMERO pixel type")
    return name


def to_native(array: np.ndarray) -> np.ndarray:
    """``array`` in native byte order (a copy only when it is not already native)."""
    if array.dtype.isnative:
        return array
    return array.astype(array.dtype.newbyteorder("="))
