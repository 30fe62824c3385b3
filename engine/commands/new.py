"""``vrex new NAME --phobia WORD [--out FILE]``: write a commented starting scenario.

The file validates as written (for a screen and a headset): 8 levels, a room, lights, one
entity bound to intensity, and the comfort and calm sections, each explained in comments, so
an author edits something that works instead of starting from an empty page. It never
overwrites a file. scenarios/README.md ("Your first scene") goes on from here.
"""

from __future__ import annotations

import argparse
import json
import re
import unicodedata
from pathlib import Path

from engine.errors import VrexError

NAME = r"[a-z][a-z0-9_-]*"  # the scenario id's pattern (engine/scenario/format.py, META)
MAX_NAME = 64

TEMPLATE = """\
# {title}: a starting scenario written by `vrex new`. Edit it, then check it with
#   vrex validate {file}              (every problem as FILE:LINE:COL — what to write)
#   vrex validate --target hmd {file} (also what a headset cannot show)
#   vrex view {file}                  (up/down change intensity, 1-8 jump to a level)
#   vrex preview {file} --out out/{name}   (a PNG of every level)
# Every key is described in scenarios/README.md ("Every key"); units are metres and degrees.
format: 1

scenario:
  id: {name}
  title: {title_q}
  phobia: {phobia}
  author: "(your name)"
  version: "0.1"
  description: "A starting point: a room and one thing that comes closer as intensity rises."

# The fear hierarchy: 8 to 12 steps, from calm (0) to the most feared (1), each intensity
# higher than the one before. The therapist moves between them; the controller may go
# anywhere between. Describe what the patient faces, as a therapist would read it.
levels:
  - {{name: far away, intensity: 0.0, description: "The thing is at the far wall, 6 m away."}}
  - {{name: noticed, intensity: 0.15, description: "It is 5 m away and a little larger."}}
  - {{name: closer, intensity: 0.3, description: "4 m away."}}
  - {{name: middle, intensity: 0.45, description: "3.5 m away, in the middle of the room."}}
  - {{name: near, intensity: 0.6, description: "3 m away."}}
  - {{name: nearer, intensity: 0.75, description: "2.5 m away and full size."}}
  - {{name: close, intensity: 0.9, description: "2 m away."}}
  - {{name: closest, intensity: 1.0, description: "1.5 m away: within reach."}}

# The patient's eye: standing at the back of the room, facing forward (+y). 'look: [heading,
# pitch]' is where they are asked to look (here 15 degrees down, at the floor ahead): on a
# screen the view turns there; in a headset it is a gaze target and they turn their own head.
viewpoint: {{position: [0, -2, 1.6], look: [0, -15], eye_height: 1.6}}

# Comfort: intensity never jumps. It changes by at most max_intensity_rate per second
# (0.05: the whole scale in 20 s), and the viewpoint never moves faster than
# max_camera_speed (1.4 m/s, walking pace, is what a headset tolerates).
comfort: {{max_intensity_rate: 0.05, max_intensity_accel: 0.05, max_camera_speed: 1.4}}

# Calm: what "calm now" (space in vrex view, stop in a session) does. The view fades to
# this colour, intensity goes to 'intensity' behind the veil, and the view fades back in.
calm: {{intensity: 0.0, fade_seconds: 0.5, colour: [0.55, 0.7, 0.8]}}

entities:
  - {{type: light, kind: ambient, colour: [0.45, 0.45, 0.5]}}
  - {{type: light, kind: point, position: [0, 0, 2.6], colour: [0.9, 0.85, 0.75]}}
  # the room: 6 m wide, 10 m deep, 3 m high (a plane is a floor; boxes are walls)
  - {{type: plane, size: [6, 10], colour: [0.45, 0.4, 0.35]}}
  - {{type: box, size: [6, 0.1, 3], position: [0, 5, 1.5], colour: [0.8, 0.78, 0.72]}}
  - {{type: box, size: [6, 0.1, 3], position: [0, -5, 1.5], colour: [0.8, 0.78, 0.72]}}
  - {{type: box, size: [0.1, 10, 3], position: [-3, 0, 1.5], colour: [0.75, 0.73, 0.68]}}
  - {{type: box, size: [0.1, 10, 3], position: [3, 0, 1.5], colour: [0.75, 0.73, 0.68]}}
  - {{type: box, size: [6, 10, 0.1], position: [0, 0, 3.05], colour: [0.9, 0.9, 0.88]}}
  # the feared thing: a stand-in to replace (a 'model' with path: your.glb, or a 'group')
  - type: sphere
    id: feared
    radius: 0.3
    position: [0, 4, 0.3]
    colour: [0.3, 0.25, 0.2]

# Bindings: how intensity changes the scene. 'range' is a straight line over the whole
# scale; 'points' is a curve of [intensity, value] pairs.
bindings:
  - target: feared.position.y
    points: [[0, 4], [0.3, 2], [0.6, 1], [1, -0.5]]
  - target: feared.scale
    range: [[0.6, 0.6, 0.6], [1, 1, 1]]
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "new",
        help="write a commented starting scenario that validates",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("name", metavar="NAME", help="the scenario's id: lower-case letters, digits, '_' and '-'")
    p.add_argument("--phobia", required=True, metavar="WORD", help="what is feared, e.g. claustrophobia")
    p.add_argument("--out", type=Path, metavar="FILE", help="where to write it (default: NAME.yaml here)")
    p.set_defaults(run=run)


def _check_name(name: str) -> None:
    if not re.fullmatch(NAME, name) or len(name) > MAX_NAME:
        raise VrexError(
            f"'{name[:80]}' is not a scenario name — lower-case letters, digits, '_' and '-', "
            f"starting with a letter, at most {MAX_NAME} characters, e.g. 'lift' or 'dog_park'"
        )


def _check_phobia(word: str) -> None:
    if not word.strip() or len(word) > 200 or any(unicodedata.category(c) == "Cc" for c in word):
        raise VrexError(f"--phobia {word[:80]!r} is not a word for what is feared — e.g. --phobia claustrophobia")


def scenario_text(name: str, phobia: str, file: str) -> str:
    """The starting scenario for ``name`` (checked) about ``phobia``, as YAML."""
    _check_name(name)
    _check_phobia(phobia)
    title = name.replace("_", " ").replace("-", " ").capitalize()
    # json.dumps gives a double-quoted string that YAML reads back exactly, whatever it holds
    return TEMPLATE.format(
        name=name, title=title, title_q=json.dumps(title), phobia=json.dumps(phobia.strip()), file=file
    )


def run(args: argparse.Namespace) -> int:
    from engine.scenario import ScenarioError, load_scenario

    out: Path = args.out or Path(f"{args.name}.yaml")
    text = scenario_text(args.name, args.phobia, str(out))
    try:
        with open(out, "x", encoding="utf-8") as f:  # 'x': never overwrite an author's work
            f.write(text)
    except FileExistsError:
        raise VrexError(f"{out} exists already; vrex new never overwrites — another NAME or --out FILE") from None
    except OSError as exc:
        raise VrexError(f"{out}: cannot write there ({exc.strerror}) — another --out FILE") from None
    try:
        load_scenario(out)
    except ScenarioError as exc:  # a bug in the template, not the author's: say so
        raise VrexError(f"{out} was written but does not validate (please report this): {exc}") from exc
    print(f"wrote {out}: a valid starting scenario about {args.phobia.strip()}")
    print(f"next: vrex view {out}   (then edit it; scenarios/README.md, 'Your first scene', goes step by step)")
    return 0
