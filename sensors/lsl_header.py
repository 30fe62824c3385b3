"""LSL stream headers in both directions: a ``StreamSpec`` read from a ``pylsl.StreamInfo``
(name, type, rate, channels, and the labels and units in ``desc/channels/channel``), and a
``StreamInfo`` written from a ``StreamSpec`` for an outlet, after checking its name, channel
count, format, rate and the number of labels and units, with the same ``desc`` layout that
inlets read back."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from sensors.errors import StreamFormatError
from sensors.lsl_bindings import FMT_CODES as _FMT_CODES
from sensors.lsl_bindings import FMT_NAMES as _FMT_NAMES
from sensors.lsl_bindings import pylsl
from sensors.types import StreamSpec


def _desc_channels(xml: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return (), ()
    channels = root.findall("./desc/channels/channel")
    labels = tuple((c.findtext("label") or c.findtext("name") or "").strip() for c in channels)
    units = tuple((c.findtext("unit") or c.findtext("units") or "").strip() for c in channels)
    return labels, units


def spec_from_info(info: pylsl.StreamInfo) -> StreamSpec:
    """A StreamSpec from a pylsl StreamInfo (labels and units only if its desc is filled)."""
    fmt = info.channel_format()
    labels, units = _desc_channels(info.as_xml())
    return StreamSpec(
        name=info.name(),
        type=info.type(),
        rate=float(info.nominal_srate()),
        channel_count=int(info.channel_count()),
        channel_format=_FMT_NAMES[fmt] if 0 <= fmt < len(_FMT_NAMES) else str(fmt),
        source_id=info.source_id(),
        hostname=info.hostname(),
        labels=labels,
        units=units,
    )


def info_from_spec(spec: StreamSpec) -> pylsl.StreamInfo:
    """The header an outlet for ``spec`` publishes; StreamFormatError names what is wrong."""
    where = f"outlet '{spec.name}'"
    if not spec.name:
        raise StreamFormatError("an LSL stream needs a name")
    if spec.channel_count < 1:
        raise StreamFormatError(f"{where}: channel_count must be >= 1, got {spec.channel_count}")
    if spec.channel_format not in _FMT_CODES:
        raise StreamFormatError(
            f"{where}: channel_format '{spec.channel_format}' is not one of {', '.join(sorted(_FMT_CODES))}"
        )
    if not (math.isfinite(spec.rate) and spec.rate >= 0):
        raise StreamFormatError(f"{where}: rate must be >= 0 (0 = irregular), got {spec.rate}")
    for field, values in (("labels", spec.labels), ("units", spec.units)):
        if values and len(values) != spec.channel_count:
            raise StreamFormatError(f"{where}: {len(values)} {field} for {spec.channel_count} channel(s)")
    info = pylsl.StreamInfo(spec.name, spec.type, spec.channel_count, spec.rate, spec.channel_format, spec.source_id)
    if spec.labels or spec.units:
        channels = info.desc().append_child("channels")
        for i in range(spec.channel_count):
            channel = channels.append_child("channel")
            # pylsl cannot encode None: a channel without a label or unit (as pyxdf reads
            # an empty <unit/>) gets chN / no unit instead of a TypeError deep in pylsl
            label = spec.labels[i] if spec.labels else None
            channel.append_child_value("label", f"ch{i + 1}" if label is None else str(label))
            if spec.units:
                channel.append_child_value("unit", "" if spec.units[i] is None else str(spec.units[i]))
            channel.append_child_value("type", spec.type)
    info.desc().append_child("acquisition").append_child_value("manufacturer", "vrex")
    return info
