"""Plain data objects the renderer takes: rendering settings, independent of Django and omero.

Field meanings follow OMERO's RenderingDef / ChannelBinding / QuantumDef
(reference/renderer.md §1.1, §2) and the local catalog format (DESIGN.md §5).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: OMERO pixel type names (PixelsType.value), in the order OMERO lists them.
PIXEL_TYPES = ("bit", "int8", "uint8", "int16", "uint16", "int32", "uint32", "float", "double")

FAMILIES = ("linear", "polynomial", "exponential", "logarithmic")
MODELS = ("rgb", "greyscale")


@dataclass(frozen=True)
class ChannelSettings:
    """One ChannelBinding: how a channel's values map to colour."""

    active: bool = True
    window: tuple[float, float] = (0.0, 255.0)
    rgba: tuple[int, int, int, int] = (255, 255, 255, 255)
    family: str = "linear"
    coefficient: float = 1.0
    noise_reduction: bool = False
    lut: str | None = None  # basename of a .lut file, e.g. "fire.lut"
    reverse: bool = False  # a reverse-intensity codomain map is present


@dataclass(frozen=True)
class RenderSettings:
    """A whole rendering definition as the renderer needs it (one entry per channel of the image)."""

    model: str = "rgb"  # "rgb" or "greyscale"
    channels: tuple[ChannelSettings, ...] = ()
    bit_resolution: int = 255
    cd_start: int = 0
    cd_end: int = 255


@dataclass(frozen=True)
class PixelsInfo:
    """What the renderer must know of the Pixels object: type, sizes, significant bits."""

    pixel_type: str
    size_x: int
    size_y: int
    size_z: int = 1
    size_c: int = 1
    size_t: int = 1
    significant_bits: int | None = None


@dataclass(frozen=True)
class ChannelInfo:
    """Per-channel metadata (LogicalChannel + StatsInfo) that defaults and quantization use."""

    label: str | None = None
    emission_wavelength: float | None = None
    excitation_wavelength: float | None = None
    stats: tuple[float, float] | None = None  # StatsInfo (globalMin, globalMax)
    rgba: tuple[int, int, int, int] | None = None  # Channel.red/green/blue/alpha, if all set
    lut: str | None = None  # Channel.lookupTable


@dataclass(frozen=True)
class RenderingDef:
    """A rendering definition of an image: settings plus default plane."""

    settings: RenderSettings
    default_z: int = 0
    default_t: int = 0
    id: int | None = None
    owner_id: int | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)
