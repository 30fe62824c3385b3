"""The SUDS question in a headset: a panel in the world, not on the face.

Text locked to the face is uncomfortable and breaks presence (headset.md: no HUD locked to
the face; panels world-locked, 1.5–2 m away). When the question opens, the panel is placed
``DISTANCE_M`` in front of where the head looks at that moment, upright and facing the
head, and stays there (it does not follow the head) until it closes. It is part of the
3-D scene, so both eyes see it at the same depth; it is drawn over the scene (no depth
test) so that a wall nearer than the panel cannot hide the question.
"""

from __future__ import annotations

from typing import Any

from panda3d.core import NodePath, TextNode

from engine.display.head import forward

DISTANCE_M = 1.75
TEXT_HEIGHT_M = 0.06  # 6 cm capitals at 1.75 m: about 2°, comfortably readable


class WorldPanel:
    def __init__(self, parent: Any, head: Any, text: str):
        self.parent, self.head, self.text = parent, head, text
        node = self._text = TextNode("suds-panel")
        node.setText(text)
        node.setAlign(TextNode.ACenter)
        node.setTextColor(1, 1, 1, 1)
        node.setCardColor(0, 0, 0, 0.7)
        node.setCardAsMargin(0.6, 0.6, 0.4, 0.4)
        node.setCardDecal(True)
        self.node: NodePath = parent.attachNewNode(node)
        self.node.setScale(TEXT_HEIGHT_M)
        self.node.setBin("fixed", 900)
        self.node.setDepthTest(False)
        self.node.setDepthWrite(False)
        self.node.setLightOff()
        self.node.setFogOff()
        self.node.hide()

    def show(self) -> None:
        """Open in front of where the head looks now (heading and pitch), facing it."""
        pos = self.head.getPos(self.parent)
        hpr = self.head.getHpr(self.parent)
        ahead = forward(hpr[0], hpr[1]) * DISTANCE_M
        self.node.setPos(pos[0] + ahead[0], pos[1] + ahead[1], pos[2] + ahead[2])
        self.node.setHpr(hpr[0], hpr[1], 0.0)  # faces the head, upright (no roll)
        self.node.show()

    def set_value(self, line: str | None) -> None:
        """A line under the question (a controller's SUDS value as it is chosen); None: the
        question alone."""
        self._text.setText(f"{self.text}\n\n{line}" if line else self.text)

    def hide(self) -> None:
        self.node.hide()

    def remove(self) -> None:
        self.node.removeNode()
