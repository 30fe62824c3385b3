"""The ``text`` entity: Panda3D's TextNode with its built-in font (nothing to download).

The words stand upright in the entity's x-z plane, read from the side its -y faces: with
rotation [0, 0, 0] a viewpoint looking forward (+y) reads them. ``size`` is the height of
one line in metres (capitals are about 0.7 of it); the baseline of the first line sits on
the entity's position, and ``align`` says which end of each line does.
"""

from __future__ import annotations

import logging

from panda3d.core import NodePath, TextNode

from engine.scenario.spec import Entity

log = logging.getLogger(__name__)

_ALIGN = {"left": TextNode.ALeft, "centre": TextNode.ACenter, "right": TextNode.ARight}


def build_text(entity: Entity, parent: NodePath) -> NodePath:
    """A TextNode under ``parent`` showing ``entity['text']``; its ``node().setText`` changes it."""
    text = TextNode(entity.id or "text")
    text.setAlign(_ALIGN[entity["align"]])
    # no text colour of its own: the entity's colour (and a colour binding) reaches the letters
    text.setText(entity["text"])
    node = parent.attachNewNode(text)
    node.setScale(entity["size"])
    if entity["billboard"]:
        node.setBillboardPointEye()  # turns about its own origin to face the eye
    return node


def set_text(node: NodePath, value: str) -> None:
    """Show ``value`` (validated: see engine/scenario/text.py); a no-op if it is already shown."""
    text: TextNode = node.node()
    if text.getText() != value:
        text.setText(value)
        log.debug("text %s now %r", text.getName(), value)
